#pragma once

// `candor fake KIND`: one fake provider served until SIGINT or SIGTERM.

#include <cstdint>
#include <ostream>
#include <string>

namespace candor::scenarios::cli {

struct FakeOptions {
  /// "twilio", "syniverse", "smtp" or "generic".
  std::string kind;
  std::uint16_t port = 0;
  /// Twilio credentials; the fake's defaults when empty.
  std::string account_sid;
  std::string auth_token;
  /// Syniverse bearer token.
  std::string token;
  /// Where status callbacks and inbound messages go (Twilio, Syniverse).
  std::string callback_url;
};

/// Starts the fake on a real clock, prints its base URL and credentials to
/// `out`, and blocks until SIGINT or SIGTERM. Returns the exit code.
int serve_fake(FakeOptions const& options, std::ostream& out, std::ostream& err);

}  // namespace candor::scenarios::cli
