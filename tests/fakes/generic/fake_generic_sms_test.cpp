#include "fakes/generic/fake_generic_sms.hpp"

#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock/manual_clock.hpp"
#include "fakes/http/client.hpp"
#include "fakes/http/codec.hpp"

namespace candor::fakes::generic {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class Fixture {
 public:
  explicit Fixture(FakeGenericSmsConfig config = {}) : sms_(std::move(config), clock_, &tracker_) {
    EXPECT_TRUE(sms_.start().ok());
  }

  http::ClientResult call(std::string const& method, std::string const& path, std::string body,
                          http::Fields headers = {}) {
    http::ClientRequest request{.method = method,
                                .url = sms_.base_url() + path,
                                .headers = std::move(headers),
                                .body = std::move(body),
                                .content_type = "application/json"};
    std::promise<http::ClientResult> done;
    auto result = done.get_future();
    client_.send(std::move(request), [&done](http::ClientResult const& r) { done.set_value(r); });
    return result.get();
  }

  clock::WorkTracker tracker_;
  clock::ManualClock clock_{clock::from_unix_ms(1'700'000'000'000),
                            {.tracker = &tracker_, .settle_timeout = 5s}};
  http::HttpClient client_{clock_};
  FakeGenericSms sms_;
};

TEST(FakeGenericSms, AcceptsAndRecordsAMessage) {
  Fixture f;

  auto const result =
      f.call("POST", "/sms/send", R"({"to":"+15551230001","body":"Hi Ann"})", {{"X-Api-Key", "k"}});

  ASSERT_EQ(result.status, 200);
  auto const body = json::parse(result.body);
  EXPECT_EQ(body["id"], "gen-00000001");
  auto const messages = f.sms_.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].id, "gen-00000001");
  EXPECT_EQ(messages[0].recipients, std::vector<std::string>{"+15551230001"});
  EXPECT_EQ(messages[0].text, "Hi Ann");
  EXPECT_EQ(http::find_header(messages[0].headers, "x-api-key"), "k");
  EXPECT_EQ(messages[0].received_at, f.clock_.now());
  EXPECT_EQ(f.sms_.url(), f.sms_.base_url() + "/sms/send");
}

TEST(FakeGenericSms, NeverCallsBack) {
  Fixture f;
  ASSERT_EQ(f.call("POST", "/sms/send", R"({"to":"+15551230001"})").status, 200);

  EXPECT_EQ(f.clock_.pending_timers(), 0u);
  EXPECT_TRUE(f.clock_.advance(24h));
  EXPECT_EQ(f.sms_.server().request_count(), 1u);
}

TEST(FakeGenericSms, DemandsConfiguredBasicCredentials) {
  Fixture f({.basic_auth = GenericCredentials{"acct", "secret"}});
  auto const body = std::string(R"({"to":"+15551230001"})");

  auto const missing = f.call("POST", "/sms/send", body);
  auto const wrong =
      f.call("POST", "/sms/send", body, {{"Authorization", http::basic_auth_header("acct", "x")}});
  auto const right = f.call("POST", "/sms/send", body,
                            {{"Authorization", http::basic_auth_header("acct", "secret")}});

  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(http::find_header(missing.headers, "WWW-Authenticate").has_value());
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(right.status, 200);
  EXPECT_EQ(f.sms_.messages().size(), 1u);
}

TEST(FakeGenericSms, RefusesBodiesWithoutJsonOrRecipient) {
  Fixture f;

  EXPECT_EQ(f.call("POST", "/sms/send", "to=+15551230001").status, 400);
  EXPECT_EQ(f.call("POST", "/sms/send", "[]").status, 400);
  auto const missing = f.call("POST", "/sms/send", R"({"body":"no number"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("'to'"), std::string::npos);
  EXPECT_EQ(f.call("POST", "/sms/send", R"({"to":""})").status, 400);
  EXPECT_TRUE(f.sms_.messages().empty());
}

TEST(FakeGenericSms, FollowsNestedFieldsAndCustomIdName) {
  Fixture f({.path = "/v2/messages",
             .recipient_field = "message.recipients",
             .text_field = "message.content.text",
             .id_field = "messageId"});

  auto const result = f.call(
      "POST", "/v2/messages",
      R"({"message":{"recipients":["+15551230001","+15551230002"],"content":{"text":"Hi"}}})");

  ASSERT_EQ(result.status, 200);
  EXPECT_EQ(json::parse(result.body)["messageId"], "gen-00000001");
  auto const m = f.sms_.messages().at(0);
  EXPECT_EQ(m.recipients.size(), 2u);
  EXPECT_EQ(m.text, "Hi");
}

TEST(FakeGenericSms, OtherMethodsAndPathsAreNotImplemented) {
  Fixture f;

  EXPECT_EQ(f.call("GET", "/sms/send", "").status, 501);
  EXPECT_EQ(f.call("POST", "/elsewhere", "{}").status, 501);
}

TEST(FakeGenericSms, FaultsFromCppAndAdminApi) {
  Fixture f;
  auto const body = std::string(R"({"to":"+15551230001"})");
  f.sms_.server().fail_next(1, http::Fault::reset());
  ASSERT_EQ(f.call("POST", "/__admin/faults", R"({"count":1,"kind":"status","status":503})").status,
            200);

  auto const reset = f.call("POST", "/sms/send", body);
  auto const unavailable = f.call("POST", "/sms/send", body);
  auto const ok = f.call("POST", "/sms/send", body);

  EXPECT_TRUE(reset.error.has_value());
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(f.sms_.messages().size(), 1u);
  auto const journal = json::parse(f.call("GET", "/__admin/journal", "").body);
  ASSERT_EQ(journal.size(), 3u);
  EXPECT_EQ(journal[1]["status"], 503);
  auto const messages = json::parse(f.call("GET", "/__admin/messages", "").body);
  EXPECT_EQ(messages.size(), 1u);
  EXPECT_EQ(f.call("POST", "/__admin/faults", R"({"kind":"nope"})").status, 400);
  EXPECT_EQ(f.call("POST", "/__admin/reset", "").status, 200);
}

TEST(FakeGenericSms, AdminRefusesFieldsOfTheWrongTypeOrRange) {
  Fixture f;
  auto refused = [&f](char const* path, char const* body) {
    auto const answer = f.call("POST", path, body);
    EXPECT_EQ(answer.status, 400) << body;
    return json::parse(answer.body, nullptr, false).value("error", std::string());
  };

  EXPECT_THAT(refused("/__admin/faults", R"({"kind":7})"), ::testing::StartsWith("kind:"));
  EXPECT_THAT(refused("/__admin/faults", R"({"kind":"status","status":"503"})"),
              ::testing::StartsWith("status:"));
  EXPECT_THAT(refused("/__admin/faults", R"({"kind":"status","status":200})"),
              ::testing::StartsWith("status:"));
  EXPECT_THAT(refused("/__admin/faults", R"({"kind":"drop","count":100000000000})"),
              ::testing::StartsWith("count:"));
  EXPECT_THAT(refused("/__admin/latency", R"({"ms":-5})"), ::testing::StartsWith("ms:"));
  EXPECT_THAT(refused("/__admin/latency", "[1]"), ::testing::StartsWith("body:"));
  // Nothing was scripted: the next send goes through.
  EXPECT_EQ(f.call("POST", "/sms/send", R"({"to":"+15551230001","body":"Hi"})").status, 200);
}

TEST(FakeGenericSms, LatencyWaitsOnTheClock) {
  Fixture f;
  ASSERT_EQ(f.call("POST", "/__admin/latency", R"({"ms":2000})").status, 200);

  std::promise<http::ClientResult> done;
  auto answer = done.get_future();
  f.client_.send({.url = f.sms_.url(), .body = R"({"to":"+15551230001"})"},
                 [&done](http::ClientResult const& r) { done.set_value(r); });
  // Poll until the server holds the request on the clock; a wait helper, not a timing assert.
  for (int i = 0; i < 5000 && f.clock_.pending_timers() == 0; ++i) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(f.clock_.pending_timers(), 1u);
  EXPECT_EQ(answer.wait_for(0ms), std::future_status::timeout);
  ASSERT_TRUE(f.clock_.advance(2s));

  EXPECT_EQ(answer.get().status, 200);
}

TEST(FakeGenericSms, StopIsIdempotent) {
  Fixture f;

  f.sms_.stop();
  f.sms_.stop();
  f.sms_.wait_until_stopped();

  EXPECT_TRUE(f.call("POST", "/sms/send", "{}").error.has_value());
}

}  // namespace
}  // namespace candor::fakes::generic
