#include "fakes/syniverse/scg_wire.hpp"

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace candor::fakes::syniverse {
namespace {

ScgError error_of(std::string_view json) {
  auto parsed =
      parse_send_request(json, {.channels = {"chan1"}, .max_recipients = 2, .max_body_length = 10});
  auto const* error = std::get_if<ScgError>(&parsed);
  return error != nullptr ? *error : ScgError{.http_status = 200, .code = "none"};
}

TEST(ScgWire, AcceptsMinimalSend) {
  auto parsed = parse_send_request(
      R"({"from":"channel:chan1","to":["+15551231234"],"body":"Hi","external_id":"m-1"})",
      {.channels = {"chan1"}});

  ASSERT_TRUE(std::holds_alternative<SendRequest>(parsed));
  auto const& send = std::get<SendRequest>(parsed);
  EXPECT_EQ(send.from, "channel:chan1");
  EXPECT_EQ(send.to, std::vector<std::string>{"+15551231234"});
  EXPECT_EQ(send.body, "Hi");
  EXPECT_EQ(send.external_id, "m-1");
  EXPECT_FALSE(send.test_message);
  EXPECT_EQ(send.consent_requirement, "");
}

TEST(ScgWire, ReadsConsentRequirement) {
  for (auto const* value : {"OPT_IN", "OPT_OUT", "NONE"}) {
    auto parsed = parse_send_request(
        fmt::format(R"({{"from":"channel:chan1","to":["+15551231234"],"body":"Hi",)"
                    R"("consent_requirement":"{}"}})",
                    value),
        {.channels = {"chan1"}});

    ASSERT_TRUE(std::holds_alternative<SendRequest>(parsed)) << value;
    EXPECT_EQ(std::get<SendRequest>(parsed).consent_requirement, value);
  }
}

TEST(ScgWire, RefusesBadSendsWithDocumentedCodes) {
  struct Case {
    char const* json;
    char const* code;
  };
  for (auto const& c : std::vector<Case>{
           {"not json", "SCG_ERROR_40025"},
           {"[1]", "SCG_ERROR_40025"},
           {R"({"to":["+15551231234"],"body":"x"})", "SCG_ERROR_4001"},
           {R"({"from":"channel:chan1","to":null,"body":"x"})", "SCG_ERROR_4001"},
           {R"({"from":"channel:chan1","to":["+15551231234"]})", "SCG_ERROR_4001"},
           {R"({"from":7,"to":["+15551231234"],"body":"x"})", "SCG_ERROR_4002"},
           {R"({"from":"channel:chan1","to":"+15551231234","body":"x"})", "SCG_ERROR_4002"},
           {R"({"from":"channel:chan1","to":[1],"body":"x"})", "SCG_ERROR_4002"},
           {R"({"from":"channel:chan1","to":["+15551231234"],"body":{}})", "SCG_ERROR_4002"},
           {R"({"from":"channel:chan1","to":["+15551231234"],"body":"x","external_id":5})",
            "SCG_ERROR_4003"},
           {R"({"from":"channel:chan1","to":["+15551231234"],"body":"x",
                "test_message_flag":"yes"})",
            "SCG_ERROR_4003"},
           {R"({"from":"channel:chan1","to":["+15551231234"],"body":"x",
                "media_urls":["http://a"],"attachments":["b"]})",
            "SCG_ERROR_40010"},
           {R"({"from":"channel:other","to":["+15551231234"],"body":"x"})", "SCG_ERROR_40018"},
           {R"({"from":"+15550000000","to":["+15551231234"],"body":"x"})", "SCG_ERROR_40018"},
           {R"({"from":"sender_id:","to":["+15551231234"],"body":"x"})", "SCG_ERROR_40018"},
           {R"({"from":"channel:chan1","to":[],"body":"x"})", "SCG_ERROR_4001"},
           {R"({"from":"channel:chan1","to":["+15551231234","+15551231235","+15551231236"],
                "body":"x"})",
            "SCG_ERROR_40015"},
           {R"({"from":"channel:chan1","to":["5551231234"],"body":"x"})", "SCG_ERROR_40024"},
           {R"({"from":"channel:chan1","to":["+15551231234"],"body":"01234567890"})",
            "SCG_ERROR_4005"},
           {R"({"from":"channel:chan1","to":["+15551231234"],"body":"x",
                "consent_requirement":"MAYBE"})",
            "SCG_ERROR_4004"},
           {R"({"from":"channel:chan1","to":["+15551231234"],"body":"x",
                "consent_requirement":7})",
            "SCG_ERROR_4003"},
       }) {
    auto const error = error_of(c.json);
    EXPECT_EQ(error.code, c.code) << c.json;
    EXPECT_EQ(error.http_status, 400) << c.json;
    EXPECT_FALSE(error.description.empty());
  }
}

// Pins the Limitation in parse_send_request: a bare sender id is not accepted.
TEST(ScgWire, LimitationBareSenderIdIsRefused) {
  auto const error = error_of(R"({"from":"chan1","to":["+15551231234"],"body":"x"})");

  EXPECT_EQ(error.code, "SCG_ERROR_40018");
}

TEST(ScgWire, ErrorBodyHasTheDocumentedShape) {
  ScgError const error{.http_status = 401, .code = "SCG_ERROR_4010", .description = "No"};

  EXPECT_EQ(error.body(), R"({"error_code":"SCG_ERROR_4010","error_description":"No"})");
}

TEST(ScgWire, ChecksE164) {
  EXPECT_TRUE(is_e164("+15551231234"));
  EXPECT_TRUE(is_e164("+447700900123"));
  EXPECT_FALSE(is_e164("15551231234"));
  EXPECT_FALSE(is_e164("+05551231234"));
  EXPECT_FALSE(is_e164("+1555"));
  EXPECT_FALSE(is_e164("+1555123123a"));
  EXPECT_FALSE(is_e164("+1234567890123456"));
}

TEST(ScgWire, IdsAreDeterministicAndWellFormed) {
  IdSource a(7);
  IdSource b(7);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto const id = a.next_resource_id();
    EXPECT_EQ(id, b.next_resource_id());
    EXPECT_EQ(id.size(), 22u);
    EXPECT_EQ(
        id.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
        std::string::npos);
    seen.insert(id);
    auto const event = a.next_event_id();
    b.next_event_id();
    EXPECT_EQ(event.size(), 22u);
    EXPECT_EQ(event.find_first_of("+/="), std::string::npos);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_NE(IdSource(8).next_resource_id(), IdSource(7).next_resource_id());
}

TEST(ScgWire, SeededDrawDependsOnSeedAndKeyOnly) {
  auto const draw = seeded_draw(3, "+15551231234\nhello\n");

  EXPECT_EQ(draw, seeded_draw(3, "+15551231234\nhello\n"));
  EXPECT_NE(draw, seeded_draw(4, "+15551231234\nhello\n"));
  EXPECT_NE(draw, seeded_draw(3, "+15551231235\nhello\n"));
  EXPECT_GE(draw, 0.0);
  EXPECT_LT(draw, 1.0);
}

TEST(ScgWire, FormatsIsoTime) {
  EXPECT_EQ(iso_time(clock::from_unix_ms(1565918924526)), "2019-08-16T01:28:44.526Z");
  EXPECT_EQ(iso_time(clock::from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace candor::fakes::syniverse
