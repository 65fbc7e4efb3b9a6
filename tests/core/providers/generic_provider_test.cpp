#include "core/providers/generic_provider.hpp"

#include <chrono>
#include <future>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock/system_clock.hpp"
#include "core/providers/http_util.hpp"
#include "tests/core/providers/loopback_server.hpp"

namespace candor::providers {
namespace {

using namespace std::chrono_literals;
using testing::IoThread;
using testing::LoopbackServer;
using testing::RecordedRequest;
using testing::Reply;

TEST(GenericProvider, SendsTemplatedJsonWithHeadersAndBasicAuth) {
  LoopbackServer server([](RecordedRequest const&, int) {
    return Reply{202, R"({"data":{"message_id":1234}})"};
  });
  IoThread io;
  clock::SystemClock clock;
  GenericSmsConfig config{.url = server.base_url() + "/sms/send",
                          .headers = {{"X-Api-Key", "k"}},
                          .basic_user = "user",
                          .basic_password = "pass",
                          .id_field = "data.message_id"};
  auto created = GenericProvider::create(config, io.io(), clock);
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_FALSE((*created)->has_delivery_callbacks());
  std::promise<SendOutcome> promise;
  auto future = promise.get_future();

  (*created)->send(
      OutboundMessage{.message_id = 3, .to = "+447700900123", .body = "Line 1\nSay \"hi\""},
      [&promise](SendOutcome outcome) { promise.set_value(outcome); });
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);

  auto const outcome = future.get();
  EXPECT_EQ(outcome.kind, OutcomeKind::kAccepted);
  EXPECT_EQ(outcome.provider_message_id, "1234");
  EXPECT_EQ(outcome.raw_status, "202");
  auto const requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/sms/send");
  EXPECT_EQ(requests[0].header("X-Api-Key"), "k");
  EXPECT_EQ(requests[0].header("Authorization"), basic_authorization("user", "pass"));
  auto const body = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(body["to"], "+447700900123");
  EXPECT_EQ(body["body"], "Line 1\nSay \"hi\"");
}

TEST(GenericProvider, RendersPlaceholdersJsonEscaped) {
  EXPECT_EQ(render_generic_body(R"({"n":"${RECIPIENT_PHONE_NUMBER}","t":"${MESSAGE_BODY}"})", "+1",
                                "a\"b\\"),
            R"({"n":"+1","t":"a\"b\\"})");
}

TEST(GenericProvider, MapsStatuses) {
  auto map = [](int status, std::string body) {
    return map_generic_result(HttpResult{.response = HttpResponse{.status = status, .body = body}},
                              "id");
  };
  EXPECT_EQ(map(200, "not json").kind, OutcomeKind::kAccepted);
  EXPECT_EQ(map(200, "not json").provider_message_id, "");
  EXPECT_EQ(map(200, R"({"id":"x"})").provider_message_id, "x");
  EXPECT_EQ(map(400, "").kind, OutcomeKind::kRejected);
  EXPECT_EQ(map(400, "").error_code, "http_400");
  EXPECT_EQ(map(429, "").kind, OutcomeKind::kRateLimited);
  EXPECT_EQ(map(502, "").kind, OutcomeKind::kTransient);
  EXPECT_EQ(map_generic_result(HttpResult{.failure = HttpFailure::kTimeout}, "").kind,
            OutcomeKind::kTransient);
}

TEST(GenericSmsConfig, NamesTheBadField) {
  GenericSmsConfig const base{.url = "https://sms.example.com/send"};
  EXPECT_TRUE(base.validate());

  auto c = base;
  c.url = "";
  EXPECT_NE(c.validate().error().message.find("generic.url"), std::string::npos);
  c = base;
  c.method = "GET";
  EXPECT_NE(c.validate().error().message.find("generic.method"), std::string::npos);
  c = base;
  c.body_template = R"({"body":"${MESSAGE_BODY}"})";
  EXPECT_NE(c.validate().error().message.find("RECIPIENT_PHONE_NUMBER"), std::string::npos);
  c = base;
  c.body_template = R"({"to":${RECIPIENT_PHONE_NUMBER}})";
  EXPECT_NE(c.validate().error().message.find("not valid JSON"), std::string::npos);
  c = base;
  c.basic_password = "p";
  EXPECT_NE(c.validate().error().message.find("generic.basic_user"), std::string::npos);
  c = base;
  c.headers = {{"X-Bad", "a\r\nb"}};
  EXPECT_NE(c.validate().error().message.find("generic.headers"), std::string::npos);
}

}  // namespace
}  // namespace candor::providers
