// Fuzzes the webhook receiver's form decoding and Twilio signature checks
// (core/webhooks/form_params.hpp, twilio_signature.hpp).
//
// Input layout: line 1 is the auth token, line 2 the URL, line 3 a signature to
// check, the rest the form body. Properties: parsed names are never empty, a
// signature we compute over any URL variant validates, a changed one does not.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/webhooks/form_params.hpp"
#include "core/webhooks/twilio_signature.hpp"
#include "fuzz/fuzz_support.hpp"

namespace webhooks = candor::webhooks;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);
  auto const token = input.take_line();
  auto const url = input.take_line();
  auto const signature = input.take_line();
  auto const body = input.rest();

  auto const decoded = webhooks::form_decode(body);
  auto const params = webhooks::parse_form(body);
  if (!params) {
    CANDOR_FUZZ_EXPECT(!params.error().message.empty(), "a refused body says why");
    webhooks::validate_twilio_signature(token, url, {}, signature);
    webhooks::validate_twilio_signature_with_body(token, url, body, signature);
    return 0;
  }
  for (auto const& [name, value] : *params) {
    CANDOR_FUZZ_EXPECT(!name.empty(), "parse_form refuses empty names");
    webhooks::find_param(*params, name);
  }

  // Whatever the caller claims, checking must not crash.
  webhooks::validate_twilio_signature(token, url, *params, signature);
  webhooks::validate_twilio_signature_with_body(token, url, body, signature);
  auto const variants = webhooks::twilio_url_variants(url);
  CANDOR_FUZZ_EXPECT(!variants.empty(), "every URL has at least itself as a variant");

  // A signature we compute ourselves must validate, and a changed one must not.
  if (token.empty()) {
    return 0;
  }
  CANDOR_FUZZ_EXPECT(variants.front() == url, "the URL as given is the first variant");
  for (auto const& variant : variants) {
    auto const good = webhooks::twilio_signature(token, variant, *params);
    CANDOR_FUZZ_EXPECT(webhooks::validate_twilio_signature(token, url, *params, good),
                       "a signature over any URL variant validates");
    auto bad = good;
    bad[0] = bad[0] == 'A' ? 'B' : 'A';
    CANDOR_FUZZ_EXPECT(!webhooks::validate_twilio_signature(token, url, *params, bad),
                       "a changed signature does not validate");
  }
  return 0;
}
