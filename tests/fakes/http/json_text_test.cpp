#include "fakes/http/json_text.hpp"

#include <gtest/gtest.h>

namespace candor::fakes::http {
namespace {

TEST(JsonText, WritesInvalidUtf8AsReplacementInsteadOfThrowing) {
  nlohmann::json const value = {{"body", "ok\xFF\xFE"}, {"n", 1}};
  EXPECT_THROW(static_cast<void>(value.dump()), nlohmann::json::type_error);
  EXPECT_EQ(json_text(value), "{\"body\":\"ok\xEF\xBF\xBD\xEF\xBF\xBD\",\"n\":1}");
  EXPECT_EQ(json_text(nlohmann::json{{"a", "\xC3\xA9"}}), "{\"a\":\"\xC3\xA9\"}");
}

}  // namespace
}  // namespace candor::fakes::http
