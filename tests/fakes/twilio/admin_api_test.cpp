#include "fakes/twilio/admin_api.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/fakes/twilio/twilio_fixture.hpp"

namespace candor::fakes::twilio {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

class AdminApiTest : public TwilioFixture {
 protected:
  http::ClientResult admin(std::string const& path, json const& body) {
    return call(http::ClientRequest{
        .url = fake_->base_url() + path, .body = body.dump(), .content_type = "application/json"});
  }

  http::Fields service_form() {
    return {{"To", "+15558675310"},
            {"MessagingServiceSid", "MG00000000000000000000000000000001"},
            {"Body", "Hi"}};
  }
};

TEST_F(AdminApiTest, OutcomesAndDelaysChangeNewMessages) {
  start_fake();
  ASSERT_EQ(
      admin("/__admin/outcomes", {{"outcomes", {{{"outcome", "failed"}, {"error_code", 30007}}}}})
          .status,
      200);
  ASSERT_EQ(admin("/__admin/delays", {{"queued_ms", 0}, {"sent_ms", 5000}}).status, 200);

  ASSERT_EQ(create(service_form()).status, 201);
  advance(4999ms);
  EXPECT_EQ(received().size(), 1u);
  advance(1ms);
  auto const callbacks = received();
  ASSERT_EQ(callbacks.size(), 2u);
  EXPECT_EQ(http::find_field(callbacks[1], "ErrorCode"), "30007");
}

TEST_F(AdminApiTest, BadBodiesAnswer400NamingTheField) {
  start_fake();
  auto const unknown = admin("/__admin/outcomes", {{"outcomes", {{{"outcome", "lost"}}}}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("outcomes[0].outcome"), std::string::npos);

  auto const rate = admin("/__admin/callback-faults", {{"drop_rate", 2}});
  EXPECT_EQ(rate.status, 400);
  EXPECT_NE(rate.body.find("drop_rate"), std::string::npos);

  EXPECT_EQ(admin("/__admin/faults", {{"kind", "explode"}}).status, 400);
  EXPECT_EQ(admin("/__admin/delays", {{"sent_ms", "soon"}}).status, 400);
  auto const not_json = call(http::ClientRequest{.url = fake_->base_url() + "/__admin/latency",
                                                 .body = "{",
                                                 .content_type = "application/json"});
  EXPECT_EQ(not_json.status, 400);
}

TEST_F(AdminApiTest, FaultsApplyToApiRequestsOnly) {
  start_fake();
  ASSERT_EQ(admin("/__admin/faults", {{"kind", "rate_limit"}, {"count", 1}}).status, 200);
  ASSERT_EQ(admin("/__admin/faults", {{"kind", "server_error"}, {"status", 502}}).status, 200);
  ASSERT_EQ(admin("/__admin/faults", {{"kind", "reset"}, {"request_number", 4}}).status, 200);

  EXPECT_EQ(create(service_form()).status, 429);
  EXPECT_EQ(create(service_form()).status, 502);
  EXPECT_EQ(create(service_form()).status, 201);
  EXPECT_TRUE(create(service_form()).error.has_value());

  ASSERT_EQ(admin("/__admin/faults", {{"kind", "server_error"}, {"count", 5}}).status, 200);
  ASSERT_EQ(admin("/__admin/faults/clear", json::object()).status, 200);
  EXPECT_EQ(create(service_form()).status, 201);
}

TEST_F(AdminApiTest, InboundOptsOutAndJournalShowsEverything) {
  start_fake();
  auto const inbound = admin("/__admin/inbound", {{"from", "+15558675310"}, {"body", "STOP"}});
  ASSERT_EQ(inbound.status, 200) << inbound.body;
  auto const sid = json::parse(inbound.body)["sid"].get<std::string>();
  ASSERT_TRUE(fake_->wait_for_callbacks(1));
  EXPECT_EQ(json::parse(create(service_form()).body)["code"], 21610);

  auto const journal =
      call(http::ClientRequest{.method = "GET", .url = fake_->base_url() + "/__admin/journal"});
  ASSERT_EQ(journal.status, 200);
  auto const j = json::parse(journal.body);
  ASSERT_EQ(j["requests"].size(), 1u);  // admin requests are not journaled
  EXPECT_EQ(j["requests"][0]["status"], 400);
  EXPECT_EQ(j["requests"][0]["headers"]["Authorization"], "<redacted>");
  ASSERT_EQ(j["callbacks"].size(), 1u);
  EXPECT_EQ(j["callbacks"][0]["kind"], "inbound");
  EXPECT_EQ(j["callbacks"][0]["message_sid"], sid);
  EXPECT_EQ(j["callbacks"][0]["http_status"], 200);
  EXPECT_EQ(journal.body.find(fake_->config().auth_token), std::string::npos);

  auto const messages =
      call(http::ClientRequest{.method = "GET", .url = fake_->base_url() + "/__admin/messages"});
  EXPECT_EQ(json::parse(messages.body)["messages"][0]["direction"], "inbound");
}

TEST_F(AdminApiTest, CallbackFaultsAndLatency) {
  start_fake();
  ASSERT_EQ(admin("/__admin/callback-faults", {{"drop_rate", 1.0}}).status, 200);
  ASSERT_EQ(admin("/__admin/latency", {{"latency_ms", 0}}).status, 200);
  ASSERT_EQ(create(service_form()).status, 201);
  advance(10s);
  EXPECT_TRUE(received().empty());
  EXPECT_EQ(fake_->callbacks().size(), 3u);
}

}  // namespace
}  // namespace candor::fakes::twilio
