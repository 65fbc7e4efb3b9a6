// Fuzzes the providers' HTTP utilities (core/providers/http_util.hpp): URLs come
// from configuration and from provider answers (Location, media URLs), form and JSON
// text from the messages we send.
//
// Input layout: byte 0 picks the utility, the rest is its input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/providers/http_util.hpp"
#include "fuzz/fuzz_support.hpp"

namespace providers = candor::providers;

namespace {

void fuzz_url(std::string_view text) {
  auto const url = providers::parse_url(text);
  if (!url) {
    CANDOR_FUZZ_EXPECT(url.error().code == candor::Errc::kInvalidArgument,
                       "bad URLs are kInvalidArgument");
    return;
  }
  CANDOR_FUZZ_EXPECT(url->scheme == "http" || url->scheme == "https", "scheme is http(s)");
  CANDOR_FUZZ_EXPECT(!url->host.empty(), "a parsed URL has a host");
  CANDOR_FUZZ_EXPECT(url->port != 0, "a parsed URL has a port");
  CANDOR_FUZZ_EXPECT(!url->target.empty() && url->target[0] == '/', "targets start with /");

  // The origin of a parsed URL is itself a URL with the same origin.
  auto const origin = providers::parse_url(url->origin());
  CANDOR_FUZZ_EXPECT(origin && origin->origin() == url->origin(), "origin() parses back");

  constexpr std::string_view kPath = "/2010-04-01/Messages.json";
  auto const joined = providers::join_url(text, kPath);
  auto const at = joined.size() - kPath.size();
  CANDOR_FUZZ_EXPECT(joined.ends_with(kPath) && (at == 0 || joined[at - 1] != '/'),
                     "join_url puts exactly one slash between base and path");
}

void fuzz_form(std::string_view text) {
  auto const decoded = providers::form_decode(text);
  CANDOR_FUZZ_EXPECT(decoded.size() <= text.size(), "decoding never grows the text");

  providers::FormFields const fields{{std::string(text), std::string(text)}};
  auto const encoded = providers::form_encode(fields);
  auto const eq = encoded.find('=');
  CANDOR_FUZZ_EXPECT(eq != std::string::npos && encoded.find('=', eq + 1) == std::string::npos,
                     "'=' inside names and values is escaped");
  CANDOR_FUZZ_EXPECT(providers::form_decode(encoded.substr(0, eq)) == text,
                     "form_decode inverts form_encode");
}

bool is_utf8(std::string_view text) {
  try {
    nlohmann::json(std::string(text)).dump();
    return true;
  } catch (nlohmann::json::exception const&) {
    return false;
  }
}

void fuzz_json_escape(std::string_view text) {
  auto const quoted = "\"" + providers::json_escape(text) + "\"";
  auto const json = nlohmann::json::parse(quoted, nullptr, false);
  CANDOR_FUZZ_EXPECT(!json.is_discarded() && json.is_string(),
                     "json_escape output is always a valid JSON string");
  CANDOR_FUZZ_EXPECT(!is_utf8(text) || json.get<std::string>() == text,
                     "json_escape round-trips UTF-8 text exactly");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);
  auto const selector = input.take_byte();
  auto const text = input.rest();
  switch (selector % 4) {
    case 0:
      fuzz_url(text);
      break;
    case 1:
      fuzz_form(text);
      break;
    case 2:
      fuzz_json_escape(text);
      break;
    default:
      providers::base64_encode(text);
      providers::basic_authorization(text, text);
      break;
  }
  return 0;
}
