// Fuzzes the fake SMTP server's text parsing (fakes/smtp/smtp_text.hpp): MAIL FROM
// and RCPT TO arguments, the message after DATA and AUTH's base64, all as sent by
// the SMTP provider under test.
//
// Input layout: byte 0 picks the parser, the rest is its input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fakes/smtp/smtp_text.hpp"
#include "fuzz/fuzz_support.hpp"

namespace smtp = candor::fakes::smtp;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);
  auto const selector = input.take_byte();
  auto const text = input.rest();

  switch (selector % 4) {
    case 0:
    case 1: {
      bool const allow_empty = selector % 4 == 0;
      auto const path = smtp::parse_path_argument(text, allow_empty ? "FROM" : "TO", allow_empty);
      if (!path) {
        CANDOR_FUZZ_EXPECT(path.error().code == candor::Errc::kInvalidArgument,
                           "bad paths are kInvalidArgument");
        break;
      }
      CANDOR_FUZZ_EXPECT(allow_empty || !path->address.empty(), "<> only where allowed");
      break;
    }
    case 2: {
      auto const message = smtp::parse_message(text);
      for (auto const& [name, value] : message.headers) {
        CANDOR_FUZZ_EXPECT(name.find(':') == std::string::npos, "header names hold no colon");
        auto const found = smtp::find_header(message, name);
        CANDOR_FUZZ_EXPECT(found.has_value(), "every parsed header can be found");
      }
      CANDOR_FUZZ_EXPECT(message.body.size() <= text.size(), "the body is part of the text");
      break;
    }
    default: {
      smtp::base64_decode(text);
      auto const back = smtp::base64_decode(smtp::base64_encode(text));
      CANDOR_FUZZ_EXPECT(back && *back == text, "base64_decode inverts base64_encode");
      auto const lower = smtp::to_lower(text);
      CANDOR_FUZZ_EXPECT(lower.size() == text.size(), "to_lower keeps the length");
      break;
    }
  }
  return 0;
}
