#include "fakes/twilio/fake_twilio.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/fakes/twilio/twilio_fixture.hpp"
#include "tests/support/json_schema_check.hpp"

namespace candor::fakes::twilio {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kTo[] = "+15558675310";
constexpr char kService[] = "MG00000000000000000000000000000001";

http::Fields service_form(std::string to = kTo, std::string body = "Hello") {
  return {{"To", std::move(to)}, {"MessagingServiceSid", kService}, {"Body", std::move(body)}};
}

json body_of(http::ClientResult const& r) {
  return json::parse(r.body);
}

std::string field(http::Fields const& fields, std::string_view name) {
  return http::find_field(fields, name).value_or("<absent>");
}

std::string const kSidPattern = "^(SM|MM)[0-9a-fA-F]{32}$";
std::string const kAccountPattern = "^AC[0-9a-fA-F]{32}$";
std::string const kServicePattern = "^MG[0-9a-fA-F]{32}$";

/// A property of `type` that may also be null, as the description's
/// `nullable: true` says, with the pattern its strings must match if any.
json nullable(std::string const& type, std::string const& pattern = "") {
  json property = {{"type", {type, "null"}}};
  if (!pattern.empty()) {
    property["pattern"] = pattern;
  }
  return property;
}

/// The schema of a resource whose every property in `properties` is present and
/// no other.
json resource_schema(json const& properties) {
  json required = json::array();
  for (auto const& [name, ignored] : properties.items()) {
    required.push_back(name);
  }
  return {{"type", "object"},
          {"required", required},
          {"properties", properties},
          {"additionalProperties", false}};
}

/// The Message resource as Twilio's 2010-04-01 description states it, written out
/// so that the check runs where that description is not at hand; the test
/// TheWrittenSchemaIsTheSpecs proves the two equal where it is.
json const& written_schema() {
  static json const schema = [] {
    json properties = json::object();
    for (char const* name :
         {"body", "num_segments", "to", "price", "error_message", "uri", "num_media", "api_version",
          "from", "date_updated", "date_sent", "date_created", "price_unit"}) {
      properties[name] = nullable("string");
    }
    properties["sid"] = nullable("string", kSidPattern);
    properties["account_sid"] = nullable("string", kAccountPattern);
    properties["messaging_service_sid"] = nullable("string", kServicePattern);
    properties["error_code"] = nullable("integer");
    properties["subresource_uris"] = nullable("object");
    properties["direction"] = {
        {"enum", {"inbound", "outbound-api", "outbound-call", "outbound-reply"}}};
    properties["status"] = {
        {"enum",
         {"queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving",
          "received", "accepted", "scheduled", "read", "partially_delivered", "canceled"}}};
    return resource_schema(properties);
  }();
  return schema;
}

/// The Message resource read from the shared copy of Twilio's description and
/// written in the same subset of JSON Schema, or nullopt when that file is not
/// beside the checkout. A property that refers to an enumeration takes its values
/// and is never null; any other keeps its type, pattern and nullability.
std::optional<json> spec_schema() {
  std::ifstream in(std::string(CANDOR_SHARED_DIR) + "/spec/twilio_api_v2010.json");
  if (!in) {
    return std::nullopt;
  }
  auto const spec = json::parse(in, nullptr, false);
  if (spec.is_discarded()) {
    return std::nullopt;
  }
  auto const& schemas = spec["components"]["schemas"];
  json properties = json::object();
  for (auto const& [name, schema] : schemas["api.v2010.account.message"]["properties"].items()) {
    if (schema.contains("$ref")) {
      auto const ref = schema["$ref"].get<std::string>();
      properties[name] = {{"enum", schemas[ref.substr(ref.rfind('/') + 1)]["enum"]}};
    } else if (schema.value("nullable", false)) {
      properties[name] = nullable(schema["type"], schema.value("pattern", ""));
    } else {
      properties[name] = {{"type", schema["type"]}};
      if (schema.contains("pattern")) {
        properties[name]["pattern"] = schema["pattern"];
      }
    }
  }
  return resource_schema(properties);
}

/// Checks `message` against the Message resource: every property present, no
/// other, each of its type, pattern or enumeration.
void expect_matches_schema(json const& message) {
  EXPECT_THAT(testing_support::JsonSchemaCheck(written_schema()).check(message), IsEmpty())
      << message;
}

TEST(FakeTwilioSchema, TheWrittenSchemaIsTheSpecs) {
  auto const spec = spec_schema();
  if (!spec) {
    GTEST_SKIP() << "no shared copy of Twilio's description beside the checkout";
  }
  json const& written = written_schema();
  ASSERT_EQ(written["properties"].size(), (*spec)["properties"].size());
  for (auto const& [name, expected] : (*spec)["properties"].items()) {
    ASSERT_TRUE(written["properties"].contains(name)) << name;
    EXPECT_EQ(written["properties"][name], expected) << name;
  }
  EXPECT_EQ(written, *spec);
}

TEST(FakeTwilioSchema, TheCheckRefusesWhatTwilioWouldNotSend) {
  json message = json::object();
  for (auto const& [name, ignored] : written_schema()["properties"].items()) {
    message[name] = nullptr;
  }
  message["sid"] = "SM0123";
  message["error_code"] = "30003";
  message["extra"] = 1;
  message.erase("body");

  EXPECT_THAT(testing_support::JsonSchemaCheck(written_schema()).check(message),
              ElementsAre("$: missing body",
                          "$.direction: not one of [\"inbound\",\"outbound-api\","
                          "\"outbound-call\",\"outbound-reply\"]",
                          "$.error_code: not of type [\"integer\",\"null\"]",
                          "$.extra: not allowed", "$.sid: \"SM0123\" does not match its pattern",
                          "$.status: not one of [\"queued\",\"sending\",\"sent\",\"failed\","
                          "\"delivered\",\"undelivered\",\"receiving\",\"received\",\"accepted\","
                          "\"scheduled\",\"read\",\"partially_delivered\",\"canceled\"]"));
}

class FakeTwilioTest : public TwilioFixture {};

TEST_F(FakeTwilioTest, CreateWithServiceAnswersAccepted) {
  start_fake();
  auto const result = create(service_form());
  ASSERT_EQ(result.status, 201) << result.body;
  auto const m = body_of(result);
  EXPECT_EQ(m["status"], "accepted");
  EXPECT_TRUE(m["from"].is_null());
  EXPECT_EQ(m["num_segments"], "0");
  EXPECT_EQ(m["num_media"], "0");
  EXPECT_EQ(m["messaging_service_sid"], kService);
  EXPECT_EQ(m["direction"], "outbound-api");
  EXPECT_EQ(m["date_created"], "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_TRUE(m["date_sent"].is_null());
  EXPECT_TRUE(m["price"].is_null());
  auto const sid = m["sid"].get<std::string>();
  EXPECT_EQ(m["uri"],
            "/2010-04-01/Accounts/" + fake_->config().account_sid + "/Messages/" + sid + ".json");
  EXPECT_EQ(m["subresource_uris"]["media"], "/2010-04-01/Accounts/" + fake_->config().account_sid +
                                                "/Messages/" + sid + "/Media.json");
}

TEST_F(FakeTwilioTest, CreateWithFromAnswersQueuedWithSegments) {
  start_fake();
  auto const result =
      create({{"To", kTo}, {"From", "+15005550006"}, {"Body", std::string(161, 'a')}});
  ASSERT_EQ(result.status, 201) << result.body;
  auto const m = body_of(result);
  EXPECT_EQ(m["status"], "queued");
  EXPECT_EQ(m["from"], "+15005550006");
  EXPECT_EQ(m["num_segments"], "2");
  EXPECT_TRUE(m["messaging_service_sid"].is_null());
}

TEST_F(FakeTwilioTest, CreatedAndFetchedMessagesMatchTheSchema) {
  start_fake();
  auto const created = body_of(create(service_form()));
  expect_matches_schema(created);

  advance(10s);
  auto const fetched = get(created["uri"].get<std::string>());
  ASSERT_EQ(fetched.status, 200);
  auto const m = body_of(fetched);
  expect_matches_schema(m);
  EXPECT_EQ(m["status"], "delivered");
  EXPECT_EQ(m["from"], "+15005550006");
  EXPECT_EQ(m["num_segments"], "1");
  EXPECT_EQ(m["price_unit"], "USD");
  EXPECT_TRUE(m["price"].is_string());
  EXPECT_EQ(m["date_sent"], "Tue, 14 Nov 2023 22:13:21 +0000");
}

TEST_F(FakeTwilioTest, FetchUnknownSidAnswers20404) {
  start_fake();
  auto const path = "/2010-04-01/Accounts/" + fake_->config().account_sid +
                    "/Messages/SM0123456789abcdef0123456789abcdef.json";
  auto const result = get(path);
  EXPECT_EQ(result.status, 404);
  auto const error = body_of(result);
  EXPECT_EQ(error["code"], 20404);
  EXPECT_EQ(error["status"], 404);
  EXPECT_EQ(error["more_info"], "https://www.twilio.com/docs/errors/20404");
  EXPECT_NE(error["message"].get<std::string>().find(path), std::string::npos);
}

TEST_F(FakeTwilioTest, ListFiltersNewestFirstAndPages) {
  start_fake();
  for (auto const* to : {"+15550000001", "+15550000002", "+15550000001"}) {
    ASSERT_EQ(create(service_form(to)).status, 201);
  }
  auto const base = "/2010-04-01/Accounts/" + fake_->config().account_sid + "/Messages.json";

  auto const all = body_of(get(base));
  EXPECT_EQ(all["messages"].size(), 3u);
  EXPECT_TRUE(all["next_page_uri"].is_null());

  auto const filtered = body_of(get(base + "?To=%2B15550000001&PageSize=1"));
  ASSERT_EQ(filtered["messages"].size(), 1u);
  EXPECT_EQ(filtered["page_size"], 1);
  EXPECT_EQ(filtered["messages"][0]["to"], "+15550000001");
  EXPECT_EQ(filtered["messages"][0]["sid"], all["messages"][0]["sid"]);  // newest
  ASSERT_TRUE(filtered["next_page_uri"].is_string());

  auto const second = body_of(get(base + "?To=%2B15550000001&PageSize=1&Page=1"));
  ASSERT_EQ(second["messages"].size(), 1u);
  EXPECT_EQ(second["messages"][0]["sid"], all["messages"][2]["sid"]);
  EXPECT_TRUE(second["next_page_uri"].is_null());
  EXPECT_TRUE(second["previous_page_uri"].is_string());

  EXPECT_EQ(get(base + "?PageSize=0").status, 400);
}

TEST_F(FakeTwilioTest, AuthenticationErrorsAnswer20003) {
  start_fake([](FakeTwilioConfig& c) {
    c.api_key_sid = "SK0123456789abcdef0123456789abcdef";
    c.api_key_secret = "key-secret";
  });
  auto const& config = fake_->config();

  auto const missing =
      call(http::ClientRequest{.url = fake_->account_url() + "/Messages.json",
                               .body = http::encode_form(service_form()),
                               .content_type = "application/x-www-form-urlencoded"});
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(body_of(missing)["code"], 20003);

  auto const wrong = create(service_form(), http::basic_auth_header(config.account_sid, "nope"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(body_of(wrong)["code"], 20003);

  auto const key =
      create(service_form(), http::basic_auth_header(config.api_key_sid, config.api_key_secret));
  EXPECT_EQ(key.status, 201);

  auto const other_account =
      get("/2010-04-01/Accounts/ACffffffffffffffffffffffffffffffff/Messages.json");
  EXPECT_EQ(other_account.status, 401);
}

TEST_F(FakeTwilioTest, ValidationErrorsCarryTwilioCodes) {
  start_fake();
  struct Case {
    http::Fields form;
    int code;
  };
  Case const cases[] = {
      {{{"MessagingServiceSid", kService}, {"Body", "x"}}, 21604},
      {{{"To", kTo}, {"Body", "x"}}, 21603},
      {{{"To", kTo}, {"MessagingServiceSid", kService}}, 21602},
      {{{"To", kTo}, {"MessagingServiceSid", kService}, {"Body", std::string(1601, 'x')}}, 21617},
      {{{"To", "12345"}, {"MessagingServiceSid", kService}, {"Body", "x"}}, 21211},
      {{{"To", kTo}, {"From", "+15550009999"}, {"Body", "x"}}, 21606},
      {{{"To", kTo}, {"MessagingServiceSid", "MG11111111111111111111111111111111"}, {"Body", "x"}},
       21705},
  };
  for (auto const& c : cases) {
    auto const result = create(c.form);
    EXPECT_EQ(result.status, 400) << c.code;
    EXPECT_EQ(body_of(result)["code"], c.code) << result.body;
  }
  // 1600 characters, counted as characters not bytes, are still fine.
  std::string accented;
  for (int i = 0; i < 1600; ++i) {
    accented += "\xC3\xA9";
  }
  EXPECT_EQ(create(service_form(kTo, accented)).status, 201);
}

TEST_F(FakeTwilioTest, TestCredentialsFollowMagicNumbersWithoutCallbacks) {
  start_fake([](FakeTwilioConfig& c) { c.test_credentials = true; });
  std::map<std::pair<std::string, std::string>, int> const expected = {
      {{"+15005550006", kTo}, 201},
      {{"+15005550001", kTo}, 21212},
      {{"+15005550007", kTo}, 21606},
      {{"+15005550008", kTo}, 21611},
      {{"+15551230000", kTo}, 21606},
      {{"+15005550006", "+15005550001"}, 21211},
      {{"+15005550006", "+15005550002"}, 21612},
      {{"+15005550006", "+15005550003"}, 21408},
      {{"+15005550006", "+15005550004"}, 21610},
      {{"+15005550006", "+15005550009"}, 21614},
  };
  for (auto const& [numbers, code] : expected) {
    auto const result = create({{"To", numbers.second}, {"From", numbers.first}, {"Body", "x"}});
    if (code == 201) {
      EXPECT_EQ(result.status, 201);
      EXPECT_EQ(body_of(result)["status"], "queued");
    } else {
      EXPECT_EQ(body_of(result)["code"], code) << numbers.first << " " << numbers.second;
    }
  }

  advance(1min);
  EXPECT_TRUE(received().empty());
  EXPECT_EQ(get("/2010-04-01/Accounts/" + fake_->config().account_sid + "/Messages.json").status,
            403);
}

TEST_F(FakeTwilioTest, CallbacksArriveSignedInOrderAtTheirVirtualTimes) {
  start_fake();
  auto const sid = body_of(create(service_form()))["sid"].get<std::string>();

  advance(199ms);
  EXPECT_TRUE(received().empty());  // no callback for the initial `accepted`
  advance(1ms);
  ASSERT_EQ(received().size(), 1u);
  advance(999ms);
  EXPECT_EQ(received().size(), 1u);
  advance(1ms);
  ASSERT_EQ(received().size(), 2u);
  advance(3s);
  auto const callbacks = received();
  ASSERT_EQ(callbacks.size(), 3u);

  std::vector<std::string> statuses;
  for (auto const& params : callbacks) {
    statuses.push_back(field(params, "MessageStatus"));
    EXPECT_EQ(field(params, "SmsStatus"), field(params, "MessageStatus"));
    EXPECT_EQ(field(params, "MessageSid"), sid);
    EXPECT_EQ(field(params, "SmsSid"), sid);
    EXPECT_EQ(field(params, "AccountSid"), fake_->config().account_sid);
    EXPECT_EQ(field(params, "MessagingServiceSid"), kService);
    EXPECT_EQ(field(params, "From"), "+15005550006");
    EXPECT_EQ(field(params, "To"), kTo);
    EXPECT_EQ(field(params, "ApiVersion"), "2010-04-01");
    EXPECT_EQ(field(params, "ErrorCode"), "<absent>");
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"queued", "sent", "delivered"}));
  EXPECT_EQ(field(callbacks[1], "RawDlrDoneDate"), "<absent>");
  EXPECT_EQ(field(callbacks[2], "RawDlrDoneDate"), "2311142213");

  auto const journal = receiver_.journal();
  for (auto const& entry : journal) {
    auto const signature = http::find_header(entry.headers, "X-Twilio-Signature");
    ASSERT_TRUE(signature.has_value());
    EXPECT_TRUE(verify_signature(fake_->config().auth_token, status_url(),
                                 *http::parse_form(entry.body), *signature));
    EXPECT_FALSE(
        verify_signature("wrong-token", status_url(), *http::parse_form(entry.body), *signature));
  }
  EXPECT_EQ(journal[2].received_at, kFixtureStart + 4200ms);
}

TEST_F(FakeTwilioTest, FailedAndUndeliveredCarryErrorCodes) {
  start_fake([](FakeTwilioConfig& c) {
    c.outcomes = {{.outcome = Outcome::kFailed, .error_code = 30008}};
  });
  ASSERT_EQ(create(service_form()).status, 201);
  advance(10s);
  auto callbacks = received();
  ASSERT_EQ(callbacks.size(), 2u);
  EXPECT_EQ(field(callbacks[1], "MessageStatus"), "failed");
  EXPECT_EQ(field(callbacks[1], "ErrorCode"), "30008");

  ASSERT_TRUE(fake_->set_outcomes({{.outcome = Outcome::kUndelivered, .error_code = 30003}}).ok());
  auto const sid = body_of(create(service_form(kTo, "second")))["sid"].get<std::string>();
  advance(10s);
  callbacks = received();
  ASSERT_EQ(callbacks.size(), 5u);
  EXPECT_EQ(field(callbacks[4], "MessageStatus"), "undelivered");
  EXPECT_EQ(field(callbacks[4], "ErrorCode"), "30003");
  EXPECT_EQ(field(callbacks[4], "RawDlrDoneDate").size(), 10u);
  EXPECT_EQ(fake_->message(sid)->error_code, 30003);

  EXPECT_FALSE(fake_->set_outcomes({}).ok());
  EXPECT_FALSE(fake_->set_outcomes({{.weight = -1}}).ok());
}

TEST_F(FakeTwilioTest, StatusCallbackParameterOverridesTheServiceUrl) {
  receiver_.route("POST", "/other",
                  [](http::Request const&) { return http::Response::text(200, ""); });
  start_fake();
  auto form = service_form();
  form.emplace_back("StatusCallback", receiver_.base_url() + "/other?id=7");
  ASSERT_EQ(create(form).status, 201);
  advance(10s);
  EXPECT_TRUE(received().empty());
  EXPECT_EQ(received("/other?id=7").size(), 3u);
}

TEST_F(FakeTwilioTest, OutcomeDependsOnTheMessageNotOnArrivalOrder) {
  auto const mix = [](FakeTwilioConfig& c) {
    c.seed = 42;
    c.outcomes = {{.outcome = Outcome::kDelivered, .weight = 1},
                  {.outcome = Outcome::kUndelivered, .error_code = 30003, .weight = 1}};
  };
  std::vector<std::string> bodies;
  for (int i = 0; i < 16; ++i) {
    bodies.push_back("message " + std::to_string(i));
  }

  auto const run = [&](std::vector<std::string> const& order) {
    start_fake(mix);
    for (auto const& body : order) {
      EXPECT_EQ(create(service_form(kTo, body)).status, 201);
    }
    advance(10s);
    std::map<std::string, std::string> out;
    for (auto const& m : fake_->messages()) {
      out[m.body] = m.status;
    }
    fake_.reset();
    return out;
  };
  auto const forward = run(bodies);
  std::reverse(bodies.begin(), bodies.end());
  auto const backward = run(bodies);

  EXPECT_EQ(forward, backward);
  auto const undelivered = std::count_if(forward.begin(), forward.end(),
                                         [](auto const& e) { return e.second == "undelivered"; });
  EXPECT_GT(undelivered, 0);
  EXPECT_LT(undelivered, 16);
}

TEST_F(FakeTwilioTest, RateLimitServerErrorAndResetBursts) {
  start_fake();
  fake_->rate_limit_next(2);
  fake_->server_error_next(1, 503);
  fake_->reset_next(1);

  for (int i = 0; i < 2; ++i) {
    auto const limited = create(service_form());
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(body_of(limited)["code"], 20429);
    EXPECT_FALSE(http::find_header(limited.headers, "Retry-After").has_value());
  }
  EXPECT_EQ(create(service_form()).status, 503);
  EXPECT_TRUE(create(service_form()).error.has_value());
  EXPECT_EQ(create(service_form()).status, 201);
  EXPECT_EQ(fake_->messages().size(), 1u);
}

TEST_F(FakeTwilioTest, DuplicatedCallbacksArriveTwice) {
  start_fake([](FakeTwilioConfig& c) { c.callback_faults.duplicate_rate = 1.0; });
  ASSERT_EQ(create(service_form()).status, 201);
  advance(10s);
  std::vector<std::string> statuses;
  for (auto const& params : received()) {
    statuses.push_back(field(params, "MessageStatus"));
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"queued", "queued", "sent", "sent", "delivered",
                                                "delivered"}));
  EXPECT_TRUE(fake_->callbacks()[1].duplicate);
}

TEST_F(FakeTwilioTest, ReorderedCallbacksSendSentAfterTheFinalStatus) {
  start_fake([](FakeTwilioConfig& c) { c.callback_faults.reorder_rate = 1.0; });
  auto const sid = body_of(create(service_form()))["sid"].get<std::string>();
  advance(1200ms);
  EXPECT_EQ(received().size(), 1u);  // `sent` is held back
  EXPECT_EQ(fake_->message(sid)->status, "sent");
  advance(10s);
  std::vector<std::string> statuses;
  for (auto const& params : received()) {
    statuses.push_back(field(params, "MessageStatus"));
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"queued", "delivered", "sent"}));
}

TEST_F(FakeTwilioTest, DroppedCallbacksAreJournaledButNotSent) {
  start_fake([](FakeTwilioConfig& c) { c.callback_faults.drop_rate = 1.0; });
  auto const sid = body_of(create(service_form()))["sid"].get<std::string>();
  advance(10s);
  EXPECT_TRUE(received().empty());
  auto const callbacks = fake_->callbacks();
  ASSERT_EQ(callbacks.size(), 3u);
  EXPECT_TRUE(callbacks[0].dropped);
  EXPECT_EQ(fake_->message(sid)->status, "delivered");
}

TEST_F(FakeTwilioTest, FailingReceiverIsRetriedOnceAndRecorded) {
  receiver_status_ = 500;
  start_fake([](FakeTwilioConfig& c) {
    c.outcomes = {{.outcome = Outcome::kFailed, .error_code = 30001}};
  });
  ASSERT_EQ(create(service_form()).status, 201);
  advance(200ms);
  ASSERT_EQ(received().size(), 1u);
  advance(1s);  // the retry of `queued` and the first `failed` fall due together
  advance(1s);
  auto const callbacks = fake_->callbacks();
  ASSERT_EQ(callbacks.size(), 4u);
  for (auto const& c : callbacks) {
    EXPECT_EQ(c.http_status, 500);
    EXPECT_TRUE(c.completed);
  }
  EXPECT_EQ(callbacks[0].attempt, 1);
  EXPECT_EQ(callbacks[0].status, "queued");
  auto const retries = std::count_if(callbacks.begin(), callbacks.end(),
                                     [](auto const& c) { return c.attempt == 2; });
  EXPECT_EQ(retries, 2);
  advance(1min);
  EXPECT_EQ(fake_->callbacks().size(), 4u);
}

TEST_F(FakeTwilioTest, UnreachableReceiverIsRecordedAsTransportError) {
  start_fake([](FakeTwilioConfig& c) {
    c.services.front().status_callback = "http://127.0.0.1:1/nowhere";
    c.callback_faults.retry_once = false;
  });
  ASSERT_EQ(create(service_form()).status, 201);
  advance(200ms);
  auto const callbacks = fake_->callbacks();
  ASSERT_EQ(callbacks.size(), 1u);
  EXPECT_TRUE(callbacks[0].completed);
  EXPECT_EQ(callbacks[0].http_status, 0);
  EXPECT_FALSE(callbacks[0].error.empty());
}

TEST_F(FakeTwilioTest, InboundStopOptsOutUntilStart) {
  start_fake();
  auto const sid = fake_->send_inbound({.from = kTo, .body = " stop "});
  ASSERT_TRUE(sid.ok()) << sid.error().message;
  ASSERT_TRUE(clock_.settle());
  ASSERT_TRUE(fake_->wait_for_callbacks(1));

  auto const inbound = received("/twilio/inbound");
  ASSERT_EQ(inbound.size(), 1u);
  EXPECT_EQ(field(inbound[0], "MessageSid"), *sid);
  EXPECT_EQ(field(inbound[0], "SmsMessageSid"), *sid);
  EXPECT_EQ(field(inbound[0], "From"), kTo);
  EXPECT_EQ(field(inbound[0], "To"), "+15005550006");
  EXPECT_EQ(field(inbound[0], "Body"), " stop ");
  EXPECT_EQ(field(inbound[0], "SmsStatus"), "received");
  EXPECT_EQ(field(inbound[0], "NumMedia"), "0");
  auto const entry = receiver_.journal().back();
  EXPECT_TRUE(verify_signature(fake_->config().auth_token, receiver_.base_url() + "/twilio/inbound",
                               inbound[0],
                               *http::find_header(entry.headers, "X-Twilio-Signature")));

  EXPECT_TRUE(fake_->opted_out(kTo));
  auto const refused = create(service_form());
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(body_of(refused)["code"], 21610);
  EXPECT_EQ(create(service_form("+15550000001")).status, 201);

  ASSERT_TRUE(fake_->send_inbound({.from = kTo, .body = "START"}).ok());
  EXPECT_FALSE(fake_->opted_out(kTo));
  EXPECT_EQ(create(service_form()).status, 201);
}

TEST_F(FakeTwilioTest, DeferredOptOutFailsLaterWith21610) {
  start_fake([](FakeTwilioConfig& c) { c.defer_opt_out_with_service = true; });
  ASSERT_TRUE(fake_->send_inbound({.from = kTo, .body = "STOP"}).ok());
  auto const created = create(service_form());
  ASSERT_EQ(created.status, 201);
  advance(10s);
  auto const callbacks = received();
  ASSERT_EQ(callbacks.size(), 2u);
  EXPECT_EQ(field(callbacks[1], "MessageStatus"), "failed");
  EXPECT_EQ(field(callbacks[1], "ErrorCode"), "21610");
}

TEST_F(FakeTwilioTest, InboundNeedsAUrlAndValidNumbers) {
  start_fake([](FakeTwilioConfig& c) { c.inbound_url.clear(); });
  auto const no_url = fake_->send_inbound({.from = kTo, .body = "hi"});
  ASSERT_FALSE(no_url.ok());
  EXPECT_EQ(no_url.error().code, Errc::kFailedPrecondition);
  EXPECT_EQ(fake_->send_inbound({.from = "garbage", .body = "hi"}).error().code,
            Errc::kInvalidArgument);
}

TEST_F(FakeTwilioTest, WaitUntilStoppedReturnsOnceStopped) {
  start_fake();
  std::thread runner([&] { fake_->wait_until_stopped(); });
  fake_->stop();
  runner.join();
  fake_->wait_until_stopped();  // already stopped: returns at once
  EXPECT_TRUE(create(service_form()).error.has_value());
}

TEST_F(FakeTwilioTest, StopCancelsPendingCallbacks) {
  start_fake();
  ASSERT_EQ(create(service_form()).status, 201);
  EXPECT_EQ(clock_.pending_timers(), 3u);
  fake_->stop();
  EXPECT_EQ(clock_.pending_timers(), 0u);
  advance(10s);
  EXPECT_TRUE(received().empty());
}

// ---------------------------------------------------------------------------------------
// Robustness and the rest of the Message resource.

class FakeTwilioResourceTest : public TwilioFixture {
 protected:
  /// `method` on `path` (under the account unless it starts with "/2"), with a form body.
  http::ClientResult request(std::string method, std::string const& path,
                             http::Fields const& form = {}) {
    auto const& config = fake_->config();
    auto const url = path.starts_with("/2") ? fake_->base_url() + path : messages_url() + path;
    return call(http::ClientRequest{
        .method = std::move(method),
        .url = url,
        .headers = {{"Authorization",
                     http::basic_auth_header(config.account_sid, config.auth_token)}},
        .body = http::encode_form(form),
        .content_type = form.empty() ? "" : "application/x-www-form-urlencoded"});
  }

  std::string messages_url() const { return fake_->account_url() + "/Messages"; }
  std::string messages_path() const {
    return "/2010-04-01/Accounts/" + fake_->config().account_sid + "/Messages";
  }

  std::string create_sid(http::Fields const& form) {
    auto const created = create(form);
    EXPECT_EQ(created.status, 201) << created.body;
    return body_of(created)["sid"].get<std::string>();
  }

  std::vector<std::string> listed_sids(std::string const& query) {
    auto const result = get(messages_path() + ".json" + query);
    EXPECT_EQ(result.status, 200) << result.body;
    std::vector<std::string> sids;
    auto const listing = body_of(result);
    for (auto const& m : listing["messages"]) {
      sids.push_back(m["sid"].get<std::string>());
    }
    return sids;
  }
};

TEST_F(FakeTwilioResourceTest, HugePageNumbersGiveAnEmptyPageInsteadOfCrashing) {
  start_fake();
  for (int i = 0; i < 3; ++i) {
    create_sid(service_form());
  }
  for (char const* page :
       {"9223372036854775807", "18446744073709551615", "99999999999999999999999999", "2"}) {
    auto const result = get(messages_path() + ".json?PageSize=2&Page=" + page);
    ASSERT_EQ(result.status, 200) << page << ": " << result.body;
    auto const out = body_of(result);
    EXPECT_TRUE(out["messages"].empty()) << page;
    EXPECT_TRUE(out["next_page_uri"].is_null()) << page;
  }
  EXPECT_EQ(listed_sids("?PageSize=2&Page=1").size(), 1u);

  auto const capped = body_of(get(messages_path() + ".json?PageSize=5000"));
  EXPECT_EQ(capped["page_size"], 1000);
  EXPECT_EQ(capped["messages"].size(), 3u);
  for (char const* bad : {"?Page=-1", "?Page=one", "?PageSize=0", "?PageSize=", "?PageSize=-5"}) {
    auto const refused = get(messages_path() + ".json" + bad);
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_EQ(body_of(refused)["code"], 20001) << bad;
  }
}

TEST_F(FakeTwilioResourceTest, PageTokenContinuesAfterItsMessageWhateverCameSince) {
  start_fake();
  std::vector<std::string> sids;
  for (int i = 0; i < 3; ++i) {
    sids.push_back(create_sid(service_form(kTo, "m" + std::to_string(i))));
  }
  auto const first = body_of(get(messages_path() + ".json?To=%2B15558675310&PageSize=2"));
  ASSERT_EQ(first["messages"].size(), 2u);
  auto const next = first["next_page_uri"].get<std::string>();
  EXPECT_EQ(next,
            messages_path() + ".json?To=%2B15558675310&PageSize=2&Page=1&PageToken=PA" + sids[1]);
  EXPECT_EQ(first["uri"], messages_path() + ".json?To=%2B15558675310&PageSize=2&Page=0");

  create_sid(service_form(kTo, "newer"));
  auto const second = body_of(get(next));
  ASSERT_EQ(second["messages"].size(), 1u);
  EXPECT_EQ(second["messages"][0]["sid"], sids[0]);  // not shifted by the newer message
  EXPECT_EQ(second["start"], 2);                     // Page * PageSize, as the client counts
  EXPECT_EQ(second["end"], 2);
  EXPECT_TRUE(second["next_page_uri"].is_null());
  EXPECT_TRUE(second["previous_page_uri"].is_string());

  // The token still works once the message it names is deleted.
  ASSERT_EQ(request("DELETE", "/" + sids[1] + ".json").status, 204);
  EXPECT_EQ(body_of(get(next))["messages"][0]["sid"], sids[0]);
  auto const bogus = get(messages_path() + ".json?PageToken=PAnothing");
  EXPECT_EQ(bogus.status, 400);
  EXPECT_NE(body_of(bogus)["message"].get<std::string>().find("PageToken"), std::string::npos);
}

TEST_F(FakeTwilioResourceTest, DateSentFiltersSelectBySendingDay) {
  start_fake();
  auto const early = create_sid(service_form(kTo, "early"));  // sent 2023-11-14 22:13:21
  advance(2h);
  auto const late = create_sid(service_form(kTo, "late"));  // sent 2023-11-15 00:13:21
  advance(10s);
  auto const unsent = create_sid(service_form(kTo, "unsent"));  // still accepted

  using Sids = std::vector<std::string>;
  EXPECT_EQ(listed_sids(""), (Sids{unsent, late, early}));
  EXPECT_EQ(listed_sids("?DateSent=2023-11-14"), Sids{early});
  EXPECT_EQ(listed_sids("?DateSent=2023-11-15T08:00:00Z"), Sids{late});  // its day
  EXPECT_EQ(listed_sids("?DateSent%3C=2023-11-14"), Sids{early});
  EXPECT_EQ(listed_sids("?DateSent<=2023-11-15"), (Sids{late, early}));
  EXPECT_EQ(listed_sids("?DateSent>=2023-11-15"), Sids{late});
  EXPECT_EQ(listed_sids("?DateSent%3E=2023-11-14T22:13:21Z"), (Sids{late, early}));
  EXPECT_EQ(listed_sids("?DateSent%3E=2023-11-14T22:13:22Z"), Sids{late});
  EXPECT_EQ(listed_sids("?DateSent%3C=2023-11-14T22:13:20Z"), Sids{});
  EXPECT_EQ(listed_sids("?DateSent%3C=2023-11-14T22:13:21Z"), Sids{early});
  EXPECT_EQ(listed_sids("?DateSent%3E=2023-11-14+23:00:00.000"), Sids{late});
  EXPECT_EQ(listed_sids("?DateSent%3E=Tue%2C+14+Nov+2023+23%3A00%3A00+-0000"), Sids{late});
  EXPECT_EQ(listed_sids("?DateSent%3E=2023-11-15T01:00:00%2B02:00"), Sids{late});  // 23:00 GMT
  EXPECT_EQ(listed_sids("?DateSent%3E=2023-11-14&DateSent%3C=2023-11-14"), Sids{early});

  auto const page = body_of(get(messages_path() + ".json?DateSent%3E=2023-11-14&PageSize=1"));
  EXPECT_EQ(page["uri"], messages_path() + ".json?DateSent%3E=2023-11-14&PageSize=1&Page=0");
  EXPECT_NE(page["next_page_uri"].get<std::string>().find("DateSent%3E=2023-11-14&"),
            std::string::npos);

  for (char const* bad : {"?DateSent=yesterday", "?DateSent%3C=2023-02-30",
                          "?DateSent%3E=06%2F11%2F2019+22%3A05%3A25+MST"}) {
    auto const refused = get(messages_path() + ".json" + bad);
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_NE(body_of(refused)["message"].get<std::string>().find("DateSent"), std::string::npos);
  }
}

TEST_F(FakeTwilioResourceTest, BodyThatIsNotUtf8IsReadLenientlyAndNeverBreaksListings) {
  start_fake();
  auto const created = create(service_form(kTo, "ok\xFF\xFE!"));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(body_of(created)["body"], "ok\uFFFD\uFFFD!");
  auto const sid = body_of(created)["sid"].get<std::string>();
  EXPECT_EQ(fake_->message(sid)->body, "ok\xEF\xBF\xBD\xEF\xBF\xBD!");
  ASSERT_TRUE(fake_->send_inbound({.from = kTo, .body = "\xC0 hi"}).ok());
  advance(10s);

  auto const listed = get(messages_path() + ".json");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(body_of(listed)["messages"].size(), 2u);
  EXPECT_EQ(body_of(listed)["messages"][0]["body"], "\uFFFD hi");
  auto const admin =
      call(http::ClientRequest{.method = "GET", .url = fake_->base_url() + "/__admin/messages"});
  EXPECT_EQ(admin.status, 200) << admin.body;
  auto const journal =
      call(http::ClientRequest{.method = "GET", .url = fake_->base_url() + "/__admin/journal"});
  EXPECT_EQ(journal.status, 200) << journal.body;
  EXPECT_EQ(received().size(), 3u);  // the message's callbacks went out as usual

  // Raw bytes that are not UTF-8 in a request's headers and body stay journaled, and
  // the journal can still be written.
  auto const raw = call(http::ClientRequest{.url = messages_url() + ".json",
                                            .headers = {{"X-Odd", "\xFF"}},
                                            .body = "Body=\xFE",
                                            .content_type = "application/x-www-form-urlencoded"});
  EXPECT_EQ(raw.status, 401);
  EXPECT_EQ(
      call(http::ClientRequest{.method = "GET", .url = fake_->base_url() + "/__admin/journal"})
          .status,
      200);
}

TEST_F(FakeTwilioResourceTest, UnknownResourcesAnswer20404AndLackedEndpoints501) {
  start_fake();
  auto const sid = create_sid(service_form());
  auto const account = "/2010-04-01/Accounts/" + fake_->config().account_sid;
  for (std::string const& path : {account + "/Nonsense.json", messages_path(),  // no .json
                                  messages_path() + "/" + sid, std::string("/nowhere"),
                                  messages_path() + "/" + sid + "/Bogus.json"}) {
    auto const result = get(path);
    EXPECT_EQ(result.status, 404) << path;
    EXPECT_EQ(http::find_header(result.headers, "Content-Type"), "application/json; charset=utf-8");
    auto const error = body_of(result);
    EXPECT_EQ(error["code"], 20404) << path;
    EXPECT_EQ(error["status"], 404);
    EXPECT_EQ(error["message"], "The requested resource " + path + " was not found");
    EXPECT_EQ(error["more_info"], "https://www.twilio.com/docs/errors/20404");
  }
  for (std::string const& path :
       {account + "/Calls.json", account + "/IncomingPhoneNumbers/PN1.json", account + ".json",
        messages_path() + "/" + sid + "/Media.json", messages_path() + "/" + sid + "/Feedback.json",
        std::string("/2010-04-01/Accounts.json")}) {
    auto const result = get(path);
    EXPECT_EQ(result.status, 501) << path;
    EXPECT_NE(body_of(result)["message"].get<std::string>().find("not implemented"),
              std::string::npos);
  }
  for (auto const& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"PUT", messages_path() + ".json"},
           {"DELETE", messages_path() + ".json"},
           {"PATCH", messages_path() + "/" + sid + ".json"}}) {
    auto const result = request(method, path);
    EXPECT_EQ(result.status, 405) << method << " " << path;
    EXPECT_EQ(body_of(result)["code"], 20004);
  }
}

TEST_F(FakeTwilioResourceTest, OversizedBodyAnswersTwilioStyleJson) {
  start_fake();
  auto const result = create(service_form(kTo, std::string(2 * 1024 * 1024, 'x')));
  EXPECT_EQ(result.status, 413);
  auto const error = body_of(result);
  EXPECT_EQ(error["code"], 20413);
  EXPECT_EQ(error["status"], 413);
  EXPECT_EQ(error["more_info"], "https://www.twilio.com/docs/errors/20413");
  EXPECT_TRUE(fake_->messages().empty());
}

TEST_F(FakeTwilioResourceTest, DeleteRemovesTheMessage) {
  start_fake();
  auto const sid = create_sid(service_form());
  advance(10s);
  auto const deleted = request("DELETE", "/" + sid + ".json");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  auto const fetched = get(messages_path() + "/" + sid + ".json");
  EXPECT_EQ(fetched.status, 404);
  EXPECT_EQ(body_of(fetched)["code"], 20404);
  EXPECT_EQ(request("DELETE", "/" + sid + ".json").status, 404);
  EXPECT_TRUE(listed_sids("").empty());
  EXPECT_FALSE(fake_->message(sid).has_value());
}

TEST_F(FakeTwilioResourceTest, DeletingAMessageInFlightStopsItsCallbacks) {
  // Pins the Limitation in remove(): Twilio's behaviour here is not documented.
  start_fake();
  auto const sid = create_sid(service_form());
  advance(200ms);
  ASSERT_EQ(received().size(), 1u);  // queued
  ASSERT_EQ(request("DELETE", "/" + sid + ".json").status, 204);
  EXPECT_EQ(clock_.pending_timers(), 0u);
  advance(10s);
  EXPECT_EQ(received().size(), 1u);
}

TEST_F(FakeTwilioResourceTest, UpdateWithAnEmptyBodyRedacts) {
  start_fake();
  auto const sid = create_sid(service_form(kTo, "secret"));
  advance(10s);
  auto const redacted = request("POST", "/" + sid + ".json", {{"Body", ""}});
  ASSERT_EQ(redacted.status, 200) << redacted.body;
  auto const m = body_of(redacted);
  EXPECT_EQ(m["body"], "");
  EXPECT_EQ(m["status"], "delivered");
  expect_matches_schema(m);
  EXPECT_EQ(body_of(get(messages_path() + "/" + sid + ".json"))["body"], "");

  auto const rewrite = request("POST", "/" + sid + ".json", {{"Body", "new text"}});
  EXPECT_EQ(rewrite.status, 400);
  EXPECT_EQ(body_of(rewrite)["code"], 20001);
  auto const bad_status = request("POST", "/" + sid + ".json", {{"Status", "sent"}});
  EXPECT_EQ(bad_status.status, 400);
  EXPECT_EQ(request("POST", "/SM00000000000000000000000000000000.json", {{"Body", ""}}).status,
            404);
}

TEST_F(FakeTwilioResourceTest, ScheduledMessageWaitsForSendAtAndCanBeCanceled) {
  start_fake();
  auto scheduled = service_form(kTo, "later");
  scheduled.emplace_back("ScheduleType", "fixed");
  scheduled.emplace_back("SendAt", "2023-11-14T23:13:20Z");  // an hour after the start
  auto const created = create(scheduled);
  ASSERT_EQ(created.status, 201) << created.body;
  auto const m = body_of(created);
  expect_matches_schema(m);
  EXPECT_EQ(m["status"], "scheduled");
  EXPECT_EQ(m["num_segments"], "0");
  EXPECT_TRUE(m["date_sent"].is_null());
  EXPECT_TRUE(m["price_unit"].is_null());
  auto const kept = m["sid"].get<std::string>();

  scheduled[2].second = "to cancel";
  auto const canceled_sid = create_sid(scheduled);
  auto const canceled = request("POST", "/" + canceled_sid + ".json", {{"Status", "canceled"}});
  ASSERT_EQ(canceled.status, 200) << canceled.body;
  EXPECT_EQ(body_of(canceled)["status"], "canceled");
  EXPECT_EQ(body_of(canceled)["price_unit"], "USD");
  ASSERT_TRUE(clock_.settle());
  ASSERT_TRUE(fake_->wait_for_callbacks(1));
  ASSERT_EQ(received().size(), 1u);
  EXPECT_EQ(field(received()[0], "MessageStatus"), "canceled");
  EXPECT_EQ(field(received()[0], "MessageSid"), canceled_sid);

  auto const again = request("POST", "/" + canceled_sid + ".json", {{"Status", "canceled"}});
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(body_of(again)["code"], 30409);

  advance(59min);
  EXPECT_EQ(received().size(), 1u);
  advance(1min + 200ms);
  ASSERT_EQ(received().size(), 2u);
  EXPECT_EQ(field(received()[1], "MessageStatus"), "queued");
  EXPECT_EQ(field(received()[1], "MessageSid"), kept);
  advance(10s);
  EXPECT_EQ(received().size(), 4u);
  EXPECT_EQ(fake_->message(kept)->status, "delivered");
  EXPECT_EQ(fake_->message(canceled_sid)->status, "canceled");
}

TEST_F(FakeTwilioResourceTest, SchedulingOutsideTwiliosWindowIsRefused) {
  start_fake();
  auto const with = [](char const* type, char const* send_at) {
    auto form = service_form();
    form.emplace_back("ScheduleType", type);
    form.emplace_back("SendAt", send_at);
    return form;
  };
  for (char const* send_at :
       {"2023-11-14T22:23:20Z", "2023-12-20T22:13:20Z", "tomorrow", "2023-11-15", ""}) {
    auto const refused = create(with("fixed", send_at));
    EXPECT_EQ(refused.status, 400) << send_at;
    EXPECT_EQ(body_of(refused)["code"], 35114) << send_at;
  }
  EXPECT_EQ(create(with("fixed", "2023-11-14T22:28:20Z")).status, 201);  // 15 minutes ahead
  EXPECT_EQ(body_of(create(with("later", "2023-11-14T23:13:20Z")))["code"], 20001);

  // Without a Messaging Service Twilio drops the scheduling parameters.
  auto direct = http::Fields{{"To", kTo}, {"From", "+15005550006"}, {"Body", "now"}};
  direct.emplace_back("ScheduleType", "fixed");
  direct.emplace_back("SendAt", "2023-11-14T23:13:20Z");
  EXPECT_EQ(body_of(create(direct))["status"], "queued");

  auto const accepted = create_sid(service_form());
  auto const refused = request("POST", "/" + accepted + ".json", {{"Status", "canceled"}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(body_of(refused)["code"], 30409);
}

TEST_F(FakeTwilioResourceTest, TestCredentialsReachNothingButCreate) {
  start_fake([](FakeTwilioConfig& c) { c.test_credentials = true; });
  auto const sid = create_sid({{"To", kTo}, {"From", "+15005550006"}, {"Body", "x"}});
  for (auto const& method : {"DELETE", "POST"}) {
    auto const refused = request(method, "/" + sid + ".json", {{"Body", ""}});
    EXPECT_EQ(refused.status, 403) << method;
    EXPECT_EQ(body_of(refused)["code"], 20008) << method;
  }
}

TEST_F(FakeTwilioResourceTest, PriceUnitIsNullUntilTheMessageIsPriced) {
  start_fake();
  auto const created = body_of(create(service_form()));
  EXPECT_TRUE(created["price_unit"].is_null());
  EXPECT_TRUE(created["price"].is_null());
  auto const uri = created["uri"].get<std::string>();
  advance(200ms);
  EXPECT_TRUE(body_of(get(uri))["price_unit"].is_null());  // queued
  advance(1s);
  EXPECT_EQ(body_of(get(uri))["price_unit"], "USD");  // sent
}

TEST_F(FakeTwilioResourceTest, RetriesAndDuplicatesKeepTheIdempotencyToken) {
  receiver_status_ = 500;
  start_fake([](FakeTwilioConfig& c) { c.callback_faults.duplicate_rate = 1.0; });
  create_sid(service_form());
  advance(200ms);
  advance(1s);  // the retry of `queued` falls due with `sent`
  advance(1s);
  auto const callbacks = fake_->callbacks();
  std::map<std::string, std::set<std::string>> tokens_by_status;
  std::set<std::string> all;
  for (auto const& c : callbacks) {
    tokens_by_status[c.status].insert(c.idempotency_token);
    all.insert(c.idempotency_token);
  }
  ASSERT_GE(callbacks.size(), 4u);
  EXPECT_EQ(std::count_if(callbacks.begin(), callbacks.end(),
                          [](auto const& c) { return c.status == "queued"; }),
            4);  // the first delivery and its duplicate, each retried once
  for (auto const& [status, tokens] : tokens_by_status) {
    EXPECT_EQ(tokens.size(), 1u) << status;
  }
  EXPECT_EQ(all.size(), tokens_by_status.size());

  // What went on the wire.
  std::set<std::string> queued_tokens;
  for (auto const& entry : receiver_.journal()) {
    auto const params = *http::parse_form(entry.body);
    if (field(params, "MessageStatus") == "queued") {
      queued_tokens.insert(
          http::find_header(entry.headers, "I-Twilio-Idempotency-Token").value_or(""));
    }
  }
  EXPECT_EQ(queued_tokens, tokens_by_status["queued"]);
  EXPECT_EQ(queued_tokens.begin()->size(), 32u);
}

}  // namespace
}  // namespace candor::fakes::twilio
