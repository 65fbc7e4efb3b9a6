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

TEST(SmtpText, DecodesQuotedPrintable) {
  // Soft breaks join lines, =XX in either case is an octet, hard breaks stay CRLF.
  EXPECT_EQ(decode_quoted_printable("Caf=C3=A9 =3D ok=\r\n, joined\r\nnext=e2=80=93line\r\n"),
            "Caf\xC3\xA9 = ok, joined\r\nnext\xE2\x80\x93line\r\n");
  // Trailing blanks are transport padding; encoded ones are kept.
  EXPECT_EQ(decode_quoted_printable("a  \r\nb=20\r\n"), "a\r\nb \r\n");
  // A stray '=' stays as it was; a bare LF counts as a line break.
  EXPECT_EQ(decode_quoted_printable("1+1=2 =ZZ=\nend"), "1+1=2 =ZZend");
  EXPECT_EQ(decode_quoted_printable("=4"), "=4");
  EXPECT_EQ(decode_quoted_printable(""), "");
}

TEST(SmtpText, DecodesEncodedWordsInHeaders) {
  EXPECT_EQ(decode_header_text("=?UTF-8?B?RW50cmV0aWVuIOKAkyDDqXRhcGUgMg==?="),
            "Entretien \xE2\x80\x93 \xC3\xA9tape 2");
  // Adjacent words (as after unfolding) join without the blank between them.
  EXPECT_EQ(decode_header_text("=?UTF-8?B?w6nDqQ==?= =?utf-8?b?w6k=?="),
            "\xC3\xA9\xC3\xA9\xC3\xA9");
  EXPECT_EQ(decode_header_text("Re: =?iso-8859-1?q?caf=E9_au_lait?= now"),
            "Re: caf\xE9 au lait now");
  EXPECT_EQ(decode_header_text("Plain  text"), "Plain  text");
  for (auto const* malformed : {"=?UTF-8?B?***?=", "=?UTF-8?X?abc?=", "=?UTF-8?Q?a=Zb?=",
                                "=?UTF-8?B?abc", "=??B?YQ==?=", "a =? b"}) {
    EXPECT_EQ(decode_header_text(malformed), malformed);
  }
}

TEST(SmtpText, DecodesTheBodyByItsTransferEncoding) {
  auto const qp =
      parse_message("Content-Transfer-Encoding: Quoted-Printable\r\n\r\nna=C3=AFve=\r\n text\r\n");
  auto const b64 =
      parse_message("Content-Transfer-Encoding: base64\r\n\r\naGVsbG8g\r\nd29ybGQ=\r\n");
  auto const broken = parse_message("Content-Transfer-Encoding: base64\r\n\r\n!!\r\n");
  auto const plain = parse_message("Content-Transfer-Encoding: 8bit\r\n\r\nx=41\r\n");

  EXPECT_EQ(decode_body(qp), "na\xC3\xAFve text\r\n");
  EXPECT_EQ(decode_body(b64), "hello world");
  EXPECT_EQ(decode_body(broken), "!!\r\n");
  EXPECT_EQ(decode_body(plain), "x=41\r\n");
  EXPECT_EQ(decode_body(parse_message("Subject: x\r\n\r\nbody\r\n")), "body\r\n");
}

// Pins the Limitation in decode_body: the parts of a multipart body stay encoded.
TEST(SmtpText, LimitationMultipartPartsAreNotDecoded) {
  std::string const body =
      "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n--b--\r\n";
  auto const message =
      parse_message("Content-Type: multipart/alternative; boundary=b\r\n\r\n" + body);

  EXPECT_EQ(decode_body(message), body);
}

}  // namespace
}  // namespace candor::fakes::smtp
