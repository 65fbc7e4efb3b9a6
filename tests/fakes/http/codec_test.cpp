#include "fakes/http/codec.hpp"

#include <gtest/gtest.h>

namespace candor::fakes::http {
namespace {

TEST(Codec, PercentDecodeHandlesPlusAndEscapes) {
  auto const form = percent_decode("a+b%2B%3d", true);
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(*form, "a b+=");

  auto const path = percent_decode("a+b", false);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, "a+b");
}

TEST(Codec, PercentDecodeNamesBadEscapeOffset) {
  auto const bad = percent_decode("ab%G1", true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("offset 2"), std::string::npos);
  EXPECT_FALSE(percent_decode("%4", true).ok());
}

TEST(Codec, ValidUtf8KeepsGoodTextAndReplacesEachBadSequence) {
  std::string const replacement = "\xEF\xBF\xBD";
  std::string const good = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";  // a é € 😀 z
  EXPECT_EQ(valid_utf8(good), good);
  EXPECT_EQ(valid_utf8(""), "");

  EXPECT_EQ(valid_utf8("\xFF\xFEhi"), replacement + replacement + "hi");
  EXPECT_EQ(valid_utf8("\xC0\xAF"), replacement + replacement);                    // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), replacement + replacement + replacement);  // surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"),
            replacement + replacement + replacement + replacement);  // past U+10FFFF
  EXPECT_EQ(valid_utf8("x\xE2\x82"), "x" + replacement);             // truncated at the end
  EXPECT_EQ(valid_utf8("\xE2\x82x"), replacement + "x");             // truncated in the middle
  EXPECT_EQ(valid_utf8("\x80"), replacement);                        // stray continuation
}

TEST(Codec, PercentEncodeKeepsUnreservedOnly) {
  EXPECT_EQ(percent_encode("+1 555/é~", true), "%2B1+555%2F%C3%A9~");
  EXPECT_EQ(percent_encode("a b", false), "a%20b");
}

TEST(Codec, FormRoundTripKeepsOrderAndRepeats) {
  Fields const fields = {{"To", "+15558675310"},
                         {"MediaUrl", "a"},
                         {"MediaUrl", "b"},
                         {"Body", "It's 100% fine & good"}};
  auto const parsed = parse_form(encode_form(fields));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, fields);
}

TEST(Codec, ParseFormSkipsEmptyPairsAndAcceptsMissingValue) {
  auto const parsed = parse_form("a=1&&b&c=");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, (Fields{{"a", "1"}, {"b", ""}, {"c", ""}}));
}

TEST(Codec, ParseFormNamesTheBadPair) {
  auto const parsed = parse_form("a=1&Body=50%");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("Body=50%"), std::string::npos);
}

TEST(Codec, Base64RoundTripsEveryPaddingLength) {
  for (std::string const text : {"", "a", "ab", "abc", "abcd"}) {
    auto const decoded = base64_decode(base64_encode(text));
    ASSERT_TRUE(decoded.has_value()) << text;
    EXPECT_EQ(*decoded, text);
  }
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_FALSE(base64_decode("abc").has_value());
  EXPECT_FALSE(base64_decode("a*c=").has_value());
}

TEST(Codec, BasicAuthParsesUserAndPassword) {
  auto const creds = parse_basic_auth(basic_auth_header("ACabc", "to:ken"));
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->user, "ACabc");
  EXPECT_EQ(creds->password, "to:ken");

  EXPECT_FALSE(parse_basic_auth("Bearer abc").has_value());
  EXPECT_FALSE(parse_basic_auth("Basic !!!!").has_value());
  EXPECT_FALSE(parse_basic_auth("Basic " + base64_encode("nocolon")).has_value());
}

TEST(Codec, ParseUrlSplitsHostPortAndTarget) {
  auto const url = parse_url("http://127.0.0.1:8080/twilio/status?x=1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/twilio/status?x=1");

  auto const bare = parse_url("https://example.com");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 443);
  EXPECT_EQ(bare->target, "/");
}

TEST(Codec, ParseUrlRefusesWhatItCannotCall) {
  EXPECT_FALSE(parse_url("example.com/x").ok());
  EXPECT_FALSE(parse_url("ftp://example.com/x").ok());
  EXPECT_FALSE(parse_url("http://u:p@example.com/x").ok());
  EXPECT_FALSE(parse_url("http://example.com:99999/x").ok());
  EXPECT_FALSE(parse_url("http://:80/x").ok());
}

}  // namespace
}  // namespace candor::fakes::http
