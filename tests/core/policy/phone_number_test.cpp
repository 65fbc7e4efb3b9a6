#include "core/policy/phone_number.hpp"

#include <gtest/gtest.h>

namespace candor::policy {
namespace {

TEST(ParsePhone, ReadsE164) {
  auto phone = parse_phone("+14155550100");
  ASSERT_TRUE(phone.ok()) << phone.error().message;
  EXPECT_EQ(phone->e164, "+14155550100");
  EXPECT_EQ(phone->digits, "14155550100");
  EXPECT_EQ(phone->region, "US");
  EXPECT_EQ(phone->country_code, 1);
}

TEST(ParsePhone, ReadsNationalFormInDefaultRegion) {
  auto phone = parse_phone("(212) 555-0100", "US");
  ASSERT_TRUE(phone.ok()) << phone.error().message;
  EXPECT_EQ(phone->e164, "+12125550100");

  auto uk = parse_phone("020 7946 0958", "GB");
  ASSERT_TRUE(uk.ok()) << uk.error().message;
  EXPECT_EQ(uk->e164, "+442079460958");
  EXPECT_EQ(uk->region, "GB");
}

TEST(ParsePhone, TakesTheRegionFromTheNumberForSharedCountryCodes) {
  EXPECT_EQ(parse_phone("+1 416 555 0199")->region, "CA");
  EXPECT_EQ(parse_phone("+1 212 555 0100")->region, "US");
  EXPECT_EQ(parse_phone("+1 876 555 0100")->region, "JM");
}

TEST(ParsePhone, RefusesTextQuotingIt) {
  auto phone = parse_phone("call me");
  ASSERT_FALSE(phone.ok());
  EXPECT_EQ(phone.error().code, Errc::kInvalidArgument);
  EXPECT_NE(phone.error().message.find("'call me'"), std::string::npos);
}

TEST(ParsePhone, RefusesEmptyShortAndLongInput) {
  EXPECT_FALSE(parse_phone("").ok());
  EXPECT_FALSE(parse_phone("   ").ok());
  EXPECT_FALSE(parse_phone("+1 212").ok());
  EXPECT_FALSE(parse_phone("+1 212 555 0100 1234 5678").ok());
  EXPECT_FALSE(parse_phone(std::string(100, '1')).ok());
}

TEST(ParsePhone, NeedsACountryCodeWithoutDefaultRegion) {
  EXPECT_FALSE(parse_phone("2125550100", "").ok());
  EXPECT_TRUE(parse_phone("+12125550100", "").ok());
}

TEST(ParsePhone, LeavesRegionEmptyForAPossibleNumberOfNoRegion) {
  // 555 is no area code of any +1 country, but the length is right.
  auto phone = parse_phone("+1 555 555 0100");
  ASSERT_TRUE(phone.ok()) << phone.error().message;
  EXPECT_EQ(phone->region, "");
}

TEST(ParsePhone, RefusesANumberWhoseE164FormReadsBackDifferently) {
  // Found by fuzzing: the leading zero survives the first parse but not the second.
  auto phone = parse_phone("+263 002834 8");
  ASSERT_FALSE(phone.ok());
  EXPECT_NE(phone.error().message.find("reads back as another number"), std::string::npos);
}

TEST(ParsePhone, E164OutputParsesToItself) {
  for (auto raw : {"+1 (415) 555-0100", "020 7946 0018", "+44 7700 900123", "+263 77 123 4567",
                   "+39 06 6982 1234"}) {
    auto phone = parse_phone(raw, "GB");
    ASSERT_TRUE(phone.ok()) << raw << ": " << phone.error().message;
    auto again = parse_phone(phone->e164, "US");
    ASSERT_TRUE(again.ok()) << phone->e164;
    EXPECT_EQ(again->e164, phone->e164);
  }
}

TEST(IsKnownRegion, KnowsUpperCaseRegionCodes) {
  EXPECT_TRUE(is_known_region("US"));
  EXPECT_TRUE(is_known_region("CA"));
  EXPECT_TRUE(is_known_region("GB"));
  EXPECT_FALSE(is_known_region("XX"));
  EXPECT_FALSE(is_known_region("us"));
  EXPECT_FALSE(is_known_region(""));
}

}  // namespace
}  // namespace candor::policy
