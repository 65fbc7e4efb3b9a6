#pragma once

// The candor command line: run, validate and fake, with hand-written argument
// parsing (no option library is available as a dependency).
//
//   candor run suite/ --out out --format console,json,junit,html
//   candor validate suite/*.yaml
//   candor fake twilio --port 8081 --account-sid AC... --auth-token secret
//
// Exit codes: 0 every expectation held, 1 some failed, 2 unusable input.

#include <ostream>
#include <string>
#include <vector>

namespace candor::scenarios::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

/// Runs the command line `args` (without the program name); writes results to
/// `out` and problems to `err`. Returns the exit code.
int run_cli(std::vector<std::string> const& args, std::ostream& out, std::ostream& err);

}  // namespace candor::scenarios::cli
