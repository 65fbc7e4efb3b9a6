#include "core/webhooks/syniverse_event.hpp"

#include <gtest/gtest.h>

namespace candor::webhooks {
namespace {

constexpr char kDeliveryReport[] = R"({
  "topic": "SCG-Message", "attempt": 2,
  "event": {
    "evt-tp": "message_state_change", "timestamp": "2019-08-16T01:28:44.526Z",
    "fld-val-list": {
      "message_request_id": "6QX2csWrr064RzxhwHo0m7", "message_id": "Qm1pJw9JqkA1c2E4v0Xb3d",
      "previous_state": "SENT", "new_state": "DELIVERED", "reason_code": "200",
      "reason_description": "SUCCESS", "to_address": "+14085551212", "from_address": "66000",
      "mt_price": 0.035, "company-id": 42, "has_attachment": false
    }
  },
  "event-id": "7XuuKlVCSvSyIw_MPYXBug"
})";

TEST(SyniverseEvent, ParsesStandardEnvelope) {
  auto event = parse_syniverse_event(kDeliveryReport);
  ASSERT_TRUE(event) << event.error().to_string();
  EXPECT_EQ(event->topic, "SCG-Message");
  EXPECT_EQ(event->attempt, 2);
  EXPECT_EQ(event->event_id, "7XuuKlVCSvSyIw_MPYXBug");
  EXPECT_EQ(event->event_type, kSyniverseStateChange);
  EXPECT_EQ(event->message_request_id, "6QX2csWrr064RzxhwHo0m7");
  EXPECT_EQ(event->message_id, "Qm1pJw9JqkA1c2E4v0Xb3d");
  EXPECT_EQ(event->previous_state, "SENT");
  EXPECT_EQ(event->new_state, "DELIVERED");
  EXPECT_EQ(event->reason_code, "200");
  EXPECT_EQ(event->reason_description, "SUCCESS");
}

TEST(SyniverseEvent, AcceptsEventIdWithUnderscoreAndStringAttempt) {
  auto event = parse_syniverse_event(R"({"topic":"SCG-Message","attempt":"3","event_id":"E1",
      "event":{"evt-tp":"message_state_change","fld-val-list":{"message_request_id":"R1",
      "new_state":"FAILED","reason_code":1009}}})");
  ASSERT_TRUE(event) << event.error().to_string();
  EXPECT_EQ(event->event_id, "E1");
  EXPECT_EQ(event->attempt, 3);
  EXPECT_EQ(event->reason_code, "1009");
}

TEST(SyniverseEvent, ParsesInboundMessage) {
  auto event = parse_syniverse_event(R"({"topic":"SCG-Message","event-id":"E2",
      "event":{"evt-tp":"mo_message_received","fld-val-list":{"message_id":"M1",
      "from_address":"+15558675310","to_address":"66000","message_body":"STOP"}}})");
  ASSERT_TRUE(event) << event.error().to_string();
  EXPECT_EQ(event->event_type, kSyniverseMoReceived);
  EXPECT_EQ(event->message_id, "M1");
  EXPECT_EQ(event->from_address, "+15558675310");
  EXPECT_EQ(event->to_address, "66000");
  EXPECT_EQ(event->message_body, "STOP");
}

TEST(SyniverseEvent, ParsesFieldsFormAndBareFields) {
  auto fields = parse_syniverse_event(
      R"({"id":"E3","topicID":"SCG-Message","fields":{"message_request_id":"R2",)"
      R"("new_state":"SENT"}})");
  ASSERT_TRUE(fields) << fields.error().to_string();
  EXPECT_EQ(fields->event_type, kSyniverseStateChange);
  EXPECT_EQ(fields->topic, "SCG-Message");
  EXPECT_EQ(fields->event_id, "E3");

  auto bare = parse_syniverse_event(
      R"({"message_id":"M2","from_address":"+1555","to_address":"66000","message_body":"hi"})");
  ASSERT_TRUE(bare) << bare.error().to_string();
  EXPECT_EQ(bare->event_type, kSyniverseMoReceived);
}

TEST(SyniverseEvent, KeepsOtherEventTypes) {
  auto event = parse_syniverse_event(
      R"({"topic":"SCG-Message","event":{"evt-tp":"sender_id_state_change","fld-val-list":{}}})");
  ASSERT_TRUE(event) << event.error().to_string();
  EXPECT_EQ(event->event_type, "sender_id_state_change");
}

struct BadBody {
  char const* body;
  char const* message;
};

class SyniverseEventRefuses : public testing::TestWithParam<BadBody> {};

TEST_P(SyniverseEventRefuses, NamingTheField) {
  auto event = parse_syniverse_event(GetParam().body);
  ASSERT_FALSE(event) << GetParam().body;
  EXPECT_EQ(event.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(event.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, SyniverseEventRefuses,
    testing::Values(
        BadBody{"{", "body: not valid JSON"}, BadBody{"[1]", "body: must be a JSON object"},
        BadBody{R"({"event":1})", "event: must be an object"},
        BadBody{R"({"event":{"fld-val-list":{}}})", "event.evt-tp: missing"},
        BadBody{R"({"event":{"evt-tp":7,"fld-val-list":{}}})", "event.evt-tp: must be a string"},
        BadBody{R"({"event":{"evt-tp":"message_state_change"}})", "event.fld-val-list: missing"},
        BadBody{
            R"({"event":{"evt-tp":"message_state_change","fld-val-list":{"new_state":"SENT"}}})",
            "event.fld-val-list.message_request_id: missing"},
        BadBody{R"({"event":{"evt-tp":"message_state_change",)"
                R"("fld-val-list":{"message_request_id":"R"}}})",
                "event.fld-val-list.new_state: missing"},
        BadBody{R"({"event":{"evt-tp":"message_state_change",)"
                R"("fld-val-list":{"message_request_id":["R"],"new_state":"SENT"}}})",
                "event.fld-val-list.message_request_id: must be a string or a number"},
        BadBody{R"({"event":{"evt-tp":"mo_message_received","fld-val-list":{"message_id":"M",)"
                R"("from_address":"+1","to_address":"2"}}})",
                "event.fld-val-list.message_body: missing"},
        BadBody{R"({"attempt":"two","event":{"evt-tp":"x","fld-val-list":{}}})",
                "attempt: must be an integer"},
        BadBody{R"({"fields":[]})", "fields: must be an object"},
        BadBody{R"({"hello":"world"})",
                "event: missing (no envelope and no new_state or message_body)"}));

}  // namespace
}  // namespace candor::webhooks
