#include "scenarios/cli/fake_command.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock/system_clock.hpp"
#include "fakes/http/client.hpp"
#include "fakes/http/codec.hpp"
#include "fakes/http/server.hpp"
#include "scenarios/cli/cli.hpp"

extern char** environ;

namespace candor::scenarios::cli {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

/// `candor fake ...` run to completion: exit code and both streams.
std::pair<int, std::string> run_fake(std::string const& args) {
  std::string const command = std::string(CANDOR_CLI_PATH) + " fake " + args + " 2>&1";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return {-1, ""};
  }
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    output += buffer.data();
  }
  int const status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

/// `candor fake ...` serving in the background; its printed "name: value" lines.
class ServingFake {
 public:
  explicit ServingFake(std::vector<std::string> args) {
    args.insert(args.begin(), {CANDOR_CLI_PATH, "fake"});
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);

    int fds[2];
    if (pipe(fds) != 0) {
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
      pid_ = 0;
    }
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fdopen(fds[0], "r");

    // Everything is printed at once, ending with the test_credentials line.
    std::array<char, 512> line{};
    while (pid_ != 0 && std::fgets(line.data(), line.size(), out_) != nullptr) {
      std::string text = line.data();
      text.erase(text.find_last_not_of('\n') + 1);
      if (text.starts_with("fake twilio listening on ")) {
        printed_["url"] = text.substr(25);
      } else if (auto const colon = text.find(": "); colon != std::string::npos) {
        printed_[text.substr(0, colon)] = text.substr(colon + 2);
      }
      if (text.starts_with("test_credentials:")) {
        break;
      }
    }
  }
  ~ServingFake() {
    if (pid_ != 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) {
      std::fclose(out_);
    }
  }
  ServingFake(ServingFake const&) = delete;
  ServingFake& operator=(ServingFake const&) = delete;

  std::string printed(std::string const& name) const {
    auto const it = printed_.find(name);
    return it == printed_.end() ? "" : it->second;
  }

  /// Sends SIGTERM and returns the exit code.
  int stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = 0;
  FILE* out_ = nullptr;
  std::map<std::string, std::string> printed_;
};

fakes::http::ClientResult call(fakes::http::HttpClient& client, fakes::http::ClientRequest r) {
  std::promise<fakes::http::ClientResult> promise;
  auto future = promise.get_future();
  client.send(std::move(r),
              [&](fakes::http::ClientResult const& result) { promise.set_value(result); });
  EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
  return future.get();
}

TEST(FakeCommand, RefusesMalformedTwilioOptionsNamingThem) {
  struct Case {
    std::string args;
    std::string message;
  };
  std::string const key = "SK0123456789abcdef0123456789abcdef";
  Case const cases[] = {
      {"--account-sid AC123", "--account-sid: expected AC followed by 32 hex digits"},
      {"--account-sid XX0123456789abcdef0123456789abcdef", "--account-sid"},
      {"--auth-token not-a-token", "--auth-token: expected 32 hex digits"},
      {"--api-key-sid " + key, "--api-key-sid and --api-key-secret go together"},
      {"--api-key-sid SK1 --api-key-secret abc", "--api-key-sid: expected SK"},
      {"--api-key-sid " + key + " --api-key-secret short", "--api-key-secret: expected 32"},
      {"--services MG1", "--services: \"MG1\" is not MG followed by 32 hex digits"},
      {"--services MG0123456789abcdef0123456789abcdef=12", "must be an E.164 number"},
      {"--services MG0123456789abcdef0123456789abcdef,MG0123456789abcdef0123456789abcdef",
       "is given twice"},
      {"--inbound-url nowhere", "--inbound-url: url 'nowhere': no scheme"},
      {"--callback-url ftp://x/y", "--callback-url"},
  };
  for (auto const& c : cases) {
    auto const [code, output] = run_fake("twilio --port 0 " + c.args);
    EXPECT_EQ(code, kExitUsage) << c.args;
    EXPECT_THAT(output, HasSubstr(c.message)) << c.args;
  }
  // A secret is never echoed back.
  EXPECT_THAT(run_fake("twilio --port 0 --auth-token s3cr3t-value").second,
              Not(HasSubstr("s3cr3t-value")));
  auto const [code, output] = run_fake("smtp --port 0 --inbound-url http://x/");
  EXPECT_EQ(code, kExitUsage);
  EXPECT_THAT(output, HasSubstr("--inbound-url: only for twilio, not smtp"));
}

TEST(FakeCommand, HelpTellsTheTruthAboutCredentials) {
  auto const [code, help] = run_fake("--help");
  EXPECT_EQ(code, kExitOk);
  EXPECT_THAT(help, Not(HasSubstr("generated")));
  for (char const* option :
       {"--inbound-url", "--api-key-sid", "--api-key-secret", "--services", "--test-credentials"}) {
    EXPECT_THAT(help, HasSubstr(option));
  }
}

TEST(FakeCommand, TwilioSendsInboundAndStatusToTheirOwnUrls) {
  clock::SystemClock clock;
  fakes::http::HttpServer receiver(clock, {.log_name = "test.receiver"});
  receiver.route("POST", "/{kind}",
                 [](fakes::http::Request const&) { return fakes::http::Response::text(200, ""); });
  ASSERT_TRUE(receiver.start().ok());
  std::string const key = "SK00112233445566778899aabbccddeeff";
  std::string const secret = "0123456789abcdefABCDEF0123456789";
  std::string const extra = "MGffffffffffffffffffffffffffffffff";
  ServingFake fake({"twilio", "--port", "0", "--callback-url", receiver.base_url() + "/status",
                    "--inbound-url", receiver.base_url() + "/inbound", "--api-key-sid", key,
                    "--api-key-secret", secret, "--services", extra + "=+15551230000"});
  auto const url = fake.printed("url");
  ASSERT_THAT(url, HasSubstr("http://127.0.0.1:"));
  EXPECT_EQ(fake.printed("account_sid"), "AC0123456789abcdef0123456789abcdef");
  EXPECT_EQ(fake.printed("api_key_sid"), key);
  EXPECT_EQ(fake.printed("test_credentials"), "off");

  // A message through the extra service, authenticated with the API key.
  fakes::http::HttpClient client(clock);
  auto const created =
      call(client,
           {.url = url + "/2010-04-01/Accounts/" + fake.printed("account_sid") + "/Messages.json",
            .headers = {{"Authorization", fakes::http::basic_auth_header(key, secret)}},
            .body = "To=%2B15558675310&MessagingServiceSid=" + extra + "&Body=hi",
            .content_type = "application/x-www-form-urlencoded"});
  EXPECT_EQ(created.status, 201) << created.body;
  auto const inbound = call(client, {.url = url + "/__admin/inbound",
                                     .body = R"({"from":"+15558675310","to":"+15551230000",)"
                                             R"("body":"hello"})",
                                     .content_type = "application/json"});
  EXPECT_EQ(inbound.status, 200) << inbound.body;

  // queued arrives after 200 ms of real time; the inbound message at once.
  ASSERT_TRUE(receiver.wait_for_requests(2, 10s));
  std::map<std::string, std::string> bodies;
  for (auto const& entry : receiver.journal()) {
    bodies[entry.target] = entry.body;
  }
  EXPECT_THAT(bodies["/inbound"], HasSubstr("Body=hello"));
  EXPECT_THAT(bodies["/inbound"], HasSubstr("MessagingServiceSid=" + extra));
  EXPECT_THAT(bodies["/status"], HasSubstr("MessageStatus=queued"));
  EXPECT_EQ(fake.stop(), kExitOk);
}

TEST(FakeCommand, TwilioTestCredentialsFollowMagicNumbers) {
  ServingFake fake({"twilio", "--port", "0", "--test-credentials"});
  EXPECT_EQ(fake.printed("test_credentials"), "on");
  clock::SystemClock clock;
  fakes::http::HttpClient client(clock);
  auto const send = [&](std::string const& to) {
    return call(
        client,
        {.url = fake.printed("url") + "/2010-04-01/Accounts/" + fake.printed("account_sid") +
                "/Messages.json",
         .headers = {{"Authorization", fakes::http::basic_auth_header(fake.printed("account_sid"),
                                                                      fake.printed("auth_token"))}},
         .body = "From=%2B15005550006&Body=x&To=" + to,
         .content_type = "application/x-www-form-urlencoded"});
  };
  EXPECT_EQ(send("%2B15558675310").status, 201);
  auto const refused = send("%2B15005550004");
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.body, HasSubstr("21610"));
  EXPECT_EQ(fake.stop(), kExitOk);
}

}  // namespace
}  // namespace candor::scenarios::cli
