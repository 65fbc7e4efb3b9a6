#include "core/policy/phone_number.hpp"

#include <set>
#include <string>

#include <fmt/format.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

namespace candor::policy {
namespace {

using i18n::phonenumbers::PhoneNumberUtil;

// Longer input is never a phone number; refusing it early keeps error messages
// short and spares libphonenumber pathological strings.
constexpr std::size_t kMaxRawLength = 64;

char const* describe(PhoneNumberUtil::ErrorType error) {
  switch (error) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      return "no error";
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return "unknown country calling code (write it as +<country code> ...)";
    case PhoneNumberUtil::NOT_A_NUMBER:
      return "not a phone number";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
      return "too short after the international prefix";
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return "too short";
    case PhoneNumberUtil::TOO_LONG_NSN:
      return "too long";
  }
  return "unreadable";
}

char const* describe(PhoneNumberUtil::ValidationResult result) {
  switch (result) {
    case PhoneNumberUtil::IS_POSSIBLE:
      return "possible";
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      return "a local number only; the area code is missing";
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
      return "unknown country calling code";
    case PhoneNumberUtil::TOO_SHORT:
      return "too short for its country";
    case PhoneNumberUtil::INVALID_LENGTH:
      return "a length no number of its country has";
    case PhoneNumberUtil::TOO_LONG:
      return "too long for its country";
  }
  return "not possible";
}

Error invalid(std::string_view raw, std::string_view why) {
  return make_error(Errc::kInvalidArgument, fmt::format("phone '{}': {}", raw, why));
}

}  // namespace

Result<PhoneNumber> parse_phone(std::string_view raw, std::string_view default_region) {
  if (raw.find_first_not_of(" \t") == std::string_view::npos) {
    return invalid(raw, "empty");
  }
  if (raw.size() > kMaxRawLength) {
    return invalid(raw.substr(0, kMaxRawLength), "longer than 64 characters");
  }

  auto const& util = *PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumber number;
  auto const parsed = util.Parse(std::string(raw), std::string(default_region), &number);
  if (parsed != PhoneNumberUtil::NO_PARSING_ERROR) {
    return invalid(raw, describe(parsed));
  }
  auto const possible = util.IsPossibleNumberWithReason(number);
  if (possible != PhoneNumberUtil::IS_POSSIBLE) {
    return invalid(raw, describe(possible));
  }

  PhoneNumber out;
  util.Format(number, PhoneNumberUtil::E164, &out.e164);

  // Some inputs keep a leading zero after the country code that libphonenumber
  // drops when it reads the E.164 form again ("+263 002834 8" -> +263028348 ->
  // +26328348). Such a number would be counted and matched under two keys.
  i18n::phonenumbers::PhoneNumber again;
  std::string again_e164;
  if (util.Parse(out.e164, "ZZ", &again) == PhoneNumberUtil::NO_PARSING_ERROR) {
    util.Format(again, PhoneNumberUtil::E164, &again_e164);
  }
  if (again_e164 != out.e164) {
    return invalid(raw, fmt::format("its E.164 form {} reads back as another number", out.e164));
  }
  out.digits = out.e164.substr(1);
  out.country_code = number.country_code();

  // "ZZ" is libphonenumber's "no region": the number fits no numbering plan of
  // the regions sharing its country code, so it has no country to allow.
  util.GetRegionCodeForNumber(number, &out.region);
  if (out.region == "ZZ") {
    out.region.clear();
  }
  return out;
}

bool is_known_region(std::string_view region) {
  static std::set<std::string, std::less<>> const kRegions = [] {
    std::set<std::string> supported;
    PhoneNumberUtil::GetInstance()->GetSupportedRegions(&supported);
    return std::set<std::string, std::less<>>(supported.begin(), supported.end());
  }();
  return kRegions.find(region) != kRegions.end();
}

}  // namespace candor::policy
