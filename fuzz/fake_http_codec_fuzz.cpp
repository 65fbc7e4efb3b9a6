// Fuzzes the fakes' wire codecs (fakes/http/codec.hpp): percent and form decoding,
// base64, Basic credentials and URLs, all read from requests the code under test
// sends. Decoders must refuse bad text cleanly and invert their encoders.
//
// Input layout: byte 0 picks the codec, the rest is its input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fakes/http/codec.hpp"
#include "fuzz/fuzz_support.hpp"

namespace http = candor::fakes::http;

namespace {

void fuzz_percent(std::string_view text, bool plus_is_space) {
  auto const decoded = http::percent_decode(text, plus_is_space);
  if (!decoded) {
    CANDOR_FUZZ_EXPECT(!decoded.error().message.empty(), "a bad escape says where");
  }
  auto const encoded = http::percent_encode(text, plus_is_space);
  auto const back = http::percent_decode(encoded, plus_is_space);
  CANDOR_FUZZ_EXPECT(back && *back == text, "percent_decode inverts percent_encode");
}

void fuzz_form(std::string_view text) {
  auto const fields = http::parse_form(text);
  if (!fields) {
    CANDOR_FUZZ_EXPECT(!fields.error().message.empty(), "a bad form says which pair");
    return;
  }
  auto const again = http::parse_form(http::encode_form(*fields));
  CANDOR_FUZZ_EXPECT(again && *again == *fields, "parse_form inverts encode_form");
}

void fuzz_base64(std::string_view text) {
  if (auto const decoded = http::base64_decode(text)) {
    CANDOR_FUZZ_EXPECT(decoded->size() <= text.size(), "decoding never grows the text");
  }
  auto const back = http::base64_decode(http::base64_encode(text));
  CANDOR_FUZZ_EXPECT(back && *back == text, "base64_decode inverts base64_encode");
}

void fuzz_basic(std::string_view text) {
  http::parse_basic_auth(text);
  auto const colon = text.find(':');
  auto const user = text.substr(0, colon);
  if (colon == std::string_view::npos || user.find(':') != std::string_view::npos) {
    return;
  }
  auto const password = text.substr(colon + 1);
  auto const parsed = http::parse_basic_auth(http::basic_auth_header(user, password));
  CANDOR_FUZZ_EXPECT(parsed && parsed->user == user && parsed->password == password,
                     "parse_basic_auth inverts basic_auth_header");
}

void fuzz_url(std::string_view text) {
  auto const url = http::parse_url(text);
  if (!url) {
    CANDOR_FUZZ_EXPECT(url.error().message.starts_with("url '"), "url errors quote the url");
    return;
  }
  CANDOR_FUZZ_EXPECT(url->scheme == "http" || url->scheme == "https", "scheme is http(s)");
  CANDOR_FUZZ_EXPECT(!url->host.empty(), "a parsed url has a host");
  CANDOR_FUZZ_EXPECT(url->port != 0, "a parsed url has a port");
  CANDOR_FUZZ_EXPECT(!url->target.empty() && url->target[0] == '/', "targets start with /");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);
  auto const selector = input.take_byte();
  auto const text = input.rest();
  switch (selector % 6) {
    case 0:
      fuzz_percent(text, false);
      break;
    case 1:
      fuzz_percent(text, true);
      break;
    case 2:
      fuzz_form(text);
      break;
    case 3:
      fuzz_base64(text);
      break;
    case 4:
      fuzz_basic(text);
      break;
    default:
      fuzz_url(text);
      break;
  }
  return 0;
}
