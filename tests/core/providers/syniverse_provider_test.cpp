#include "core/providers/syniverse_provider.hpp"

#include <chrono>
#include <future>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock/manual_clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "tests/core/providers/loopback_server.hpp"

namespace candor::providers {
namespace {

using namespace std::chrono_literals;
using testing::IoThread;
using testing::LoopbackServer;
using testing::RecordedRequest;
using testing::Reply;

SyniverseConfig config_for(std::string base_url) {
  SyniverseConfig config{.base_url = std::move(base_url),
                         .access_token = "bearer-secret",
                         .channel_id = "1KJPMkuHQkair_o15etpmg"};
  config.http.max_attempts = 2;
  return config;
}

Reply scg_error(int status, std::string code, std::string description) {
  return Reply{status,
               nlohmann::json{{"error_code", code}, {"error_description", description}}.dump()};
}

SendOutcome map(int status, std::string body) {
  return map_syniverse_result(
      HttpResult{.response = HttpResponse{.status = status, .body = std::move(body)}});
}

TEST(SyniverseProvider, SendsJsonWithBearerToken) {
  LoopbackServer server([](RecordedRequest const&, int) {
    return Reply{200, R"({"id":"6QX2csWrr064RzxhwHo0m7"})"};
  });
  clock::WorkTracker tracker;
  clock::ManualClock clock(clock::from_unix_ms(0), {.tracker = &tracker});
  IoThread io;
  auto config = config_for(server.base_url());
  config.http.tracker = &tracker;
  auto created = SyniverseProvider::create(config, io.io(), clock);
  ASSERT_TRUE(created) << created.error().to_string();
  std::promise<SendOutcome> promise;
  auto future = promise.get_future();

  (*created)->send(OutboundMessage{.message_id = 9001, .to = "+15551231234", .body = "Hi \"Jo\""},
                   [&promise](SendOutcome outcome) { promise.set_value(outcome); });
  ASSERT_TRUE(clock.settle());
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);

  auto const outcome = future.get();
  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  EXPECT_EQ(outcome.provider_message_id, "6QX2csWrr064RzxhwHo0m7");
  EXPECT_TRUE((*created)->has_delivery_callbacks());
  auto const requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/scg-external-api/api/v1/messaging/message_requests");
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer bearer-secret");
  EXPECT_EQ(requests[0].header("Content-Type"), "application/json");
  auto const body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body["from"], "channel:1KJPMkuHQkair_o15etpmg");
  EXPECT_EQ(body["to"], nlohmann::json::array({"+15551231234"}));
  EXPECT_EQ(body["body"], "Hi \"Jo\"");
  EXPECT_EQ(body["external_id"], "9001");
}

TEST(SyniverseProvider, UsesSenderIdWhenConfigured) {
  clock::ManualClock clock(clock::from_unix_ms(0));
  IoThread io;
  auto config = config_for("https://api.syniverse.com");
  config.channel_id.clear();
  config.sender_id = "abc";
  auto created = SyniverseProvider::create(config, io.io(), clock);
  ASSERT_TRUE(created);

  auto const request = (*created)->build_request(OutboundMessage{.message_id = 1, .to = "+1"});

  EXPECT_EQ(nlohmann::json::parse(request.body)["from"], "sender_id:abc");
  EXPECT_EQ(request.url,
            "https://api.syniverse.com/scg-external-api/api/v1/messaging/message_requests");
}

TEST(SyniverseProvider, AcceptsAny2xxWithId) {
  auto const outcome = map(201, R"({"id":"abc"})");
  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  EXPECT_EQ(outcome.provider_message_id, "abc");
  EXPECT_EQ(map(200, R"({"nope":1})").kind, OutcomeKind::kTransient);
  EXPECT_EQ(map(200, "garbage").error_code, "malformed_response");
}

TEST(SyniverseProvider, MapsScgErrors) {
  auto unauthorized = map(401, R"({"error_code":"SCG_ERROR_4010","error_description":"no"})");
  EXPECT_EQ(unauthorized.kind, OutcomeKind::kRejected);
  EXPECT_EQ(unauthorized.error_code, "SCG_ERROR_4010");
  EXPECT_EQ(unauthorized.error_message, "no");

  auto expired = map(404, R"({"error_code":"SCG_ERROR_4046","error_description":"expired"})");
  EXPECT_EQ(expired.kind, OutcomeKind::kRejected);
  EXPECT_EQ(expired.error_code, "SCG_ERROR_4046");

  EXPECT_EQ(map(429, "").kind, OutcomeKind::kRateLimited);
  EXPECT_EQ(map(402, R"({"error_code":"SCG_ERROR_4021"})").kind, OutcomeKind::kRateLimited);
  EXPECT_EQ(map(503, R"({"error_code":"SCG_ERROR_5030"})").kind, OutcomeKind::kTransient);

  auto invalid = map(400, R"({"error_code":40024,"error_description":"bad recipient"})");
  EXPECT_EQ(invalid.kind, OutcomeKind::kRejected);
  EXPECT_EQ(invalid.error_code, "SCG_ERROR_40024");
  EXPECT_EQ(map(400, "<html/>").error_code, "http_400");
}

TEST(SyniverseProvider, RetriesServerErrorsThenReportsTransient) {
  LoopbackServer server(
      [](RecordedRequest const&, int) { return scg_error(500, "SCG_ERROR_5000", "internal"); });
  clock::WorkTracker tracker;
  clock::ManualClock clock(clock::from_unix_ms(0), {.tracker = &tracker});
  IoThread io;
  auto config = config_for(server.base_url());
  config.http.tracker = &tracker;
  auto created = SyniverseProvider::create(config, io.io(), clock);
  ASSERT_TRUE(created);
  std::promise<SendOutcome> promise;
  auto future = promise.get_future();

  (*created)->send(OutboundMessage{.message_id = 5, .to = "+15551231234", .body = "x"},
                   [&promise](SendOutcome outcome) { promise.set_value(outcome); });
  ASSERT_TRUE(clock.advance(1min));
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);

  auto const outcome = future.get();
  EXPECT_EQ(outcome.kind, OutcomeKind::kTransient);
  EXPECT_EQ(outcome.error_code, "SCG_ERROR_5000");
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(SyniverseConfig, NamesTheBadField) {
  auto config = config_for("https://api.syniverse.com");
  EXPECT_TRUE(config.validate());

  auto no_token = config;
  no_token.access_token.clear();
  EXPECT_NE(no_token.validate().error().message.find("syniverse.access_token"), std::string::npos);

  auto both = config;
  both.sender_id = "x";
  EXPECT_NE(both.validate().error().message.find("exactly one"), std::string::npos);

  auto neither = config;
  neither.channel_id.clear();
  EXPECT_NE(neither.validate().error().message.find("syniverse.channel_id"), std::string::npos);

  auto bad_url = config;
  bad_url.base_url = "nope";
  EXPECT_NE(bad_url.validate().error().message.find("syniverse.base_url"), std::string::npos);
}

}  // namespace
}  // namespace candor::providers
