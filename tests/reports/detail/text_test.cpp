#include "reports/detail/text.hpp"

#include <gtest/gtest.h>

namespace candor::reports::detail {
namespace {

TEST(Text, EscapesMarkup) {
  EXPECT_EQ(escape_html("<script>alert('x & \"y\"')</script>"),
            "&lt;script&gt;alert(&#39;x &amp; &quot;y&quot;&#39;)&lt;/script&gt;");
  EXPECT_EQ(escape_xml("a\tb\nc"), "a&#9;b&#10;c");
}

TEST(Text, ReplacesControlCharactersXmlCannotCarry) {
  EXPECT_EQ(escape_xml(std::string("a\x01"
                                   "b\x1b",
                                   4)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
}

TEST(Text, KeepsValidUtf8) {
  EXPECT_EQ(sanitize_utf8("ünïcödé — ✓ 😀"), "ünïcödé — ✓ 😀");
}

TEST(Text, RepairsInvalidUtf8) {
  EXPECT_EQ(sanitize_utf8("a\xff"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(sanitize_utf8("\xC3"), "\xEF\xBF\xBD");                  // truncated sequence
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(Text, CountsDisplayWidthInCodePoints) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("·é"), 2u);
}

}  // namespace
}  // namespace candor::reports::detail
