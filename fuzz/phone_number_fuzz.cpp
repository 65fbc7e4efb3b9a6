// Fuzzes phone parsing (core/policy/phone_number.hpp): numbers as typed by people
// or stored by other systems, with any default region.
//
// Input layout: line 1 is the default region, the rest the raw number. A parsed
// number must be consistent and must parse again from its own E.164 form.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/policy/phone_number.hpp"
#include "fuzz/fuzz_support.hpp"

namespace policy = candor::policy;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);
  auto const region = input.take_line();
  auto const raw = input.rest();

  policy::is_known_region(region);
  auto const phone = policy::parse_phone(raw, region);
  if (!phone) {
    CANDOR_FUZZ_EXPECT(phone.error().code == candor::Errc::kInvalidArgument,
                       "a bad number is kInvalidArgument");
    CANDOR_FUZZ_EXPECT(!phone.error().message.empty(), "a refused number says why");
    return 0;
  }

  CANDOR_FUZZ_EXPECT(phone->e164.size() > 1 && phone->e164[0] == '+', "E.164 starts with +");
  CANDOR_FUZZ_EXPECT(phone->e164.substr(1) == phone->digits, "digits are E.164 without +");
  CANDOR_FUZZ_EXPECT(phone->country_code > 0, "a parsed number has a country code");
  CANDOR_FUZZ_EXPECT(phone->digits.starts_with(std::to_string(phone->country_code)),
                     "the digits start with the country code");

  // The E.164 form must read back as itself, or one number would have two keys
  // (corpus crash-e164-not-a-fixed-point.txt).
  auto const again = policy::parse_phone(phone->e164, "US");
  CANDOR_FUZZ_EXPECT(again && again->e164 == phone->e164, "E.164 output parses to itself");
  return 0;
}
