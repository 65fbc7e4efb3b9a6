#include "scenarios/cli/cli.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace candor::scenarios::cli {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int exit_code = -1;
  std::string output;
};

/// Runs the built binary with `args` (shell words), both streams captured.
Outcome run_candor(std::string const& args) {
  std::string const command = std::string(CANDOR_CLI_PATH) + " " + args + " 2>&1";
  Outcome outcome;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return outcome;
  }
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    outcome.output += buffer.data();
  }
  int const status = pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

std::filesystem::path write_file(std::string const& name, std::string const& text) {
  auto const dir = std::filesystem::temp_directory_path() / "candor_cli_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}

constexpr char const* kPassing = R"(name: passing
providers: {sms: {kind: generic}}
candidates: [{id: 1, phone: "+14155550101"}]
steps:
  - compose: {channel: sms, body: "Hi {{FirstName}}", candidate: 1}
  - expect: {status: {sent: 1}}
)";

TEST(Cli, ExitsZeroWhenEveryExpectationHolds) {
  auto const file = write_file("passing.yaml", kPassing);
  Outcome const out = run_candor("run " + file.string());
  EXPECT_EQ(out.exit_code, kExitOk) << out.output;
  EXPECT_THAT(out.output, HasSubstr("passing"));
}

TEST(Cli, ExitsOneWhenAnExpectationFails) {
  std::string text = kPassing;
  text.replace(text.find("sent: 1"), 7, "sent: 2");
  auto const file = write_file("failing.yaml", text);
  Outcome const out = run_candor("run --quiet " + file.string());
  EXPECT_EQ(out.exit_code, kExitFailed) << out.output;
  EXPECT_THAT(out.output, HasSubstr("0 of 1 scenario passed"));
}

TEST(Cli, ExitsTwoOnUnusableInput) {
  auto const bad = write_file("bad.yaml", "name: x\nsteps:\n  - advance: soon\n");
  Outcome const invalid = run_candor("validate " + bad.string());
  EXPECT_EQ(invalid.exit_code, kExitUsage);
  EXPECT_THAT(invalid.output, HasSubstr("bad.yaml:3:14: steps[0].advance: expected a duration"));

  EXPECT_EQ(run_candor("run " + bad.string()).exit_code, kExitUsage);
  EXPECT_EQ(run_candor("run --sed 3 x.yaml").exit_code, kExitUsage);
  EXPECT_THAT(run_candor("run --sed 3 x.yaml").output, HasSubstr("did you mean --seed?"));
  EXPECT_EQ(run_candor("run --seed minus x.yaml").exit_code, kExitUsage);
  EXPECT_EQ(run_candor("run /no/such/file.yaml").exit_code, kExitUsage);
  EXPECT_EQ(run_candor("frobnicate").exit_code, kExitUsage);
  EXPECT_EQ(run_candor("fake fax --port 0").exit_code, kExitUsage);
}

TEST(Cli, ValidatesFoldersAndPrintsHelpAndVersion) {
  Outcome const valid =
      run_candor(std::string("validate ") + CANDOR_SOURCE_DIR + "/scenarios/suite");
  EXPECT_EQ(valid.exit_code, kExitOk) << valid.output;
  for (char const* command : {"--help", "run --help", "validate --help", "fake --help"}) {
    Outcome const help = run_candor(command);
    EXPECT_EQ(help.exit_code, kExitOk) << command;
    EXPECT_THAT(help.output, HasSubstr("Usage")) << command;
  }
  EXPECT_THAT(run_candor("--version").output, HasSubstr("candor 0.1.0"));
}

TEST(Cli, WritesFileReportsIntoOut) {
  auto const file = write_file("passing.yaml", kPassing);
  auto const out_dir = std::filesystem::temp_directory_path() / "candor_cli_test" / "out";
  std::filesystem::remove_all(out_dir);
  Outcome const out = run_candor("run --quiet --out " + out_dir.string() + " " + file.string());
  EXPECT_EQ(out.exit_code, kExitOk) << out.output;
  EXPECT_TRUE(std::filesystem::exists(out_dir / "report.json"));
  EXPECT_TRUE(std::filesystem::exists(out_dir / "junit.xml"));
  EXPECT_TRUE(std::filesystem::exists(out_dir / "report.html"));
}

}  // namespace
}  // namespace candor::scenarios::cli
