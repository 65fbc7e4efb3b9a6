#include "core/providers/twilio_provider.hpp"

#include <chrono>
#include <future>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock/manual_clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/providers/http_util.hpp"
#include "tests/core/providers/loopback_server.hpp"

namespace candor::providers {
namespace {

using namespace std::chrono_literals;
using testing::IoThread;
using testing::LoopbackServer;
using testing::RecordedRequest;
using testing::Reply;
using testing::Script;

constexpr char kAccount[] = "AC0123456789abcdef0123456789abcdef";
constexpr char kService[] = "MG0123456789abcdef0123456789abcdef";
constexpr char kKey[] = "SK0123456789abcdef0123456789abcdef";
constexpr char kCreated[] =
    R"({"sid":"SM0123456789abcdef0123456789abcdef","status":"accepted","from":null})";

TwilioConfig config_for(std::string base_url, clock::WorkTracker* tracker = nullptr) {
  TwilioConfig config{.base_url = std::move(base_url),
                      .account_sid = kAccount,
                      .auth_token = "secret-token",
                      .messaging_service_sid = kService};
  config.http.tracker = tracker;
  config.http.max_attempts = 3;
  return config;
}

OutboundMessage message(domain::MessageId id = 77) {
  return OutboundMessage{.message_id = id, .to = "+15558675310", .body = "Hello & welcome"};
}

/// Decodes a form body into name -> value.
std::map<std::string, std::string> form_of(std::string const& body) {
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start < body.size()) {
    auto const end = std::min(body.find('&', start), body.size());
    auto const pair = body.substr(start, end - start);
    auto const eq = pair.find('=');
    fields[form_decode(pair.substr(0, eq))] = form_decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return fields;
}

struct Harness {
  explicit Harness(Script script, TwilioConfig (*configure)(TwilioConfig) = nullptr)
      : server(std::move(script)) {
    auto config = config_for(server.base_url(), &tracker);
    if (configure != nullptr) {
      config = configure(config);
    }
    auto created = TwilioProvider::create(config, io.io(), clock);
    EXPECT_TRUE(created) << created.error().to_string();
    provider = std::move(*created);
  }

  SendOutcome send(OutboundMessage m = message()) {
    std::promise<SendOutcome> promise;
    auto future = promise.get_future();
    provider->send(std::move(m),
                   [&promise](SendOutcome outcome) { promise.set_value(std::move(outcome)); });
    EXPECT_TRUE(clock.advance(1min));
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    return future.get();
  }

  LoopbackServer server;
  clock::WorkTracker tracker;
  clock::ManualClock clock{clock::from_unix_ms(1'700'000'000'000), {.tracker = &tracker}};
  IoThread io;
  std::unique_ptr<TwilioProvider> provider;
};

Reply twilio_error(int status, int code, std::string message) {
  nlohmann::json body{{"code", code},
                      {"message", message},
                      {"more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code)},
                      {"status", status}};
  return Reply{status, body.dump()};
}

TEST(TwilioProvider, SendsFormPostWithBasicAuth) {
  Harness harness(
      [](RecordedRequest const&, int) {
        return Reply{201, kCreated};
      },
      [](TwilioConfig config) {
        config.status_callback_url = "https://hooks.example.com/twilio/{message_id}";
        return config;
      });

  auto const outcome = harness.send();

  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  EXPECT_EQ(outcome.provider_message_id, "SM0123456789abcdef0123456789abcdef");
  EXPECT_EQ(outcome.raw_status, "accepted");
  EXPECT_EQ(outcome.http_status, 201);
  auto const requests = harness.server.requests();
  ASSERT_EQ(requests.size(), 1u);
  auto const& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, std::string("/2010-04-01/Accounts/") + kAccount + "/Messages.json");
  EXPECT_EQ(request.header("Authorization"), basic_authorization(kAccount, "secret-token"));
  EXPECT_EQ(request.header("Accept"), "application/json");
  EXPECT_EQ(request.header("Content-Type"), "application/x-www-form-urlencoded");
  auto fields = form_of(request.body);
  EXPECT_EQ(fields["To"], "+15558675310");
  EXPECT_EQ(fields["MessagingServiceSid"], kService);
  EXPECT_EQ(fields["Body"], "Hello & welcome");
  EXPECT_EQ(fields["StatusCallback"], "https://hooks.example.com/twilio/77");
  EXPECT_EQ(fields["Attempt"], "1");
  EXPECT_EQ(fields.count("From"), 0u);
}

TEST(TwilioProvider, UsesApiKeyWhenConfigured) {
  Harness harness(
      [](RecordedRequest const&, int) {
        return Reply{201, kCreated};
      },
      [](TwilioConfig config) {
        config.auth_token.clear();
        config.api_key_sid = kKey;
        config.api_key_secret = "key-secret";
        return config;
      });

  harness.send();

  auto const requests = harness.server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("Authorization"), basic_authorization(kKey, "key-secret"));
  EXPECT_NE(requests[0].target.find(kAccount), std::string::npos);
  EXPECT_EQ(form_of(requests[0].body).count("StatusCallback"), 0u);
}

TEST(TwilioProvider, InvalidNumberIsRejectedWithCode) {
  Harness harness([](RecordedRequest const&, int) {
    return twilio_error(400, 21211, "The 'To' number is not a valid phone number.");
  });

  auto const outcome = harness.send();

  EXPECT_EQ(outcome.kind, OutcomeKind::kRejected);
  EXPECT_EQ(outcome.error_code, "21211");
  EXPECT_NE(outcome.error_message.find("not a valid phone number"), std::string::npos);
  EXPECT_EQ(outcome.http_status, 400);
  EXPECT_EQ(harness.server.requests().size(), 1u);
}

TEST(TwilioProvider, AuthenticationFailureIsRejected) {
  Harness harness(
      [](RecordedRequest const&, int) { return twilio_error(401, 20003, "Authenticate"); });

  auto const outcome = harness.send();

  EXPECT_EQ(outcome.kind, OutcomeKind::kRejected);
  EXPECT_EQ(outcome.error_code, "20003");
  EXPECT_EQ(harness.server.requests().size(), 1u);
}

TEST(TwilioProvider, RateLimitThenSuccessIsAccepted) {
  Harness harness([](RecordedRequest const&, int n) {
    return n == 1 ? twilio_error(429, 20429, "Too Many Requests") : Reply{201, kCreated};
  });

  auto const outcome = harness.send();

  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  EXPECT_EQ(harness.server.requests().size(), 2u);
  EXPECT_EQ(harness.provider->stats().retries, 1);
}

TEST(TwilioProvider, RateLimitExhaustedIsRateLimited) {
  Harness harness(
      [](RecordedRequest const&, int) { return twilio_error(429, 20429, "Too Many Requests"); });

  auto const outcome = harness.send();

  EXPECT_EQ(outcome.kind, OutcomeKind::kRateLimited);
  EXPECT_EQ(outcome.error_code, "20429");
  EXPECT_EQ(harness.server.requests().size(), 3u);
}

TEST(TwilioProvider, ServerErrorsExhaustedAreTransient) {
  Harness harness([](RecordedRequest const&, int) { return Reply{503, "<html>busy</html>"}; });

  auto const outcome = harness.send();

  EXPECT_EQ(outcome.kind, OutcomeKind::kTransient);
  EXPECT_EQ(outcome.http_status, 503);
  EXPECT_EQ(harness.server.requests().size(), 3u);
}

TEST(TwilioProvider, MalformedSuccessBodyIsTransient) {
  Harness harness([](RecordedRequest const&, int) { return Reply{201, "not json"}; });

  auto const outcome = harness.send();

  EXPECT_EQ(outcome.kind, OutcomeKind::kTransient);
  EXPECT_EQ(outcome.error_code, "malformed_response");
  EXPECT_NE(outcome.error_message.find("sid"), std::string::npos);
}

TEST(TwilioProvider, ConnectionRefusedIsTransient) {
  clock::WorkTracker tracker;
  clock::ManualClock clock(clock::from_unix_ms(0), {.tracker = &tracker});
  IoThread io;
  auto created = TwilioProvider::create(
      config_for("http://127.0.0.1:" + std::to_string(testing::closed_port()), &tracker), io.io(),
      clock);
  ASSERT_TRUE(created);
  std::promise<SendOutcome> promise;
  auto future = promise.get_future();

  (*created)->send(message(), [&promise](SendOutcome outcome) { promise.set_value(outcome); });
  ASSERT_TRUE(clock.advance(1min));

  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  auto const outcome = future.get();
  EXPECT_EQ(outcome.kind, OutcomeKind::kTransient);
  EXPECT_EQ(outcome.error_code, "connect");
}

TEST(TwilioProvider, MapsOtherErrorBodies) {
  auto map = [](int status, std::string body) {
    return map_twilio_result(HttpResult{.response = HttpResponse{.status = status, .body = body}});
  };
  EXPECT_EQ(map(400, R"({"code":21610,"message":"opted out"})").kind, OutcomeKind::kRejected);
  EXPECT_EQ(map(404, R"({"code":20404,"message":"not found"})").error_code, "20404");
  EXPECT_EQ(map(404, "<html/>").kind, OutcomeKind::kRejected);
  EXPECT_EQ(map(404, "<html/>").error_code, "http_404");
  EXPECT_EQ(map(500, R"({"code":20500,"message":"oops"})").kind, OutcomeKind::kTransient);
  EXPECT_EQ(map(429, "").kind, OutcomeKind::kRateLimited);
}

TEST(TwilioConfig, AcceptsCompleteConfig) {
  EXPECT_TRUE(config_for("https://api.twilio.com").validate());
}

TEST(TwilioConfig, RefusesFromNumberWithoutMessagingService) {
  auto config = config_for("https://api.twilio.com");
  config.messaging_service_sid.clear();
  config.from_number = "+15017122661";

  auto const status = config.validate();

  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::kInvalidArgument);
  EXPECT_NE(status.error().message.find("twilio.from_number"), std::string::npos);
  EXPECT_NE(status.error().message.find("Messaging Service SID"), std::string::npos);
  EXPECT_NE(status.error().message.find("instead of the From number"), std::string::npos);
}

TEST(TwilioConfig, NamesTheBadField) {
  auto expect_field = [](TwilioConfig config, std::string const& field) {
    auto const status = config.validate();
    ASSERT_FALSE(status) << field;
    EXPECT_NE(status.error().message.find(field), std::string::npos) << status.error().message;
  };
  auto base = config_for("https://api.twilio.com");

  auto c = base;
  c.account_sid = "AC123";
  expect_field(c, "twilio.account_sid");
  c = base;
  c.messaging_service_sid = "MGnothex-nothex-nothex-nothex-nothe";
  expect_field(c, "twilio.messaging_service_sid");
  c = base;
  c.messaging_service_sid.clear();
  expect_field(c, "twilio.messaging_service_sid");
  c = base;
  c.auth_token.clear();
  expect_field(c, "twilio.auth_token");
  c = base;
  c.api_key_sid = kKey;
  expect_field(c, "twilio.api_key_secret");
  c = base;
  c.base_url = "api.twilio.com";
  expect_field(c, "twilio.base_url");
  c = base;
  c.status_callback_url = "hooks/{message_id}";
  expect_field(c, "twilio.status_callback_url");
  c = base;
  c.from_number = "+15017122661";
  expect_field(c, "twilio.from_number");
  c = base;
  c.http.max_attempts = 0;
  expect_field(c, "twilio.http.max_attempts");
}

TEST(TwilioConfig, CreateRefusesInvalidConfig) {
  IoThread io;
  clock::ManualClock clock(clock::from_unix_ms(0));
  auto created = TwilioProvider::create(TwilioConfig{}, io.io(), clock);
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message.find("twilio.account_sid"), std::string::npos);
}

}  // namespace
}  // namespace candor::providers
