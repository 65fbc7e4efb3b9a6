#include "fakes/http/admin_json.hpp"

#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace candor::fakes::http {
namespace {

using nlohmann::json;
using ::testing::Property;
using ::testing::StartsWith;
using ::testing::Throws;

Request with_body(std::string body) {
  Request request;
  request.body = std::move(body);
  return request;
}

auto throws_naming(std::string const& start) {
  return Throws<AdminError>(Property(&AdminError::what, StartsWith(start)));
}

TEST(AdminJson, BodyIsAJsonObjectOrEmpty) {
  EXPECT_EQ(admin_body(with_body("")), json::object());
  EXPECT_EQ(admin_body(with_body(R"({"a":1})")), (json{{"a", 1}}));
  EXPECT_THAT([] { (void)admin_body(with_body("[1]")); }, throws_naming("body: "));
  EXPECT_THAT([] { (void)admin_body(with_body("{")); }, throws_naming("body: "));
}

TEST(AdminJson, TextFieldFallsBackWhenAbsentOrNull) {
  json const body = {{"a", "x"}, {"n", nullptr}, {"i", 3}};
  EXPECT_EQ(text_field(body, "a"), "x");
  EXPECT_EQ(text_field(body, "n", "dflt"), "dflt");
  EXPECT_EQ(text_field(body, "missing"), "");
  EXPECT_THAT([&] { (void)text_field(body, "i"); }, throws_naming("i: must be a string"));
}

TEST(AdminJson, IntegerFieldStaysInItsRange) {
  json const body = {{"n", 5},
                     {"neg", -2},
                     {"f", 1.5},
                     {"s", "5"},
                     {"huge", std::numeric_limits<std::uint64_t>::max()}};
  EXPECT_EQ(integer_field(body, "n", 0, 0, 10), 5);
  EXPECT_EQ(integer_field(body, "missing", 7, 0, 10), 7);
  EXPECT_EQ(integer_field(body, "neg", 0, -5, -1), -2);
  for (char const* field : {"f", "s", "huge"}) {
    EXPECT_THAT([&] { (void)integer_field(body, field, 0, 0, 10); },
                throws_naming(std::string(field) + ": must be an integer from 0 to 10"));
  }
  EXPECT_THAT([&] { (void)integer_field(body, "n", 0, 6, 10); }, throws_naming("n: "));
  EXPECT_THAT([&] { (void)integer_field(body, "huge", 0, -5, -1); }, throws_naming("huge: "));
}

TEST(AdminJson, GuardAnswersAdminErrorsWith400) {
  auto const handler = guard_admin([](Request const& r) -> Response {
    if (r.body == "bad") {
      throw AdminError("count: must be \xff positive");
    }
    if (r.body == "broken") {
      throw std::logic_error("not the request's fault");
    }
    return Response::json(200, "{}");
  });

  EXPECT_EQ(handler(with_body("")).status, 200);
  auto const refused = handler(with_body("bad"));
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(json::parse(refused.body)["error"], "count: must be \xEF\xBF\xBD positive");
  EXPECT_THROW(handler(with_body("broken")), std::logic_error);
}

}  // namespace
}  // namespace candor::fakes::http
