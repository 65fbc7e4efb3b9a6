#include "fakes/syniverse/fake_syniverse.hpp"

#include <future>
#include <map>
#include <set>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock/manual_clock.hpp"
#include "fakes/http/client.hpp"
#include "fakes/http/codec.hpp"

namespace candor::fakes::syniverse {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::ElementsAre;

clock::TimePoint start_time() {
  return clock::from_unix_ms(1'700'000'000'000);
}

/// A fake Syniverse, a webhook receiver standing in for the core, and a client, all on
/// one manual clock.
class Fixture {
 public:
  explicit Fixture(FakeSyniverseConfig config = {}, bool with_endpoint = true) {
    receiver_.route("POST", "/ess",
                    [](http::Request const&) { return http::Response::text(200, "OK"); });
    EXPECT_TRUE(receiver_.start().ok());
    if (with_endpoint) {
      config.delivery.url = receiver_.base_url() + "/ess";
      config.delivery.username = "ess-user";
      config.delivery.password = "ess-pass";
    }
    scg_ = std::make_unique<FakeSyniverse>(std::move(config), clock_, &tracker_);
    EXPECT_TRUE(scg_->start().ok());
  }

  http::ClientResult call(std::string const& method, std::string const& path, std::string body = "",
                          std::optional<std::string> token = {}) {
    http::ClientRequest request{.method = method,
                                .url = scg_->base_url() + path,
                                .body = std::move(body),
                                .content_type = "application/json"};
    auto const bearer = token.value_or(scg_->token());
    if (!bearer.empty()) {
      request.headers.emplace_back("Authorization", "Bearer " + bearer);
    }
    std::promise<http::ClientResult> done;
    auto result = done.get_future();
    client_.send(std::move(request), [&done](http::ClientResult const& r) { done.set_value(r); });
    return result.get();
  }

  http::ClientResult send(std::string const& body, std::optional<std::string> token = {}) {
    return call("POST", "/scg-external-api/api/v1/messaging/message_requests", body, token);
  }

  std::string send_ok(std::vector<std::string> const& to, std::string const& body = "Hello",
                      std::string const& external_id = "ext-1") {
    auto const result = send(json{
        {"from", "channel:1KJPMkuHQkair_o15etpmg"},
        {"to", to},
        {"body", body},
        {"external_id",
         external_id}}.dump());
    EXPECT_EQ(result.status, 200) << result.body;
    return json::parse(result.body).value("id", "");
  }

  /// Event envelopes the receiver got, in arrival order.
  std::vector<json> received() const {
    std::vector<json> out;
    for (auto const& entry : receiver_.journal()) {
      out.push_back(json::parse(entry.body));
    }
    return out;
  }

  clock::WorkTracker tracker_;
  clock::ManualClock clock_{start_time(), {.tracker = &tracker_, .settle_timeout = 5s}};
  http::HttpServer receiver_{clock_, {.log_name = "test.receiver"}, &tracker_};
  http::HttpClient client_{clock_};
  std::unique_ptr<FakeSyniverse> scg_;
};

json fields_of(json const& envelope) {
  return envelope["event"]["fld-val-list"];
}

TEST(FakeSyniverse, SendCreatesOneMessagePerRecipient) {
  Fixture f;

  auto const id = f.send_ok({"+15551230001", "+15551230002"});

  EXPECT_EQ(id.size(), 22u);
  auto const messages = f.scg_->messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_NE(messages[0].id, messages[1].id);
  EXPECT_NE(messages[0].id, id);
  for (auto const& m : messages) {
    EXPECT_EQ(m.request_id, id);
    EXPECT_EQ(m.state, "CREATED");
    EXPECT_EQ(m.external_id, "ext-1");
    EXPECT_EQ(m.direction, "MT");
  }
  auto const request = f.call("GET", "/scg-external-api/api/v1/messaging/message_requests/" + id);
  ASSERT_EQ(request.status, 200);
  auto const body = json::parse(request.body);
  EXPECT_EQ(body["state"], "TRANSMITTING");
  EXPECT_EQ(body["recipient_count"], 2);
  EXPECT_EQ(body["external_id"], "ext-1");
}

TEST(FakeSyniverse, RefusesMissingWrongAndExpiredTokens) {
  Fixture f({.expired_tokens = {"old-token"}});
  auto const body = json{
      {"from", "channel:1KJPMkuHQkair_o15etpmg"},
      {"to", {"+15551230001"}},
      {"body", "x"}}.dump();

  auto const missing = f.send(body, std::string());
  auto const wrong = f.send(body, std::string("nope"));
  auto const expired = f.send(body, std::string("old-token"));
  f.scg_->expire_token(f.scg_->token());
  auto const now_expired = f.send(body);

  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(json::parse(missing.body), json::parse(R"({"error_code":"SCG_ERROR_4010",
                            "error_description":"Token unauthorized for this resource"})"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(expired.status, 404);
  EXPECT_EQ(json::parse(expired.body)["error_code"], "SCG_ERROR_4046");
  EXPECT_EQ(now_expired.status, 404);
  EXPECT_TRUE(f.scg_->messages().empty());
  auto const get = f.call("GET", "/scg-external-api/api/v1/messaging/messages", "", "nope");
  EXPECT_EQ(get.status, 401);
}

TEST(FakeSyniverse, ValidationErrorsUseTheDocumentedBody) {
  Fixture f;

  auto const result =
      f.send(R"({"from":"channel:1KJPMkuHQkair_o15etpmg","to":["555"],"body":"x"})");

  EXPECT_EQ(result.status, 400);
  auto const body = json::parse(result.body);
  EXPECT_EQ(body["error_code"], "SCG_ERROR_40024");
  EXPECT_TRUE(body["error_description"].is_string());
  EXPECT_TRUE(f.scg_->requests().empty());
}

TEST(FakeSyniverse, DeliversStateChangesInTheEssEnvelope) {
  Fixture f;
  auto const request_id = f.send_ok({"+15551230001"}, "Interview at 10", "job-42");
  auto const message_id = f.scg_->messages().at(0).id;

  ASSERT_TRUE(f.clock_.advance(1s));
  auto events = f.received();
  ASSERT_EQ(events.size(), 1u);
  auto const& sent = events[0];
  EXPECT_EQ(sent["topic"], "SCG-Message");
  EXPECT_EQ(sent["attempt"], 1);
  EXPECT_EQ(sent["event-id"].get<std::string>().size(), 22u);
  EXPECT_EQ(sent["event"]["evt-tp"], "message_state_change");
  EXPECT_EQ(sent["event"]["timestamp"], "2023-11-14T22:13:21.000Z");
  auto const fields = fields_of(sent);
  EXPECT_EQ(fields["previous_state"], "CREATED");
  EXPECT_EQ(fields["new_state"], "SENT");
  EXPECT_EQ(fields["message_request_id"], request_id);
  EXPECT_EQ(fields["message_id"], message_id);
  EXPECT_EQ(fields["external_message_request_id"], "job-42");
  EXPECT_EQ(fields["to_address"], "+15551230001");
  EXPECT_EQ(fields["from_address"], "+15550006000");
  EXPECT_EQ(fields["company-id"], 1001);
  auto const entry = f.receiver_.journal().at(0);
  auto const auth =
      http::parse_basic_auth(http::find_header(entry.headers, "Authorization").value());
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->user, "ess-user");
  EXPECT_EQ(auth->password, "ess-pass");
  EXPECT_EQ(http::find_header(entry.headers, "X-ESS-EVENT-KEY"), "+15551230001");
  EXPECT_THAT(http::find_header(entry.headers, "Content-Type").value(),
              ::testing::StartsWith("application/json"));

  ASSERT_TRUE(f.clock_.advance(4s));
  events = f.received();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(fields_of(events[1])["previous_state"], "SENT");
  EXPECT_EQ(fields_of(events[1])["new_state"], "DELIVERED");
  EXPECT_EQ(fields_of(events[1])["reason_code"], "200");
  EXPECT_NE(events[0]["event-id"], events[1]["event-id"]);
  for (auto const& e : f.scg_->events()) {
    EXPECT_EQ(e.state, "SUCCESS");
  }

  auto const message = f.call("GET", "/scg-external-api/api/v1/messaging/messages/" + message_id);
  ASSERT_EQ(message.status, 200);
  auto const body = json::parse(message.body);
  EXPECT_EQ(body["state"], "DELIVERED");
  EXPECT_EQ(body["delivered_date"], clock::to_unix_ms(start_time() + 5s));
  auto const request = json::parse(
      f.call("GET", "/scg-external-api/api/v1/messaging/message_requests/" + request_id).body);
  EXPECT_EQ(request["state"], "COMPLETED");
  EXPECT_EQ(request["delivered_count"], 1);
}

TEST(FakeSyniverse, FailedMessagesCarryADocumentedReasonCode) {
  Fixture f({.mix = {.delivered = 0, .failed = 1}});
  f.send_ok({"+15551230001", "+15551230002", "+15551230003"});

  ASSERT_TRUE(f.clock_.advance(5s));

  std::set<std::string> const documented = {"1009", "1002", "1005"};
  auto const events = f.received();
  ASSERT_EQ(events.size(), 6u);
  for (auto const& m : f.scg_->messages()) {
    EXPECT_EQ(m.state, "FAILED");
    EXPECT_TRUE(documented.contains(m.reason_code)) << m.reason_code;
    auto const body =
        json::parse(f.call("GET", "/scg-external-api/api/v1/messaging/messages/" + m.id).body);
    EXPECT_TRUE(body["failure_code"].is_string());
  }
  for (std::size_t i = 3; i < 6; ++i) {
    EXPECT_EQ(fields_of(events[i])["new_state"], "FAILED");
    EXPECT_TRUE(documented.contains(fields_of(events[i])["reason_code"].get<std::string>()));
  }
}

TEST(FakeSyniverse, ScriptedOutcomeExpires) {
  Fixture f;
  f.scg_->set_outcome("+15551230009", Outcome::kExpired);
  f.send_ok({"+15551230009"});

  ASSERT_TRUE(f.clock_.advance(5s));

  auto const m = f.scg_->messages().at(0);
  EXPECT_EQ(m.state, "EXPIRED");
  EXPECT_EQ(m.reason_code, "1007");
  EXPECT_EQ(fields_of(f.received().at(1))["new_state"], "EXPIRED");
}

TEST(FakeSyniverse, OutcomeDependsOnContentNotArrivalOrder) {
  FakeSyniverseConfig const config{.seed = 99, .mix = {.delivered = 1, .failed = 1}};
  std::vector<std::string> numbers;
  for (int i = 10; i < 40; ++i) {
    numbers.push_back("+155512300" + std::to_string(i));
  }
  auto outcomes = [&](std::vector<std::string> const& order) {
    Fixture f(config, /*with_endpoint=*/false);
    for (auto const& n : order) {
      f.send_ok({n}, "Same text", "ext-" + n);
    }
    std::map<std::string, Outcome> by_number;
    for (auto const& m : f.scg_->messages()) {
      by_number[m.to_address] = m.outcome;
    }
    return by_number;
  };

  auto const forward = outcomes(numbers);
  auto const backward = outcomes({numbers.rbegin(), numbers.rend()});

  EXPECT_EQ(forward, backward);
  auto const failed = std::count_if(forward.begin(), forward.end(),
                                    [](auto const& e) { return e.second == Outcome::kFailed; });
  EXPECT_GT(failed, 0);
  EXPECT_LT(failed, 30);
}

TEST(FakeSyniverse, RetriesFailedDeliveriesOnTheEssSchedule) {
  Fixture f({.final_delay = 24h});
  f.receiver_.fail_next(2, http::Fault::with_status(503));
  f.send_ok({"+15551230001"});

  ASSERT_TRUE(f.clock_.advance(1s));
  EXPECT_EQ(f.scg_->events().at(0).state, "RETRY");
  ASSERT_TRUE(f.clock_.advance(30s));
  EXPECT_EQ(f.scg_->events().at(0).state, "RETRY");
  ASSERT_TRUE(f.clock_.advance(59s));
  EXPECT_EQ(f.scg_->events().at(0).attempts.size(), 2u);
  ASSERT_TRUE(f.clock_.advance(1s));

  auto const event = f.scg_->events().at(0);
  EXPECT_EQ(event.state, "SUCCESS");
  ASSERT_EQ(event.attempts.size(), 3u);
  EXPECT_EQ(event.attempts[0].status, 503);
  EXPECT_EQ(event.attempts[0].at, start_time() + 1s);
  EXPECT_EQ(event.attempts[1].at, start_time() + 31s);
  EXPECT_EQ(event.attempts[2].at, start_time() + 91s);
  EXPECT_EQ(event.attempts[2].status, 200);
  auto const received = f.received();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[2]["attempt"], 3);
  EXPECT_EQ(received[0]["event-id"], received[2]["event-id"]);
}

TEST(FakeSyniverse, GivesUpAfterFiveAttempts) {
  Fixture f({.final_delay = 24h});
  f.receiver_.fail_next(10, http::Fault::with_status(500));
  f.send_ok({"+15551230001"});

  ASSERT_TRUE(f.clock_.advance(3h));

  auto const event = f.scg_->events().at(0);
  EXPECT_EQ(event.state, "FAILED");
  EXPECT_EQ(event.attempts.size(), 5u);
  EXPECT_EQ(event.attempts[4].at, start_time() + 1s + 30s + 1min + 30min + 60min);
}

TEST(FakeSyniverse, RetriesNotFoundAndDroppedConnectionsButNotOtherClientErrors) {
  Fixture f({.final_delay = 24h});
  f.receiver_.fail_next(1, http::Fault::with_status(404));
  f.receiver_.fail_next(1, http::Fault::drop());
  f.receiver_.fail_next(1, http::Fault::with_status(403));
  f.send_ok({"+15551230001"});

  ASSERT_TRUE(f.clock_.advance(2h));

  auto const event = f.scg_->events().at(0);
  EXPECT_EQ(event.state, "FAILED");
  ASSERT_EQ(event.attempts.size(), 3u);
  EXPECT_EQ(event.attempts[0].status, 404);
  EXPECT_EQ(event.attempts[1].status, 0);
  EXPECT_FALSE(event.attempts[1].error.empty());
  EXPECT_EQ(event.attempts[2].status, 403);
}

TEST(FakeSyniverse, EventFaultsDuplicateDropAndReorder) {
  Fixture f;
  ASSERT_TRUE(f.scg_->script_event_faults(1, {.kind = EventFault::Kind::kDuplicate}).ok());
  ASSERT_TRUE(f.scg_->script_event_faults(1, {.kind = EventFault::Kind::kDrop}).ok());
  f.send_ok({"+15551230001", "+15551230002"});
  ASSERT_TRUE(f.clock_.advance(1s));
  ASSERT_TRUE(f.clock_.advance(4s));

  auto const events = f.scg_->events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].fault, "duplicate");
  EXPECT_EQ(events[0].attempts.size(), 2u);
  EXPECT_EQ(events[1].state, "DROPPED");
  auto const received = f.received();
  ASSERT_EQ(received.size(), 4u);  // 2 copies + 0 dropped + 2 finals
  EXPECT_EQ(received[0]["event-id"], received[1]["event-id"]);

  // A delayed SENT arrives after the DELIVERED that follows it.
  Fixture g;
  ASSERT_TRUE(
      g.scg_->script_event_faults(1, {.kind = EventFault::Kind::kDelay, .delay = 10s}).ok());
  g.send_ok({"+15551230003"});
  ASSERT_TRUE(g.clock_.advance(20s));
  auto const late = g.received();
  ASSERT_EQ(late.size(), 2u);
  EXPECT_EQ(fields_of(late[0])["new_state"], "DELIVERED");
  EXPECT_EQ(fields_of(late[1])["new_state"], "SENT");
}

TEST(FakeSyniverse, ScriptedEventFaultsWaitForTheirAddressAndState) {
  Fixture f;
  ASSERT_TRUE(f.scg_
                  ->script_event_faults(1, {.kind = EventFault::Kind::kDrop},
                                        {.address = "+15551230002", .new_state = "DELIVERED"})
                  .ok());
  f.send_ok({"+15551230001", "+15551230002"});

  ASSERT_TRUE(f.clock_.advance(5s));

  std::map<std::pair<std::string, std::string>, std::string> faults;
  auto const messages = f.scg_->messages();
  for (auto const& e : f.scg_->events()) {
    auto const m = f.scg_->message(e.message_id);
    faults[{m->to_address, e.new_state}] = e.fault;
  }
  EXPECT_EQ(faults.size(), 4u);
  EXPECT_EQ((faults[{"+15551230002", "DELIVERED"}]), "drop");
  EXPECT_EQ((faults[{"+15551230002", "SENT"}]), "");
  EXPECT_EQ((faults[{"+15551230001", "DELIVERED"}]), "");
  EXPECT_EQ(f.received().size(), 3u);
}

TEST(FakeSyniverse, OneScriptCoversAHugeCountWithoutCopies) {
  Fixture f;
  ASSERT_TRUE(
      f.scg_->script_event_faults(kMaxScriptedCount, {.kind = EventFault::Kind::kDrop}).ok());
  EXPECT_FALSE(f.scg_->script_event_faults(0, {.kind = EventFault::Kind::kDrop}).ok());
  EXPECT_FALSE(
      f.scg_->script_event_faults(kMaxScriptedCount + 1, {.kind = EventFault::Kind::kDrop}).ok());
  f.send_ok({"+15551230001"});

  ASSERT_TRUE(f.clock_.advance(5s));

  for (auto const& e : f.scg_->events()) {
    EXPECT_EQ(e.state, "DROPPED");
  }
  EXPECT_TRUE(f.received().empty());
}

// A count in the hundreds of billions once queued one copy per event under the lock:
// the fake hung, grew without bound and could not be stopped.
TEST(FakeSyniverse, RegressionAdminRefusesHugeAndMalformedCounts) {
  Fixture f;
  auto const post = [&f](std::string const& path, std::string const& body) {
    auto const r = f.call("POST", path, body);
    return std::make_pair(r.status, r.body);
  };

  auto const huge = post("/__admin/event_faults", R"({"kind":"drop","count":100000000000})");
  EXPECT_EQ(huge.first, 400);
  EXPECT_THAT(huge.second, ::testing::HasSubstr("count: must be an integer from 1 to 1000000"));
  EXPECT_EQ(post("/__admin/event_faults", R"({"kind":"drop","count":18446744073709551615})").first,
            400);
  EXPECT_EQ(post("/__admin/event_faults", R"({"kind":"drop","count":0})").first, 400);
  EXPECT_EQ(post("/__admin/event_faults", R"({"kind":"drop","count":-3})").first, 400);
  EXPECT_EQ(post("/__admin/event_faults", R"({"kind":"drop","count":"5"})").first, 400);
  EXPECT_EQ(post("/__admin/event_faults", R"({"kind":"drop","count":1.5})").first, 400);
  EXPECT_EQ(post("/__admin/event_faults", R"({"kind":"delay","delay_ms":-1})").first, 400);
  EXPECT_EQ(post("/__admin/event_faults", R"({"kind":"drop","address":"555"})").first, 400);
  EXPECT_EQ(post("/__admin/faults", R"({"kind":"status","count":100000000000})").first, 400);
  EXPECT_EQ(post("/__admin/faults", R"({"kind":"status","status":200})").first, 400);
  EXPECT_EQ(post("/__admin/latency", R"({"ms":"slow"})").first, 400);
  EXPECT_EQ(post("/__admin/inbound", R"({"from":15551230001,"body":"x"})").first, 400);

  // The largest count is taken at once and the fake keeps answering.
  EXPECT_EQ(post("/__admin/event_faults", R"({"kind":"drop","count":1000000})").first, 200);
  EXPECT_EQ(post("/__admin/faults", R"({"kind":"drop","count":1000000})").first, 200);
  EXPECT_EQ(f.call("GET", "/__admin/events").status, 200);
}

TEST(FakeSyniverse, EventFaultDrawsDependOnContentNotArrivalOrder) {
  FakeSyniverseConfig const config{.seed = 5,
                                   .event_faults = {.drop = 0.3, .duplicate = 0.3, .delay = 0.2}};
  std::vector<std::string> numbers;
  for (int i = 10; i < 40; ++i) {
    numbers.push_back("+155512300" + std::to_string(i));
  }
  auto faults = [&](std::vector<std::string> const& order) {
    Fixture f(config, /*with_endpoint=*/false);
    for (auto const& n : order) {
      f.send_ok({n}, "Same text", "ext-" + n);
    }
    EXPECT_TRUE(f.clock_.advance(20s));
    std::map<std::pair<std::string, std::string>, std::string> by_event;
    for (auto const& e : f.scg_->events()) {
      by_event[{f.scg_->message(e.message_id)->to_address, e.new_state}] = e.fault;
    }
    return by_event;
  };

  auto const forward = faults(numbers);
  auto const backward = faults({numbers.rbegin(), numbers.rend()});

  EXPECT_EQ(forward.size(), 60u);
  EXPECT_EQ(forward, backward);
  std::set<std::string> kinds;
  for (auto const& [event, fault] : forward) {
    kinds.insert(fault);
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"", "drop", "duplicate", "delay"}));
}

TEST(FakeSyniverse, StopOptsOutAndSendsFailWithNoConsentUntilStart) {
  Fixture f;
  auto const number = "+15551230001";
  ASSERT_TRUE(f.scg_->inject_inbound(number, " stop ").ok());
  ASSERT_TRUE(f.scg_->wait_for_settled_events(1, 5s));
  EXPECT_TRUE(f.scg_->opted_out(number));

  auto const request_id = f.send_ok({number, "+15551230002"});
  ASSERT_TRUE(f.clock_.advance(5s));

  auto const failed = f.scg_->message(f.scg_->requests().at(0).message_ids.at(0)).value();
  EXPECT_EQ(failed.state, "FAILED");
  EXPECT_TRUE(failed.no_consent);
  EXPECT_EQ(failed.reason_code, "1005");
  EXPECT_FALSE(failed.sent_at.has_value());
  auto const resource =
      json::parse(f.call("GET", "/scg-external-api/api/v1/messaging/messages/" + failed.id).body);
  EXPECT_EQ(resource["failure_code"], "NO_CONSENT");
  std::vector<json> about_failed;
  for (auto const& e : f.received()) {
    if (fields_of(e).value("message_id", "") == failed.id) {
      about_failed.push_back(fields_of(e));
    }
  }
  ASSERT_EQ(about_failed.size(), 1u);
  EXPECT_EQ(about_failed[0]["previous_state"], "CREATED");
  EXPECT_EQ(about_failed[0]["new_state"], "FAILED");
  EXPECT_EQ(about_failed[0]["reason_code"], "1005");
  EXPECT_EQ(about_failed[0]["reason_description"], "No subscriber consent");
  EXPECT_EQ(f.scg_->message(f.scg_->requests().at(0).message_ids.at(1))->state, "DELIVERED");
  auto const consent = json::parse(f.call("GET", "/__admin/consent").body);
  EXPECT_EQ(consent["opted_out"], json::array({number}));
  EXPECT_FALSE(request_id.empty());

  ASSERT_TRUE(f.scg_->inject_inbound(number, "Start").ok());
  EXPECT_FALSE(f.scg_->opted_out(number));
  f.send_ok({number}, "Welcome back", "ext-2");
  ASSERT_TRUE(f.clock_.advance(5s));
  EXPECT_EQ(f.scg_->messages().back().state, "DELIVERED");
}

TEST(FakeSyniverse, EveryDocumentedKeywordChangesConsent) {
  Fixture f({}, /*with_endpoint=*/false);
  for (auto const* stop : {"STOP", "stopall", "Unsubscribe", "CANCEL", "end", "quit"}) {
    ASSERT_TRUE(f.scg_->inject_inbound("+15551230001", stop).ok());
    EXPECT_TRUE(f.scg_->opted_out("+15551230001")) << stop;
    ASSERT_TRUE(f.scg_->inject_inbound("+15551230001", "unstop").ok());
    EXPECT_FALSE(f.scg_->opted_out("+15551230001")) << stop;
  }
  ASSERT_TRUE(f.scg_->inject_inbound("+15551230001", "please stop texting").ok());
  EXPECT_FALSE(f.scg_->opted_out("+15551230001")) << "only a whole-body keyword counts";
  // Pins the Limitation in apply_keyword: no confirmation MT is sent back.
  for (auto const& m : f.scg_->messages()) {
    EXPECT_EQ(m.direction, "MO");
  }
}

TEST(FakeSyniverse, ConsentRequirementNoneAndOptIn) {
  Fixture f;
  ASSERT_TRUE(f.scg_->inject_inbound("+15551230001", "STOP").ok());
  auto const send = [&f](std::string const& to, std::string const& requirement) {
    auto const r = f.send(json{
        {"from", "channel:1KJPMkuHQkair_o15etpmg"},
        {"to", {to}},
        {"body", "x"},
        {"consent_requirement",
         requirement}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
  };

  send("+15551230001", "NONE");     // consent ignored
  send("+15551230002", "OPT_IN");   // never opted in
  send("+15551230002", "OPT_OUT");  // never opted out
  ASSERT_TRUE(f.scg_->inject_inbound("+15551230003", "START").ok());
  send("+15551230003", "OPT_IN");
  ASSERT_TRUE(f.clock_.advance(5s));

  auto const messages = f.scg_->messages();
  std::vector<std::string> states;
  for (auto const& m : messages) {
    if (m.direction == "MT") {
      states.push_back(m.state + (m.no_consent ? "/no_consent" : ""));
    }
  }
  EXPECT_THAT(states, ElementsAre("DELIVERED", "FAILED/no_consent", "DELIVERED", "DELIVERED"));
}

TEST(FakeSyniverse, ConsentManagementCanBeTurnedOff) {
  Fixture f({.manage_consent = false});
  ASSERT_TRUE(f.scg_->inject_inbound("+15551230001", "STOP").ok());
  f.send_ok({"+15551230001"});
  ASSERT_TRUE(f.clock_.advance(5s));
  EXPECT_FALSE(f.scg_->opted_out("+15551230001"));
  EXPECT_EQ(f.scg_->messages().back().state, "DELIVERED");
}

TEST(FakeSyniverse, StartRefusesABadConfigurationNamingTheField) {
  clock::ManualClock clock(start_time());
  auto const refused = [&clock](FakeSyniverseConfig config) {
    FakeSyniverse scg(std::move(config), clock);
    auto const started = scg.start();
    EXPECT_FALSE(started.ok());
    return started ? std::string() : started.error().message;
  };

  EXPECT_THAT(refused({.delivery = {.url = "ftp://x"}}), ::testing::HasSubstr("delivery.url"));
  EXPECT_THAT(refused({.delivery = {.url = "https://127.0.0.1/ess"}}),
              ::testing::HasSubstr("delivery.url"));
  EXPECT_THAT(refused({.delivery = {.url = "http://127.0.0.1/ess", .username = "a:b"}}),
              ::testing::HasSubstr("delivery.username"));
  EXPECT_THAT(refused({.delivery = {.url = "http://127.0.0.1/ess", .password = "pw"}}),
              ::testing::HasSubstr("delivery.password"));
  EXPECT_THAT(refused({.failure_codes = {}}), ::testing::HasSubstr("failure_codes"));
  EXPECT_THAT(refused({.tokens = {}}), ::testing::HasSubstr("tokens"));
  EXPECT_THAT(refused({.event_faults = {.drop = 2}}), ::testing::HasSubstr("event_faults"));
  EXPECT_THAT(refused({.sender_address = "6000"}), ::testing::HasSubstr("sender_address"));
}

TEST(FakeSyniverse, InboundMessagesBecomeMoEvents) {
  Fixture f;

  auto const id = f.scg_->inject_inbound("+15551230001", "STOP");
  auto const admin = f.call("POST", "/__admin/inbound", R"({"from":"+15551230002","body":"Yes"})");
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(admin.status, 200);
  ASSERT_TRUE(f.scg_->wait_for_settled_events(2, 5s));

  auto received = f.received();
  ASSERT_EQ(received.size(), 2u);
  std::sort(received.begin(), received.end(), [](json const& a, json const& b) {
    return fields_of(a)["from_address"] < fields_of(b)["from_address"];
  });
  EXPECT_EQ(received[0]["event"]["evt-tp"], "mo_message_received");
  EXPECT_EQ(fields_of(received[0])["message_id"], *id);
  EXPECT_EQ(fields_of(received[0])["message_body"], "STOP");
  EXPECT_EQ(fields_of(received[0])["to_address"], "+15550006000");
  EXPECT_EQ(fields_of(received[1])["message_id"], json::parse(admin.body)["message_id"]);
  EXPECT_EQ(f.scg_->message(*id)->state, "RECEIVED");
  EXPECT_FALSE(f.scg_->inject_inbound("12345", "x").ok());
}

TEST(FakeSyniverse, ListsMessagesWithPagingAndFilters) {
  Fixture f;
  auto const first = f.send_ok({"+15551230001", "+15551230002", "+15551230003"});
  f.send_ok({"+15551230004"});
  auto const list = [&f](std::string const& query) {
    return f.call("GET", "/scg-external-api/api/v1/messaging/messages" + query);
  };

  auto const page = json::parse(list("?limit=2").body);
  auto const rest = json::parse(list("?offset=2&limit=2").body);
  auto const filtered = json::parse(list("?message_request_id=" + first).body);
  auto const by_to = json::parse(list("?to_address=%2B15551230004").body);
  auto const nested = json::parse(
      f.call("GET", "/scg-external-api/api/v1/messaging/message_requests/" + first + "/messages")
          .body);

  EXPECT_EQ(page["list"].size(), 2u);
  EXPECT_EQ(page["total"], 4);
  EXPECT_EQ(page["limit"], 2);
  EXPECT_EQ(rest["list"].size(), 2u);
  EXPECT_EQ(rest["list"][0]["to_address"], "+15551230003");
  EXPECT_EQ(filtered["total"], 3);
  EXPECT_EQ(by_to["total"], 1);
  EXPECT_EQ(nested["total"], 3);
  EXPECT_EQ(list("?limit=many").status, 400);
  EXPECT_EQ(f.call("GET", "/scg-external-api/api/v1/messaging/messages/nope").status, 404);
  EXPECT_EQ(f.call("GET", "/scg-external-api/api/v1/messaging/message_requests/nope").status, 404);
}

TEST(FakeSyniverse, HttpFaultsThroughTheAdminApi) {
  Fixture f;
  auto const body = json{
      {"from", "channel:1KJPMkuHQkair_o15etpmg"},
      {"to", {"+15551230001"}},
      {"body", "x"}}.dump();

  EXPECT_EQ(f.call("POST", "/__admin/faults", R"({"count":2,"kind":"status","status":429})").status,
            200);
  EXPECT_EQ(f.send(body).status, 429);
  EXPECT_EQ(f.send(body).status, 429);
  EXPECT_EQ(f.send(body).status, 200);
  EXPECT_EQ(f.call("POST", "/__admin/faults", R"({"kind":"explode"})").status, 400);
  EXPECT_EQ(f.call("POST", "/__admin/faults", "not json").status, 400);

  auto const journal = json::parse(f.call("GET", "/__admin/journal").body);
  ASSERT_EQ(journal.size(), 3u);
  EXPECT_EQ(journal[0]["status"], 429);
  EXPECT_EQ(journal[0]["fault"], "status");
  EXPECT_EQ(journal[2]["status"], 200);
  auto const messages = json::parse(f.call("GET", "/__admin/messages").body);
  EXPECT_EQ(messages.size(), 1u);
  EXPECT_EQ(f.call("GET", "/__admin/unknown").status, 404);
}

TEST(FakeSyniverse, AdminScriptsOutcomesAndEventFaults) {
  Fixture f;

  EXPECT_EQ(f.call("POST", "/__admin/outcomes",
                   R"({"to":"+15551230001","outcome":"failed","reason_code":"1039"})")
                .status,
            200);
  EXPECT_EQ(f.call("POST", "/__admin/event_faults", R"({"count":1,"kind":"drop"})").status, 200);
  EXPECT_EQ(f.call("POST", "/__admin/outcomes", R"({"to":"x","outcome":"failed"})").status, 400);
  f.send_ok({"+15551230001"});
  ASSERT_TRUE(f.clock_.advance(5s));

  auto const events = json::parse(f.call("GET", "/__admin/events").body);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["state"], "DROPPED");
  EXPECT_EQ(events[1]["payload"]["event"]["fld-val-list"]["reason_code"], "1039");
  EXPECT_EQ(f.scg_->messages().at(0).reason_description, "Throttled");

  EXPECT_EQ(
      f.call("POST", "/__admin/tokens/expire", json{{"token", f.scg_->token()}}.dump()).status,
      200);
  auto const refused = f.send(json{
      {"from", "channel:1KJPMkuHQkair_o15etpmg"},
      {"to", {"+15551230002"}},
      {"body", "x"}}.dump());
  EXPECT_EQ(refused.status, 404);
}

TEST(FakeSyniverse, TestMessagesAreNeverDelivered) {
  Fixture f;
  auto const result = f.send(json{
      {"from", "channel:1KJPMkuHQkair_o15etpmg"},
      {"to", {"+15551230001"}},
      {"body", "x"},
      {"test_message_flag",
       true}}.dump());
  ASSERT_EQ(result.status, 200);

  ASSERT_TRUE(f.clock_.advance(1min));

  EXPECT_EQ(f.scg_->messages().at(0).state, "TEST");
  EXPECT_TRUE(f.scg_->events().empty());
}

TEST(FakeSyniverse, WithoutEndpointEventsStayInTheFake) {
  Fixture f({}, /*with_endpoint=*/false);
  f.send_ok({"+15551230001"});

  ASSERT_TRUE(f.clock_.advance(5s));

  auto const events = f.scg_->events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].state, "NO_ENDPOINT");
  EXPECT_TRUE(f.received().empty());
}

TEST(FakeSyniverse, StopCancelsPendingTimers) {
  Fixture f;
  f.send_ok({"+15551230001", "+15551230002"});
  EXPECT_EQ(f.clock_.pending_timers(), 2u);

  f.scg_->stop();

  EXPECT_EQ(f.clock_.pending_timers(), 0u);
  EXPECT_TRUE(f.clock_.advance(1h));
  EXPECT_TRUE(f.received().empty());
  f.scg_->stop();
  f.scg_->wait_until_stopped();
}

}  // namespace
}  // namespace candor::fakes::syniverse
