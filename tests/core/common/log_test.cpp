#include "core/common/log.hpp"

#include <string>

#include <gtest/gtest.h>

namespace candor::log {
namespace {

TEST(Log, GetReturnsOneLoggerPerComponent) {
  auto& first = get("test.component");
  auto& again = get("test.component");
  auto& other = get("test.other");

  EXPECT_EQ(&first, &again);
  EXPECT_NE(&first, &other);
  EXPECT_EQ(first.name(), "test.component");
}

TEST(Log, SetLevelAppliesToPresentAndFutureLoggers) {
  auto& present = get("test.present");

  ASSERT_TRUE(set_level("debug"));
  EXPECT_EQ(present.level(), spdlog::level::debug);
  EXPECT_EQ(get("test.future.debug").level(), spdlog::level::debug);

  ASSERT_TRUE(set_level("off"));
  EXPECT_EQ(present.level(), spdlog::level::off);
  EXPECT_EQ(get("test.future.off").level(), spdlog::level::off);

  ASSERT_TRUE(set_level("warn"));
}

TEST(Log, SetLevelRefusesUnknownNames) {
  ASSERT_TRUE(set_level("error"));

  EXPECT_FALSE(set_level("loud"));
  EXPECT_FALSE(set_level(""));

  EXPECT_EQ(get("test.unchanged").level(), spdlog::level::err);
  ASSERT_TRUE(set_level("warn"));
}

TEST(MaskPhone, KeepsCountryStartAndLastThreeDigits) {
  EXPECT_EQ(mask_phone("+447700900123"), "+44*******123");
  EXPECT_EQ(mask_phone("+14155550100"), "+14******100");
}

TEST(MaskPhone, HidesTheWholeOfAVeryShortValue) {
  EXPECT_EQ(mask_phone(""), "");
  EXPECT_EQ(mask_phone("12345"), "*****");
  EXPECT_EQ(mask_phone("+12345"), "******");
}

TEST(MaskPhone, NeverContainsTheSubscriberNumber) {
  auto const masked = mask_phone("+33612345678");
  EXPECT_EQ(masked.find("12345"), std::string::npos);
  EXPECT_EQ(masked.size(), std::string("+33612345678").size());
}

TEST(MaskEmail, KeepsFirstLetterAndDomain) {
  EXPECT_EQ(mask_email("jane.doe@example.com"), "j***@example.com");
  EXPECT_EQ(mask_email("a@b.org"), "a***@b.org");
}

TEST(MaskEmail, HidesEverythingWithoutALocalPart) {
  EXPECT_EQ(mask_email("no-at-sign"), "***");
  EXPECT_EQ(mask_email("@example.com"), "***");
  EXPECT_EQ(mask_email(""), "***");
}

}  // namespace
}  // namespace candor::log
