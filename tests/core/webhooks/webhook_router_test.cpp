#include "core/webhooks/webhook_router.hpp"

#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock/manual_clock.hpp"
#include "core/webhooks/form_params.hpp"
#include "core/webhooks/syniverse_event.hpp"
#include "core/webhooks/twilio_signature.hpp"
#include "tests/core/webhooks/webhook_test_support.hpp"

namespace candor::webhooks {
namespace {

using testing::AnyOf;
using testing::NiceMock;
using testing_support::MockSink;

constexpr char kToken[] = "fuzz-token";
constexpr char kBase[] = "https://hooks.example.com";
constexpr int kRounds = 3000;

WebhookServerOptions options() {
  return {.public_base_url = kBase,
          .twilio_auth_token = kToken,
          .syniverse_user = "u",
          .syniverse_password = "p"};
}

/// Random bytes, or a valid body with a few bytes changed, inserted or cut.
class BodyFuzzer {
 public:
  explicit BodyFuzzer(std::uint32_t seed) : random_(seed) {}

  std::string next(std::vector<std::string> const& seeds) {
    if (pick(4) == 0) {
      std::string text(pick(64), '\0');
      for (auto& c : text) {
        c = static_cast<char>(pick(256));
      }
      return text;
    }

    std::string text = seeds[pick(seeds.size())];
    static constexpr char kInteresting[] = "%&=+{}[]\":,\\0\x7f\xff";
    auto const edits = 1 + pick(4);
    for (std::size_t i = 0; i < edits && !text.empty(); ++i) {
      auto const at = pick(text.size());
      switch (pick(3)) {
        case 0:
          text[at] = kInteresting[pick(sizeof(kInteresting) - 1)];
          break;
        case 1:
          text.insert(at, 1, kInteresting[pick(sizeof(kInteresting) - 1)]);
          break;
        default:
          text.erase(at, 1 + pick(8));
          break;
      }
    }
    return text;
  }

 private:
  std::size_t pick(std::size_t bound) {
    return std::uniform_int_distribution<std::size_t>(0, bound - 1)(random_);
  }

  std::mt19937 random_;
};

TEST(WebhookRouter, FormParserSurvivesRandomBodies) {
  BodyFuzzer fuzzer(12345);
  std::vector<std::string> const seeds{
      "MessageSid=SM1&MessageStatus=delivered&ErrorCode=&To=%2B1555&Body=a+b%21", "a=1&a=2&&b"};
  for (int i = 0; i < kRounds; ++i) {
    auto const body = fuzzer.next(seeds);
    auto params = parse_form(body);
    if (!params) {
      EXPECT_THAT(params.error().message, testing::StartsWith("form field "));
    }
  }
}

TEST(WebhookRouter, JsonParserSurvivesRandomBodies) {
  BodyFuzzer fuzzer(777);
  std::vector<std::string> const seeds{
      R"({"topic":"SCG-Message","attempt":1,"event-id":"E",)"
      R"("event":{"evt-tp":"message_state_change",)"
      R"("fld-val-list":{"message_request_id":"R","new_state":"FAILED",)"
      R"("reason_code":1009}}})",
      R"({"event":{"evt-tp":"mo_message_received","fld-val-list":{"message_id":"M",)"
      R"("from_address":"+1","to_address":"2","message_body":"hi"}}})",
      R"({"fields":{"new_state":"SENT","message_request_id":"R"}})"};
  for (int i = 0; i < kRounds; ++i) {
    auto event = parse_syniverse_event(fuzzer.next(seeds));
    if (!event) {
      EXPECT_EQ(event.error().code, Errc::kInvalidArgument);
      EXPECT_FALSE(event.error().message.empty());
    }
  }
}

TEST(WebhookRouter, RandomRequestsGetOnly200Or4xx) {
  clock::ManualClock clock{clock::from_unix_ms(0)};
  NiceMock<MockSink> sink;
  WebhookRouter router(options(), kBase, sink, clock);
  BodyFuzzer fuzzer(4242);
  std::vector<std::string> const form_seeds{
      "MessageSid=SM1&MessageStatus=delivered&RawDlrDoneDate=2303092021",
      "MessageSid=SM2&From=%2B15558675310&To=%2B15017122661&Body=STOP"};
  std::vector<std::string> const json_seeds{
      R"({"event-id":"E","event":{"evt-tp":"message_state_change",)"
      R"("fld-val-list":{"message_request_id":"R","new_state":"DELIVERED"}}})",
      R"({"event":{"evt-tp":"mo_message_received","fld-val-list":{"message_id":"M",)"
      R"("from_address":"+1","to_address":"2","message_body":"x"}}})"};

  for (int i = 0; i < kRounds; ++i) {
    WebhookRequest request{.method = "POST"};
    if (i % 2 == 0) {
      // Signed correctly whenever the body parses, so the fields get checked too.
      request.target = i % 4 == 0 ? "/webhooks/twilio/status" : "/webhooks/twilio/inbound";
      request.body = fuzzer.next(form_seeds);
      auto params = parse_form(request.body);
      request.twilio_signature =
          twilio_signature(kToken, kBase + request.target, params ? *params : FormParams{});
    } else {
      request.target = "/webhooks/syniverse/events";
      request.authorization = "Basic dTpw";
      request.body = fuzzer.next(json_seeds);
    }

    auto const reply = router.handle(request);
    EXPECT_THAT(reply.status, AnyOf(200, 400, 403)) << request.body;
  }
  auto const stats = router.stats();
  EXPECT_GT(stats.accepted, 0u);
  EXPECT_GT(stats.bad_request, 0u);
}

TEST(WebhookRouter, ChecksOptions) {
  EXPECT_TRUE(check_options(options()));
  auto bad_path = options();
  bad_path.twilio_status_path = "webhooks";
  EXPECT_FALSE(check_options(bad_path));
  auto slash = options();
  slash.public_base_url = "https://hooks.example.com/";
  EXPECT_FALSE(check_options(slash));
  auto no_threads = options();
  no_threads.threads = 0;
  EXPECT_FALSE(check_options(no_threads));
}

}  // namespace
}  // namespace candor::webhooks
