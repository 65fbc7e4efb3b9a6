// What the core and the fakes log over a busy run must never carry a secret, a
// candidate's full phone number or a full e-mail address. The run goes through
// every path that logs about a message: sends, failures, retries, refused
// credentials, forged and unsigned callbacks, inbound replies and opt-outs,
// e-mail accepted and refused, at debug level.

#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include "core/common/log.hpp"
#include "scenarios/world.hpp"

namespace candor::scenarios {
namespace {

using namespace std::chrono_literals;
using domain::Channel;
using domain::ContextKind;

constexpr int kPeople = 6;

domain::Candidate person(int i) {
  return domain::Candidate{.id = i,
                           .candidate_number = fmt::format("CAND-{:06}", i),
                           .first_name = fmt::format("Ann{}", i),
                           .last_name = "Lee",
                           .email = fmt::format("ann.lee{}@example.com", i),
                           .phone = fmt::format("+1415555{:04}", 7100 + i)};
}

/// Everything logged from construction on, at debug level.
class LogCapture {
 public:
  LogCapture() {
    static auto const sink = [] {
      auto created = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream(), true);
      log::add_sink_for_test(created);
      return created;
    }();
    (void)sink;
    log::set_level("debug");
    std::lock_guard lock(mutex());
    stream().str("");
  }
  ~LogCapture() { log::set_level("warn"); }
  LogCapture(LogCapture const&) = delete;
  LogCapture& operator=(LogCapture const&) = delete;

  std::string text() const {
    std::lock_guard lock(mutex());
    return stream().str();
  }

 private:
  static std::ostringstream& stream() {
    static std::ostringstream out;
    return out;
  }
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
};

TEST(LogHygiene, NoSecretNumberOrAddressReachesALogLine) {
  LogCapture capture;
  WorldOptions options{.sms = SmsChoice::kTwilio, .email = true};
  for (int i = 1; i <= kPeople; ++i) {
    options.candidates.push_back(person(i));
  }
  options.fake_twilio.outcomes = {
      {.outcome = fakes::twilio::Outcome::kDelivered},
      {.outcome = fakes::twilio::Outcome::kUndelivered, .error_code = 30003}};
  options.fake_smtp.auth = fakes::smtp::SmtpCredentials{"mailer", "smtp-Pa55word"};
  options.fake_smtp.reject_rules = {{.domain = "example.com", .code = 550}};
  auto created = World::create(std::move(options));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  auto& world = **created;

  // A 503 outage, retried; then sends that go through.
  world.twilio()->server_error_next(2, 503);
  std::vector<domain::CandidateId> everyone;
  for (int i = 1; i <= kPeople; ++i) {
    everyone.push_back(i);
  }
  ASSERT_TRUE(world.messenger().send_message({.channel = Channel::kSms,
                                              .context = {ContextKind::kRequisition, "R-1"},
                                              .body = "Hi {{FirstName}}",
                                              .candidates = everyone}));
  ASSERT_TRUE(world.advance(10min).ok());

  // Replies: a STOP, a START, one from a stranger.
  ASSERT_TRUE(world.inbound(person(1).phone, "STOP").ok());
  ASSERT_TRUE(world.inbound(person(1).phone, "START").ok());
  ASSERT_TRUE(world.inbound("+14155559876", "who is this?").ok());
  ASSERT_TRUE(world.advance(1min).ok());

  // E-mail refused by the relay for every address.
  ASSERT_TRUE(world.messenger().send_message({.channel = Channel::kEmail,
                                              .context = {ContextKind::kPool, "P-1"},
                                              .subject = "Hello {{FirstName}}",
                                              .body = "Dear {{FullName}}",
                                              .candidates = {1, 2}}));
  ASSERT_TRUE(world.advance(10min).ok());

  auto const logged = capture.text();
  ASSERT_THAT(logged, ::testing::HasSubstr("[dispatch]")) << "nothing was captured";
  std::vector<std::string> secrets = {world.twilio()->config().auth_token, "smtp-Pa55word",
                                      world.options().syniverse_webhook_password, "+14155559876"};
  for (int i = 1; i <= kPeople; ++i) {
    secrets.push_back(person(i).phone);
    secrets.push_back(person(i).email);
    // The national digits alone are as telling as the full number.
    secrets.push_back(person(i).phone.substr(2));
  }
  for (auto const& secret : secrets) {
    EXPECT_THAT(logged, ::testing::Not(::testing::HasSubstr(secret))) << "logged: " << secret;
  }
}

}  // namespace
}  // namespace candor::scenarios
