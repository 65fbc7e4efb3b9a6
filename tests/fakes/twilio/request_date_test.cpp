#include "fakes/twilio/request_date.hpp"

#include <gtest/gtest.h>

namespace candor::fakes::twilio {
namespace {

using namespace std::chrono_literals;

clock::TimePoint const kDay = clock::from_unix_ms(1'560'211'200'000);  // 2019-06-11 00:00 GMT

TEST(RequestDate, ReadsTheIso8601FormsClientsSend) {
  auto const day = parse_request_date("2019-06-11");
  ASSERT_TRUE(day.has_value());
  EXPECT_EQ(day->at, kDay);
  EXPECT_TRUE(day->whole_day);

  auto const library = parse_iso8601_date("2019-06-11T22:05:25Z");
  ASSERT_TRUE(library.has_value());
  EXPECT_EQ(library->at, kDay + 22h + 5min + 25s);
  EXPECT_FALSE(library->whole_day);

  EXPECT_EQ(parse_request_date("2019-06-11 22:05:25.000")->at, kDay + 22h + 5min + 25s);
  EXPECT_EQ(parse_request_date("2019-06-11T22:05:25")->at, kDay + 22h + 5min + 25s);
  EXPECT_EQ(parse_request_date("2019-06-12T00:05:25+02:00")->at, kDay + 22h + 5min + 25s);
  EXPECT_EQ(parse_request_date("2019-06-11T17:05:25-0500")->at, kDay + 22h + 5min + 25s);
}

TEST(RequestDate, ReadsRfc2822AsTwilioWritesIt) {
  EXPECT_EQ(parse_request_date("Tue, 11 Jun 2019 22:05:25 +0000")->at, kDay + 22h + 5min + 25s);
  EXPECT_EQ(parse_request_date("11 Jun 2019 22:05:25 -0000")->at, kDay + 22h + 5min + 25s);
  EXPECT_EQ(parse_request_date("Wed, 12 Jun 2019 00:05:25 +0200")->at, kDay + 22h + 5min + 25s);
  EXPECT_FALSE(parse_iso8601_date("Tue, 11 Jun 2019 22:05:25 +0000").has_value());
}

TEST(RequestDate, RefusesWhatIsNotADate) {
  for (char const* text :
       {"", "yesterday", "2019-6-11", "2019-06-31", "2019-02-29", "2019-06-11T25:00:00Z",
        "2019-06-11T22:05Z", "2019-06-11T22:05:25Zulu", "2019-06-11T22:05:25+2", "2019-06-11x",
        "Tue, 11 Foo 2019 22:05:25 +0000", "06/11/2019 22:05:25 MST"}) {
    EXPECT_FALSE(parse_request_date(text).has_value()) << text;
  }
  EXPECT_TRUE(parse_request_date("2020-02-29").has_value());
}

}  // namespace
}  // namespace candor::fakes::twilio
