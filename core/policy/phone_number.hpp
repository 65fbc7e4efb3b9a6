#pragma once

// Phone numbers, read with libphonenumber.

#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace candor::policy {

struct PhoneNumber {
  std::string e164;     ///< "+14155550100"
  std::string digits;   ///< "14155550100": E.164 without '+'
  std::string region;   ///< "US"; for +1 the region is the number's own (US, CA, JM, ...)
  int country_code = 0; ///< 1
};

/// Parses `raw` (E.164, or national form in `default_region`) and checks that it
/// is a possible number. Errors say why, quoting the input.
Result<PhoneNumber> parse_phone(std::string_view raw, std::string_view default_region = "US");

/// True when `region` is a region libphonenumber knows ("US", "GB").
bool is_known_region(std::string_view region);

}  // namespace candor::policy
