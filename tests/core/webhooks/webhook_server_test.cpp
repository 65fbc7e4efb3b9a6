#include "core/webhooks/webhook_server.hpp"

#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock/manual_clock.hpp"
#include "core/webhooks/twilio_signature.hpp"
#include "tests/core/webhooks/webhook_test_support.hpp"

namespace candor::webhooks {
namespace {

using testing::_;
using testing::HasSubstr;
using testing::SaveArg;
using testing::StrictMock;
using testing_support::exchange;
using testing_support::form_encode;
using testing_support::make_request;
using testing_support::MockSink;

constexpr char kToken[] = "test-auth-token";
constexpr char kStatusPath[] = "/webhooks/twilio/status";
constexpr char kInboundPath[] = "/webhooks/twilio/inbound";
constexpr char kSyniversePath[] = "/webhooks/syniverse/events";
// "hook-user:hook-pass" in base64.
constexpr char kGoodBasic[] = "Basic aG9vay11c2VyOmhvb2stcGFzcw==";

clock::TimePoint const kNow = clock::from_unix_ms(1'754'000'000'000);

FormParams failed_status_params() {
  return {
      {"RawDlrDoneDate", "2303092021"}, {"ErrorCode", "30011"},           {"SmsSid", "SM0001"},
      {"SmsStatus", "failed"},          {"MessageStatus", "failed"},      {"To", "+15558675310"},
      {"MessageSid", "SM0001"},         {"AccountSid", "AC0001"},         {"From", "+15017122661"},
      {"ApiVersion", "2010-04-01"},     {"SomeFieldTwilioAddsLater", "x"}};
}

class WebhookServerTest : public testing::Test {
 protected:
  void start(WebhookServerOptions options = {}) {
    options.twilio_auth_token = kToken;
    options.syniverse_user = "hook-user";
    options.syniverse_password = "hook-pass";
    options.max_body_bytes = options.max_body_bytes == WebhookServerOptions{}.max_body_bytes
                                 ? 4096
                                 : options.max_body_bytes;
    server_ = std::make_unique<WebhookServer>(options, sink_, clock_);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().to_string();
  }

  testing_support::HttpResult post_twilio(std::string const& target, FormParams const& params,
                                          std::optional<std::string> signature) {
    std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    if (signature) {
      headers.emplace_back("X-Twilio-Signature", *signature);
    }
    return exchange(server_->port(), make_request("POST", target, headers, form_encode(params)));
  }

  testing_support::HttpResult post_signed(std::string const& target, FormParams const& params) {
    return post_twilio(target, params,
                       twilio_signature(kToken, server_->base_url() + target, params));
  }

  testing_support::HttpResult post_syniverse(std::string const& body,
                                             std::optional<std::string> authorization) {
    std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/json; charset=UTF-8"}};
    if (authorization) {
      headers.emplace_back("Authorization", *authorization);
    }
    return exchange(server_->port(), make_request("POST", kSyniversePath, headers, body));
  }

  clock::ManualClock clock_{kNow};
  StrictMock<MockSink> sink_;
  std::unique_ptr<WebhookServer> server_;
};

TEST_F(WebhookServerTest, SignedStatusCallbackReachesSink) {
  start();
  domain::StatusUpdate update;
  EXPECT_CALL(sink_, on_status(_)).WillOnce(SaveArg<0>(&update));

  auto const reply = post_signed(kStatusPath, failed_status_params());

  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "");
  EXPECT_EQ(update.provider, "twilio");
  EXPECT_EQ(update.kind, domain::ProviderKind::kTwilio);
  EXPECT_EQ(update.provider_message_id, "SM0001");
  EXPECT_EQ(update.raw_status, "failed");
  EXPECT_EQ(update.error_code, "30011");
  EXPECT_EQ(update.detail, "RawDlrDoneDate=2303092021");
  EXPECT_EQ(update.at, kNow);
  EXPECT_EQ(server_->stats().accepted, 1u);
}

TEST_F(WebhookServerTest, ForgedSignatureIsRefused) {
  start();
  auto const signature =
      twilio_signature("another-token", server_->base_url() + kStatusPath, failed_status_params());

  auto const reply = post_twilio(kStatusPath, failed_status_params(), signature);

  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(server_->stats().unauthorized, 1u);
}

TEST_F(WebhookServerTest, TamperedBodyIsRefused) {
  start();
  auto params = failed_status_params();
  auto const signature = twilio_signature(kToken, server_->base_url() + kStatusPath, params);
  params[4].second = "delivered";

  EXPECT_EQ(post_twilio(kStatusPath, params, signature).status, 403);
}

TEST_F(WebhookServerTest, UnsignedCallbackIsRefused) {
  start();
  EXPECT_EQ(post_twilio(kStatusPath, failed_status_params(), std::nullopt).status, 403);
  EXPECT_EQ(post_twilio(kStatusPath, failed_status_params(), "").status, 403);
}

TEST_F(WebhookServerTest, SignatureOverPublicUrlWithOrWithoutPort) {
  start({.public_base_url = "https://hooks.example.com"});
  EXPECT_CALL(sink_, on_status(_)).Times(3);
  auto const params = failed_status_params();

  for (auto const* base : {"https://hooks.example.com", "https://hooks.example.com:443"}) {
    auto const signature = twilio_signature(kToken, std::string(base) + kStatusPath, params);
    EXPECT_EQ(post_twilio(kStatusPath, params, signature).status, 200) << base;
  }

  // The query string is part of the signed URL.
  auto const target = std::string(kStatusPath) + "?tenant=7";
  auto const signature = twilio_signature(kToken, "https://hooks.example.com" + target, params);
  EXPECT_EQ(post_twilio(target, params, signature).status, 200);
  EXPECT_EQ(post_twilio(std::string(kStatusPath) + "?tenant=8", params, signature).status, 403);

  // The loopback address the request really used is not what Twilio signs.
  auto const local = twilio_signature(
      kToken, fmt::format("http://127.0.0.1:{}{}", server_->port(), kStatusPath), params);
  EXPECT_EQ(post_twilio(kStatusPath, params, local).status, 403);
}

TEST_F(WebhookServerTest, InboundRepliesWithEmptyTwiml) {
  start();
  InboundSms inbound;
  EXPECT_CALL(sink_, on_inbound(_)).WillOnce(SaveArg<0>(&inbound));
  FormParams const params{{"MessageSid", "SM0002"}, {"From", "+15558675310"},
                          {"To", "+15017122661"},   {"Body", "STOP please"},
                          {"NumMedia", "0"},        {"FromCountry", "US"}};

  auto const reply = post_signed(kInboundPath, params);

  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)");
  EXPECT_THAT(reply.headers, HasSubstr("content-type: text/xml"));
  EXPECT_EQ(inbound.provider, "twilio");
  EXPECT_EQ(inbound.provider_message_id, "SM0002");
  EXPECT_EQ(inbound.from, "+15558675310");
  EXPECT_EQ(inbound.to, "+15017122661");
  EXPECT_EQ(inbound.body, "STOP please");
  EXPECT_EQ(inbound.at, kNow);
}

TEST_F(WebhookServerTest, TwilioMissingFieldIsBadRequestNamingIt) {
  start();
  auto const no_status = post_signed(kStatusPath, {{"MessageSid", "SM1"}});
  EXPECT_EQ(no_status.status, 400);
  EXPECT_THAT(no_status.body, HasSubstr("MessageStatus"));

  auto const no_from = post_signed(kInboundPath, {{"MessageSid", "SM1"}, {"To", "+1"}});
  EXPECT_EQ(no_from.status, 400);
  EXPECT_THAT(no_from.body, HasSubstr("'From'"));
}

TEST_F(WebhookServerTest, MalformedFormIsBadRequest) {
  start();
  auto const raw = make_request("POST", kStatusPath, {{"X-Twilio-Signature", "abc"}},
                                "MessageSid=SM1&MessageStatus=%zz");
  auto const reply = exchange(server_->port(), raw);
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, HasSubstr("form field 2"));
}

TEST_F(WebhookServerTest, JsonBodySignedThroughBodyHash) {
  start();
  EXPECT_CALL(sink_, on_status(_));
  std::string const body = R"({"MessageSid":"SM3","MessageStatus":"delivered"})";
  auto const target = std::string(kStatusPath) + "?bodySHA256=" + sha256_hex(body);
  auto const signature = twilio_signature(kToken, server_->base_url() + target, {});
  std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"},
                                                           {"X-Twilio-Signature", signature}};

  EXPECT_EQ(exchange(server_->port(), make_request("POST", target, headers, body)).status, 200);
  EXPECT_EQ(exchange(server_->port(), make_request("POST", target, headers, body + " ")).status,
            403);
}

TEST_F(WebhookServerTest, SyniverseStatusWithGoodCredentials) {
  start();
  domain::StatusUpdate update;
  EXPECT_CALL(sink_, on_status(_)).WillOnce(SaveArg<0>(&update));

  auto const reply = post_syniverse(R"({"topic":"SCG-Message","attempt":1,"event-id":"E1",
      "event":{"evt-tp":"message_state_change","fld-val-list":{"message_request_id":"REQ1",
      "message_id":"MSG1","previous_state":"SENT","new_state":"FAILED","reason_code":"1009",
      "reason_description":"delivery failure","unknown_field":{"x":1}}}})",
                                    kGoodBasic);

  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(update.provider, "syniverse");
  EXPECT_EQ(update.kind, domain::ProviderKind::kSyniverse);
  EXPECT_EQ(update.provider_message_id, "REQ1");
  EXPECT_EQ(update.raw_status, "FAILED");
  EXPECT_EQ(update.error_code, "1009");
  EXPECT_EQ(update.detail, "delivery failure");
  EXPECT_EQ(update.at, kNow);
}

TEST_F(WebhookServerTest, SyniverseSuccessKeepsNoErrorCode) {
  start();
  domain::StatusUpdate update;
  EXPECT_CALL(sink_, on_status(_)).WillOnce(SaveArg<0>(&update));

  EXPECT_EQ(post_syniverse(R"({"event_id":"E2","event":{"evt-tp":"message_state_change",
      "fld-val-list":{"message_request_id":"REQ2","new_state":"DELIVERED","reason_code":"200",
      "reason_description":"SUCCESS"}}})",
                           kGoodBasic)
                .status,
            200);
  EXPECT_EQ(update.raw_status, "DELIVERED");
  EXPECT_EQ(update.error_code, "");
  EXPECT_EQ(update.detail, "SUCCESS");
  EXPECT_FALSE(update.message_id);
}

TEST_F(WebhookServerTest, SyniverseExternalIdNamesOurMessageWhenItIsOne) {
  start();
  std::vector<domain::StatusUpdate> updates;
  EXPECT_CALL(sink_, on_status(_)).Times(3).WillRepeatedly([&](domain::StatusUpdate update) {
    updates.push_back(std::move(update));
  });
  auto event = [](std::string_view external_id) {
    return fmt::format(R"({{"event":{{"evt-tp":"message_state_change","fld-val-list":{{)"
                       R"("message_request_id":"REQ3","new_state":"DELIVERED",)"
                       R"("external_message_request_id":"{}"}}}}}})",
                       external_id);
  };

  for (auto const* id : {"4711", "datahub|task", ""}) {
    EXPECT_EQ(post_syniverse(event(id), kGoodBasic).status, 200);
  }

  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates[0].message_id, 4711);
  EXPECT_FALSE(updates[1].message_id);
  EXPECT_FALSE(updates[2].message_id);
}

TEST_F(WebhookServerTest, SyniverseInbound) {
  start();
  InboundSms inbound;
  EXPECT_CALL(sink_, on_inbound(_)).WillOnce(SaveArg<0>(&inbound));

  EXPECT_EQ(post_syniverse(R"({"topic":"SCG-Message","event-id":"E3","event":{
      "evt-tp":"mo_message_received","fld-val-list":{"message_id":"MO1",
      "from_address":"+15558675310","to_address":"66000","message_body":"yes"}}})",
                           kGoodBasic)
                .status,
            200);
  EXPECT_EQ(inbound.provider, "syniverse");
  EXPECT_EQ(inbound.kind, domain::ProviderKind::kSyniverse);
  EXPECT_EQ(inbound.provider_message_id, "MO1");
  EXPECT_EQ(inbound.from, "+15558675310");
  EXPECT_EQ(inbound.to, "66000");
  EXPECT_EQ(inbound.body, "yes");
}

TEST_F(WebhookServerTest, SyniverseOtherEventTypesAreAcknowledged) {
  start();
  EXPECT_EQ(post_syniverse(R"({"event":{"evt-tp":"contact_status_change","fld-val-list":{}}})",
                           kGoodBasic)
                .status,
            200);
}

TEST_F(WebhookServerTest, SyniverseWithoutOrWithWrongCredentials) {
  start();
  std::string const body = R"({"event":{"evt-tp":"x","fld-val-list":{}}})";

  auto const missing = post_syniverse(body, std::nullopt);
  EXPECT_EQ(missing.status, 401);
  EXPECT_THAT(missing.headers, HasSubstr("www-authenticate: basic"));
  // "hook-user:wrong" and a Bearer token.
  EXPECT_EQ(post_syniverse(body, "Basic aG9vay11c2VyOndyb25n").status, 401);
  EXPECT_EQ(post_syniverse(body, "Bearer aG9vay11c2VyOmhvb2stcGFzcw==").status, 401);
  EXPECT_EQ(post_syniverse(body, "basic  aG9vay11c2VyOmhvb2stcGFzcw==").status, 200);
  EXPECT_EQ(server_->stats().unauthorized, 3u);
}

TEST_F(WebhookServerTest, SyniverseMalformedJsonNamesTheProblem) {
  start();
  auto const broken = post_syniverse("{\"event\":", kGoodBasic);
  EXPECT_EQ(broken.status, 400);
  EXPECT_THAT(broken.body, HasSubstr("not valid JSON"));

  auto const missing = post_syniverse(
      R"({"event":{"evt-tp":"message_state_change","fld-val-list":{"message_request_id":"R"}}})",
      kGoodBasic);
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("event.fld-val-list.new_state"));
}

TEST_F(WebhookServerTest, BodyTooLargeIs413) {
  start({.max_body_bytes = 1024});
  std::string const body(2048, 'a');
  auto const reply = post_syniverse(body, kGoodBasic);
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(server_->stats().bad_request, 1u);
}

TEST_F(WebhookServerTest, UnknownPathAndWrongMethod) {
  start();
  EXPECT_EQ(exchange(server_->port(), make_request("POST", "/nowhere", {}, "")).status, 404);
  auto const get = exchange(server_->port(), make_request("GET", kStatusPath, {}, ""));
  EXPECT_EQ(get.status, 405);
  EXPECT_THAT(get.headers, HasSubstr("allow: post"));
}

TEST_F(WebhookServerTest, GarbageRequestLineIs400) {
  start();
  EXPECT_EQ(exchange(server_->port(), "HELLO\r\n\r\n").status, 400);
}

TEST_F(WebhookServerTest, KeepAliveServesSeveralRequests) {
  start();
  EXPECT_CALL(sink_, on_status(_)).Times(2);
  auto const params = failed_status_params();
  auto const signature = twilio_signature(kToken, server_->base_url() + kStatusPath, params);
  auto const body = form_encode(params);
  auto const one = fmt::format(
      "POST {} HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: {}\r\nContent-Length: {}\r\n\r\n{}",
      kStatusPath, signature, body.size(), body);
  auto const last = make_request("POST", kStatusPath, {{"X-Twilio-Signature", signature}}, body);

  auto const reply = exchange(server_->port(), one + last);

  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(server_->stats().accepted, 2u);
}

TEST(WebhookServerOptions, RefusesMissingSecrets) {
  clock::ManualClock clock{kNow};
  StrictMock<MockSink> sink;

  WebhookServer no_token({.syniverse_user = "u"}, sink, clock);
  auto started = no_token.start();
  ASSERT_FALSE(started);
  EXPECT_THAT(started.error().message, HasSubstr("twilio_auth_token"));

  WebhookServer no_user({.twilio_auth_token = "t"}, sink, clock);
  started = no_user.start();
  ASSERT_FALSE(started);
  EXPECT_THAT(started.error().message, HasSubstr("syniverse_user"));

  WebhookServer syniverse_only(
      {.twilio_status_path = "", .twilio_inbound_path = "", .syniverse_user = "u"}, sink, clock);
  EXPECT_TRUE(syniverse_only.start());
  EXPECT_NE(syniverse_only.port(), 0);
}

}  // namespace
}  // namespace candor::webhooks
