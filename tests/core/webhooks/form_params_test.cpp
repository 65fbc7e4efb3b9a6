#include "core/webhooks/form_params.hpp"

#include <gtest/gtest.h>

namespace candor::webhooks {
namespace {

TEST(FormParams, DecodesPlusAndPercent) {
  auto params = parse_form("To=%2B15558675310&Body=Hello+there%21&Empty=&Flag");
  ASSERT_TRUE(params) << params.error().to_string();
  EXPECT_EQ(
      *params,
      (FormParams{{"To", "+15558675310"}, {"Body", "Hello there!"}, {"Empty", ""}, {"Flag", ""}}));
}

TEST(FormParams, KeepsRepeatedNamesInOrder) {
  auto params = parse_form("a=2&a=1");
  ASSERT_TRUE(params);
  EXPECT_EQ(*params, (FormParams{{"a", "2"}, {"a", "1"}}));
  EXPECT_EQ(find_param(*params, "a"), "2");
  EXPECT_EQ(find_param(*params, "b"), std::nullopt);
}

TEST(FormParams, EmptyInputAndEmptyPiecesGiveNothing) {
  auto empty = parse_form("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto pieces = parse_form("&&a=1&");
  ASSERT_TRUE(pieces);
  EXPECT_EQ(*pieces, (FormParams{{"a", "1"}}));
}

TEST(FormParams, RefusesBadPercentEscapeNamingThePiece) {
  for (auto const* text : {"a=1&b=%zz", "a=1&b=%4", "a=1&b=%"}) {
    auto params = parse_form(text);
    ASSERT_FALSE(params) << text;
    EXPECT_EQ(params.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(params.error().message, "form field 2: bad percent escape") << text;
  }
}

TEST(FormParams, RefusesEmptyName) {
  auto params = parse_form("=value");
  ASSERT_FALSE(params);
  EXPECT_EQ(params.error().message, "form field 1: empty name");
}

TEST(FormParams, DecodesBinaryBytes) {
  EXPECT_EQ(form_decode("%C3%A9%00x"), std::string("\xC3\xA9\0x", 4));
}

}  // namespace
}  // namespace candor::webhooks
