#pragma once

// Phone numbers, read with libphonenumber.

#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace candor::policy {

struct PhoneNumber {
  std::string e164;      ///< "+14155550100"
  std::string digits;    ///< "14155550100": E.164 without '+'
  std::string region;    ///< "US"; for +1 the region is the number's own (US, CA, JM, ...)
  int country_code = 0;  ///< 1
};

/// Parses `raw` (E.164, or national form in `default_region`) and checks that it
/// is a possible number (a length some number of its country has). Errors are
/// kInvalidArgument and say why, quoting the input.
///
/// `region` is the region the number belongs to. It is empty when the number is
/// possible but matches no region's numbering plan (e.g. "+1 555 555 0100"), and
/// "001" for non-geographic numbers (+800, +882, ...). Thread-safe.
Result<PhoneNumber> parse_phone(std::string_view raw, std::string_view default_region = "US");

/// True when `region` is a region libphonenumber knows ("US", "GB"). Case
/// sensitive: region codes are upper case.
bool is_known_region(std::string_view region);

}  // namespace candor::policy
