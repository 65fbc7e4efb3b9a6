#include "fakes/twilio/fake_twilio.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/fakes/twilio/twilio_fixture.hpp"

namespace candor::fakes::twilio {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

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

/// One property of the Message resource (api.v2010.account.message).
struct Property {
  std::string type;                  ///< "string", "integer", "object" or "enum"
  std::string pattern;               ///< regular expression a string must match; may be empty
  std::vector<std::string> allowed;  ///< the values of an "enum"
  bool nullable = true;
};
using Schema = std::map<std::string, Property>;

std::string const kSidPattern = "^(SM|MM)[0-9a-fA-F]{32}$";
std::string const kAccountPattern = "^AC[0-9a-fA-F]{32}$";
std::string const kServicePattern = "^MG[0-9a-fA-F]{32}$";

/// The Message resource as Twilio's 2010-04-01 description states it, written out
/// so that the check runs where that description is not at hand; the test
/// TheWrittenSchemaIsTheSpecs proves the two equal where it is.
Schema const& written_schema() {
  static Schema const schema = [] {
    Schema s;
    for (char const* name :
         {"body", "num_segments", "to", "price", "error_message", "uri", "num_media", "api_version",
          "from", "date_updated", "date_sent", "date_created", "price_unit"}) {
      s[name] = {.type = "string"};
    }
    s["sid"] = {.type = "string", .pattern = kSidPattern};
    s["account_sid"] = {.type = "string", .pattern = kAccountPattern};
    s["messaging_service_sid"] = {.type = "string", .pattern = kServicePattern};
    s["error_code"] = {.type = "integer"};
    s["subresource_uris"] = {.type = "object"};
    s["direction"] = {.type = "enum",
                      .allowed = {"inbound", "outbound-api", "outbound-call", "outbound-reply"},
                      .nullable = false};
    s["status"] = {
        .type = "enum",
        .allowed = {"queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving",
                    "received", "accepted", "scheduled", "read", "partially_delivered", "canceled"},
        .nullable = false};
    return s;
  }();
  return schema;
}

/// The Message resource read from the shared copy of Twilio's description, or
/// nullopt when that file is not beside the checkout.
std::optional<Schema> spec_schema() {
  std::ifstream in(std::string(CANDOR_SHARED_DIR) + "/spec/twilio_api_v2010.json");
  if (!in) {
    return std::nullopt;
  }
  auto const spec = json::parse(in, nullptr, false);
  if (spec.is_discarded()) {
    return std::nullopt;
  }
  auto const& schemas = spec["components"]["schemas"];
  Schema out;
  for (auto const& [name, schema] : schemas["api.v2010.account.message"]["properties"].items()) {
    Property p;
    if (schema.contains("$ref")) {
      auto const ref = schema["$ref"].get<std::string>();
      p.type = "enum";
      p.allowed = schemas[ref.substr(ref.rfind('/') + 1)]["enum"].get<std::vector<std::string>>();
      p.nullable = false;
    } else {
      p.type = schema["type"].get<std::string>();
      p.pattern = schema.value("pattern", "");
      p.nullable = schema.value("nullable", false);
    }
    out[name] = std::move(p);
  }
  return out;
}

/// Checks `message` against the Message resource: every property present, no
/// other, each of its type, pattern or enumeration.
void expect_matches_schema(json const& message) {
  Schema const& schema = written_schema();
  ASSERT_EQ(message.size(), schema.size());
  for (auto const& [name, property] : schema) {
    ASSERT_TRUE(message.contains(name)) << name;
    auto const& value = message[name];
    if (value.is_null()) {
      EXPECT_TRUE(property.nullable) << name;
      continue;
    }
    if (property.type == "enum") {
      ASSERT_TRUE(value.is_string()) << name;
      auto const& allowed = property.allowed;
      EXPECT_NE(std::find(allowed.begin(), allowed.end(), value.get<std::string>()), allowed.end())
          << name << "=" << value;
    } else if (property.type == "string") {
      ASSERT_TRUE(value.is_string()) << name;
      if (!property.pattern.empty()) {
        EXPECT_TRUE(std::regex_match(value.get<std::string>(), std::regex(property.pattern)))
            << name << "=" << value;
      }
    } else if (property.type == "integer") {
      EXPECT_TRUE(value.is_number_integer()) << name;
    } else if (property.type == "object") {
      EXPECT_TRUE(value.is_object()) << name;
    } else {
      ADD_FAILURE() << "unexpected schema type " << property.type << " for " << name;
    }
  }
}

TEST(FakeTwilioSchema, TheWrittenSchemaIsTheSpecs) {
  auto const spec = spec_schema();
  if (!spec) {
    GTEST_SKIP() << "no shared copy of Twilio's description beside the checkout";
  }
  Schema const& written = written_schema();
  ASSERT_EQ(written.size(), spec->size());
  for (auto const& [name, expected] : *spec) {
    auto const it = written.find(name);
    ASSERT_NE(it, written.end()) << name;
    EXPECT_EQ(it->second.type, expected.type) << name;
    EXPECT_EQ(it->second.pattern, expected.pattern) << name;
    EXPECT_EQ(it->second.allowed, expected.allowed) << name;
    EXPECT_EQ(it->second.nullable, expected.nullable) << name;
  }
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

}  // namespace
}  // namespace candor::fakes::twilio
