#include "core/providers/http_util.hpp"

#include <gtest/gtest.h>

namespace candor::providers {
namespace {

TEST(HttpUtil, ParsesUrls) {
  auto url = parse_url("https://api.twilio.com/2010-04-01/x.json?a=1");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->tls());
  EXPECT_EQ(url->host, "api.twilio.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/2010-04-01/x.json?a=1");
  EXPECT_EQ(url->origin(), "https://api.twilio.com:443");

  auto local = parse_url("HTTP://127.0.0.1:8080");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->scheme, "http");
  EXPECT_EQ(local->port, 8080);
  EXPECT_EQ(local->target, "/");
}

TEST(HttpUtil, RefusesBadUrlsWithReason) {
  EXPECT_NE(parse_url("api.twilio.com").error().message.find("http://"), std::string::npos);
  EXPECT_NE(parse_url("ftp://x").error().message.find("scheme"), std::string::npos);
  EXPECT_NE(parse_url("http://:80/").error().message.find("host"), std::string::npos);
  EXPECT_NE(parse_url("http://h:99999/").error().message.find("port"), std::string::npos);
  EXPECT_NE(parse_url("http://u:p@h/").error().message.find("credentials"), std::string::npos);
}

TEST(HttpUtil, JoinsUrls) {
  EXPECT_EQ(join_url("https://a.com/", "/b"), "https://a.com/b");
  EXPECT_EQ(join_url("https://a.com/p", "b/c"), "https://a.com/p/b/c");
}

TEST(HttpUtil, FormEncodesAndDecodes) {
  auto const encoded = form_encode({{"To", "+15558675310"}, {"Body", "Hi & bye é"}});
  EXPECT_EQ(encoded, "To=%2B15558675310&Body=Hi+%26+bye+%C3%A9");
  EXPECT_EQ(form_decode("Hi+%26+bye+%C3%A9"), "Hi & bye é");
  EXPECT_EQ(form_decode("100%"), "100%");
}

TEST(HttpUtil, EncodesBasicCredentials) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(HttpUtil, EscapesJsonStrings) {
  EXPECT_EQ(json_escape("a\"b\\c\n"), R"(a\"b\\c\n)");
  EXPECT_EQ(json_escape("\xff"), "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace candor::providers
