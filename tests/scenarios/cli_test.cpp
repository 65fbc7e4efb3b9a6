#include "scenarios/cli/cli.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock/system_clock.hpp"
#include "fakes/http/client.hpp"
#include "fakes/http/codec.hpp"
#include "fakes/http/server.hpp"
#include "scenarios/cli/fake_command.hpp"
#include "tests/support/scratch_dir.hpp"

namespace candor::scenarios::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

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

/// This test process's own folder for scenario files and reports.
std::filesystem::path const& scratch() {
  static testing_support::ScratchDir const dir("candor-cli-test-");
  return dir.path();
}

std::filesystem::path write_file(std::string const& name, std::string const& text) {
  std::ofstream(scratch() / name) << text;
  return scratch() / name;
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
}

TEST(Cli, ValidateCatchesWhatOnlyTheRunUsedToRefuse) {
  auto const bad = write_file("run_time_only.yaml", R"(name: run time only
policy: {allowed_countries: [US, XX], default_region: QQ}
providers:
  sms:
    kind: twilio
    outcomes: [{result: failed, error_code: abc}]
    faults: {latency: 1s}
candidates: [{id: 1, phone: "+14155550101"}]
steps:
  - set_policy: {blocked_numbers: ["+1415555"]}
)");
  Outcome const out = run_candor("validate " + bad.string());
  EXPECT_EQ(out.exit_code, kExitUsage) << out.output;
  for (char const* expected :
       {"run_time_only.yaml:2:34: policy.allowed_countries[1]: \"XX\" is not a region code",
        "run_time_only.yaml:2:55: policy.default_region: \"QQ\" is not a region code",
        "run_time_only.yaml:6:45: providers.sms.outcomes[0].error_code: expected a Twilio error "
        "code",
        "run_time_only.yaml:7:23: providers.sms.faults.latency: API latency is not supported",
        "run_time_only.yaml:10:36: steps[0].set_policy.blocked_numbers[0]: phone '+1415555'"}) {
    EXPECT_THAT(out.output, HasSubstr(expected));
  }
  EXPECT_EQ(run_candor("run " + bad.string()).exit_code, kExitUsage);
}

TEST(Cli, RefusesAnUnusableOutFolderBeforeRunningAnything) {
  auto const file = write_file("passing.yaml", kPassing);
  auto const blocker = write_file("not_a_folder", "x");
  Outcome const out =
      run_candor("run --out " + (blocker / "reports").string() + " " + file.string());
  EXPECT_EQ(out.exit_code, kExitUsage) << out.output;
  EXPECT_THAT(out.output, HasSubstr("candor run: --out: cannot create the folder"));
  EXPECT_THAT(out.output, Not(HasSubstr("PASS")));
}

TEST(Cli, ShowsNoProgressWhenNotOnATerminal) {
  auto const file = write_file("passing.yaml", kPassing);
  Outcome const out = run_candor("run " + file.string());
  EXPECT_EQ(out.output.find('\r'), std::string::npos);
}

TEST(Cli, UpdatesProgressOnATerminalDuringALongStep) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "script(1) is needed to give candor a terminal";
  }
  auto const file = write_file("long_step.yaml", R"(name: long step
providers: {sms: {kind: generic}}
candidates:
  generate: {count: 2000, countries: {US: 1}}
steps:
  - send_message: {channel: sms, body: "Hi {{FirstName}}", candidates: all}
)");
  std::string const command = std::string("script -qec '") + CANDOR_CLI_PATH + " run " +
                              file.string() + " --format none' /dev/null";
  Outcome outcome;
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::array<char, 4096> buffer{};
  std::size_t read = 0;
  while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    outcome.output.append(buffer.data(), read);
  }
  pclose(pipe);

  // The line for step 1 is rewritten while the send runs, with time and requests.
  std::size_t updates = 0;
  for (std::size_t at = outcome.output.find("\r[1/1] long step: step 1/1"); at != std::string::npos;
       at = outcome.output.find("\r[1/1] long step: step 1/1", at + 1)) {
    ++updates;
  }
  EXPECT_GE(updates, 2u) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr(" requests"));
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
  auto const out_dir = scratch() / "out";
  std::filesystem::remove_all(out_dir);
  Outcome const out = run_candor("run --quiet --out " + out_dir.string() + " " + file.string());
  EXPECT_EQ(out.exit_code, kExitOk) << out.output;
  EXPECT_TRUE(std::filesystem::exists(out_dir / "report.json"));
  EXPECT_TRUE(std::filesystem::exists(out_dir / "junit.xml"));
  EXPECT_TRUE(std::filesystem::exists(out_dir / "report.html"));
}

// ---------------------------------------------------------------------------
// candor fake

TEST(CliFake, RefusesOptionsForAnotherKindOrWithBadValues) {
  struct Case {
    char const* args;
    char const* message;
  };
  for (auto const& c : std::vector<Case>{
           {"fake syniverse --port 0 --callback-user ess",
            "--callback-user and --callback-password: give both or neither"},
           {"fake syniverse --port 0 --callback-user ess --callback-password pw",
            "--callback-user: needs --callback-url"},
           {"fake syniverse --port 0 --callback-url http://127.0.0.1:9/e --callback-user a:b "
            "--callback-password pw",
            "--callback-user: must not contain ':'"},
           {"fake syniverse --port 0 --callback-url ftp://127.0.0.1/e", "--callback-url: "},
           {"fake syniverse --port 0 --callback-url https://127.0.0.1/e",
            "must be http:// (the fakes have no TLS)"},
           {"fake syniverse --port 0 --callback-url=", "--callback-url: must not be empty"},
           {"fake syniverse --port 0 --token 'two words'", "--token: must be one word"},
           {"fake twilio --port 0 --callback-user ess --callback-password pw",
            "--callback-user: only for syniverse, not twilio"},
           {"fake smtp --port 0 --token t", "--token: only for syniverse and generic, not smtp"},
           {"fake generic --port 0 --account-sid AC1", "--account-sid: only for twilio"},
           {"fake syniverse --port 0 --admin-port 0", "--admin-port: only for smtp"},
           {"fake smtp --port 2525 --admin-port 2525", "--admin-port: must differ from --port"},
           {"fake smtp --port 0 --admin-port 70000", "--admin-port: expected 0 to 65535"},
           {"fake fax --port 0", "unknown kind \"fax\""},
       }) {
    Outcome const out = run_candor(c.args);
    EXPECT_EQ(out.exit_code, kExitUsage) << c.args;
    EXPECT_THAT(out.output, HasSubstr(c.message)) << c.args;
  }
}

/// The built binary running `fake ...` in the background, its stdout readable.
class FakeProcess {
 public:
  explicit FakeProcess(std::vector<std::string> args) {
    int pipe_fds[2];
    EXPECT_EQ(::pipe(pipe_fds), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], STDOUT_FILENO);
      ::close(pipe_fds[0]);
      std::vector<char*> argv{const_cast<char*>(CANDOR_CLI_PATH)};
      for (auto& a : args) {
        argv.push_back(a.data());
      }
      argv.push_back(nullptr);
      ::execv(CANDOR_CLI_PATH, argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    out_ = ::fdopen(pipe_fds[0], "r");
  }
  ~FakeProcess() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) {
      std::fclose(out_);
    }
  }
  FakeProcess(FakeProcess const&) = delete;
  FakeProcess& operator=(FakeProcess const&) = delete;

  /// The lines printed up to and including the one starting with `last`.
  std::vector<std::string> read_until(std::string const& last) {
    std::vector<std::string> lines;
    std::array<char, 1024> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), out_) != nullptr) {
      std::string line = buffer.data();
      if (!line.empty() && line.back() == '\n') {
        line.pop_back();
      }
      lines.push_back(line);
      if (line.rfind(last, 0) == 0) {
        break;
      }
    }
    return lines;
  }

  void signal(int number) { ::kill(pid_, number); }

  /// The exit code once the process ends within `timeout`; nullopt otherwise.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exit_code_;
      }
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::optional<int> exit_code_;
};

/// The URL after "<prefix>" in `lines` ("admin: http://..." -> "http://...").
std::string value_of(std::vector<std::string> const& lines, std::string const& prefix) {
  for (auto const& line : lines) {
    if (line.rfind(prefix, 0) == 0) {
      auto value = line.substr(prefix.size());
      return value.substr(0, value.find(' '));
    }
  }
  return "";
}

fakes::http::ClientResult call(clock::Clock& clock, std::string const& method,
                               std::string const& url, std::string body = "") {
  fakes::http::HttpClient client(clock);
  std::promise<fakes::http::ClientResult> done;
  client.send(
      {.method = method, .url = url, .body = std::move(body), .content_type = "application/json"},
      [&done](fakes::http::ClientResult const& r) { done.set_value(r); });
  return done.get_future().get();
}

TEST(CliFake, SyniverseDeliversEventsWithTheGivenBasicCredentialsAndStopsOnSigterm) {
  clock::SystemClock clock;
  fakes::http::HttpServer receiver(clock, {.log_name = "test.receiver"});
  receiver.route("POST", "/ess", [](fakes::http::Request const&) {
    return fakes::http::Response::text(200, "OK");
  });
  ASSERT_TRUE(receiver.start().ok());

  FakeProcess fake({"fake", "syniverse", "--port", "0", "--callback-url",
                    receiver.base_url() + "/ess", "--callback-user", "ess", "--callback-password",
                    "s3cret"});
  auto const lines = fake.read_until("admin:");
  EXPECT_THAT(lines, ::testing::Contains("events: POST " + receiver.base_url() +
                                         "/ess with Basic user 'ess'"));
  for (auto const& line : lines) {
    EXPECT_THAT(line, Not(HasSubstr("s3cret")));
  }
  auto const admin = value_of(lines, "admin: ");
  ASSERT_FALSE(admin.empty());

  auto const injected =
      call(clock, "POST", admin + "/inbound", R"({"from":"+15551230001","body":"hi"})");
  ASSERT_EQ(injected.status, 200) << injected.body;
  ASSERT_TRUE(receiver.wait_for_requests(1, 5s));
  auto const auth = fakes::http::find_header(receiver.journal().at(0).headers, "Authorization");
  ASSERT_TRUE(auth.has_value());
  auto const credentials = fakes::http::parse_basic_auth(*auth);
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->user, "ess");
  EXPECT_EQ(credentials->password, "s3cret");

  fake.signal(SIGTERM);
  EXPECT_EQ(fake.wait_exit(5s), kExitOk);
}

TEST(CliFake, SmtpPrintsItsAdminApiAndStopsOnSigint) {
  clock::SystemClock clock;
  FakeProcess fake({"fake", "smtp", "--port", "0"});
  auto const lines = fake.read_until("admin:");
  ASSERT_THAT(lines, ::testing::Contains(::testing::StartsWith("fake smtp listening on smtp://")));
  auto const admin = value_of(lines, "admin: ");
  ASSERT_FALSE(admin.empty());

  auto const stats = call(clock, "GET", admin + "/stats");
  EXPECT_EQ(stats.status, 200);
  EXPECT_EQ(nlohmann::json::parse(stats.body)["sessions"], 0);

  fake.signal(SIGINT);
  EXPECT_EQ(fake.wait_exit(5s), kExitOk);
}

/// Runs serve_until_signal() in a child process whose stop never returns; the parent
/// sends `signals` SIGTERMs and reports how the child ended.
std::optional<int> hung_stop_exit(int signals, std::chrono::milliseconds grace) {
  pid_t const pid = ::fork();
  if (pid == 0) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::ostringstream ignored;
    serve_until_signal(
        set, [] { std::promise<void>().get_future().wait(); }, ignored, grace);
    ::_exit(42);
  }
  for (int i = 0; i < signals; ++i) {
    std::this_thread::sleep_for(100ms);
    ::kill(pid, SIGTERM);
  }
  auto const deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return std::nullopt;
}

TEST(CliFake, AHungStopEndsOnASecondSignalOrAfterTheGracePeriod) {
  EXPECT_EQ(hung_stop_exit(2, 60s), kExitFailed);
  EXPECT_EQ(hung_stop_exit(1, 300ms), kExitFailed);
}

}  // namespace
}  // namespace candor::scenarios::cli
