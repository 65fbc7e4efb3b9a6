#include "fakes/smtp/smtp_text.hpp"

#include <gtest/gtest.h>

namespace candor::fakes::smtp {
namespace {

TEST(SmtpText, ParsesPathWithParameters) {
  auto parsed = parse_path_argument("from:<a.b@x.example> SIZE=120  BODY=8BITMIME", "FROM", true);

  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->address, "a.b@x.example");
  EXPECT_EQ(parsed->params, (std::vector<std::string>{"SIZE=120", "BODY=8BITMIME"}));
}

TEST(SmtpText, ToleratesOneSpaceAfterColon) {
  auto parsed = parse_path_argument("TO: <c@d.example>", "TO", false);

  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->address, "c@d.example");
}

TEST(SmtpText, NullSenderOnlyWhereAllowed) {
  EXPECT_TRUE(parse_path_argument("FROM:<>", "FROM", true).ok());
  EXPECT_FALSE(parse_path_argument("TO:<>", "TO", false).ok());
}

TEST(SmtpText, RefusesMalformedPaths) {
  for (auto const* bad : {"FROM:a@b.example", "FROM:<a@b.example", "FROM<a@b.example>",
                          "FROM:<ab.example>", "FROM:<a@b@c>", "FROM:<a@b.example>x", "TO:<x@y>"}) {
    auto parsed = parse_path_argument(bad, "FROM", true);
    EXPECT_FALSE(parsed.ok()) << bad;
  }
}

TEST(SmtpText, ParsesHeadersWithFoldingAndBody) {
  auto const message = parse_message(
      "Subject: Interview\r\n  invitation\r\nFrom: Jobs <jobs@acme.example>\r\n"
      "no colon here\r\n\r\nHello\r\n\r\nBye\r\n");

  ASSERT_EQ(message.headers.size(), 2u);
  EXPECT_EQ(find_header(message, "subject"), "Interview invitation");
  EXPECT_EQ(find_header(message, "FROM"), "Jobs <jobs@acme.example>");
  EXPECT_EQ(find_header(message, "To"), std::nullopt);
  EXPECT_EQ(message.body, "Hello\r\n\r\nBye\r\n");
}

TEST(SmtpText, MessageWithoutBlankLineHasNoBody) {
  auto const message = parse_message("Subject: x\r\n");

  EXPECT_EQ(find_header(message, "Subject"), "x");
  EXPECT_EQ(message.body, "");
}

TEST(SmtpText, Base64RoundTrips) {
  for (std::string const& text :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0u\0p", 4)}) {
    EXPECT_EQ(base64_decode(base64_encode(text)), text);
  }
  EXPECT_EQ(base64_encode("Username:"), "VXNlcm5hbWU6");
  EXPECT_EQ(base64_decode("not base64!"), std::nullopt);
  EXPECT_EQ(base64_decode("Q"), std::nullopt);
}

}  // namespace
}  // namespace candor::fakes::smtp
