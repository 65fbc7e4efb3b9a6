#include "scenarios/time_text.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace candor::scenarios {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ParseDuration, ReadsEachUnit) {
  EXPECT_EQ(parse_duration("90s"), clock::Duration(seconds(90)));
  EXPECT_EQ(parse_duration("15m"), clock::Duration(minutes(15)));
  EXPECT_EQ(parse_duration("2h"), clock::Duration(hours(2)));
  EXPECT_EQ(parse_duration("1d"), clock::Duration(hours(24)));
  EXPECT_EQ(parse_duration("250ms"), clock::Duration(milliseconds(250)));
  EXPECT_EQ(parse_duration("7us"), clock::Duration(7));
}

TEST(ParseDuration, ReadsCompoundAndSignedForms) {
  EXPECT_EQ(parse_duration("1h30m"), clock::Duration(minutes(90)));
  EXPECT_EQ(parse_duration("-5h"), clock::Duration(hours(-5)));
  EXPECT_EQ(parse_duration("0"), clock::Duration(0));
}

TEST(ParseDuration, RefusesMalformedText) {
  for (char const* bad : {"", "90", "s", "1x", "1.5h", "h1", "--1s", "1 s", "99999999999999999999d",
                          "9999999999999d"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(ParseDuration, TellsTooLargeFromMalformed) {
  EXPECT_TRUE(is_duration_too_large("3651d"));
  EXPECT_TRUE(is_duration_too_large("99999999999999999999d"));
  EXPECT_TRUE(is_duration_too_large("-4000d"));
  EXPECT_FALSE(is_duration_too_large("3650d"));
  EXPECT_FALSE(is_duration_too_large("1x"));
  EXPECT_FALSE(is_duration_too_large("lots"));
  EXPECT_EQ(parse_duration("3651d"), clock::Duration(hours(24 * 3651)));
}

TEST(FormatDuration, RoundTrips) {
  for (char const* text : {"1h30m", "250ms", "1d", "-5h", "90s"}) {
    auto d = parse_duration(text);
    ASSERT_TRUE(d.has_value()) << text;
    EXPECT_EQ(parse_duration(format_duration(*d)), d) << text;
  }
  EXPECT_EQ(format_duration(clock::Duration(0)), "0s");
  EXPECT_EQ(format_duration(minutes(90)), "1h30m");
}

TEST(ParseIsoTime, ReadsZonesAndFractions) {
  auto utc = parse_iso_time("2024-03-01T09:00:00Z");
  ASSERT_TRUE(utc.has_value());
  EXPECT_EQ(format_iso_time(*utc), "2024-03-01T09:00:00Z");
  EXPECT_EQ(parse_iso_time("2024-03-01T11:00:00+02:00"), utc);
  EXPECT_EQ(parse_iso_time("2024-03-01T04:00:00-05:00"), utc);
  EXPECT_EQ(format_iso_time(*parse_iso_time("2024-03-01T09:00:00.250Z")),
            "2024-03-01T09:00:00.250Z");
  EXPECT_EQ(parse_iso_time("2024-03-01"), parse_iso_time("2024-03-01T00:00:00Z"));
}

TEST(ParseIsoTime, RefusesImpossibleDates) {
  for (char const* bad : {"2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", "2024-03-01T24:00:00Z",
                          "2024-03-01T09:00:00", "2024-03-01T09:00Z", "yesterday", "",
                          "2024-03-01T09:00:00+2:00", "2024-03-01T09:00:00.Z"}) {
    EXPECT_FALSE(parse_iso_time(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace candor::scenarios
