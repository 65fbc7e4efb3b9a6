#include "core/providers/token_bucket.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace candor::providers {
namespace {

using namespace std::chrono_literals;

clock::TimePoint at(std::chrono::milliseconds offset) {
  return clock::from_unix_ms(1'700'000'000'000) + offset;
}

TEST(TokenBucket, UnlimitedNeverWaits) {
  TokenBucket bucket({});
  EXPECT_TRUE(bucket.unlimited());
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(bucket.reserve(at(0ms)), at(0ms));
  }
}

TEST(TokenBucket, SpacesReservationsAtTheRate) {
  TokenBucket bucket({.per_second = 10, .burst = 1});
  EXPECT_EQ(bucket.reserve(at(0ms)), at(0ms));
  EXPECT_EQ(bucket.reserve(at(0ms)), at(100ms));
  EXPECT_EQ(bucket.reserve(at(0ms)), at(200ms));
  EXPECT_EQ(bucket.reserve(at(1000ms)), at(1000ms));
}

TEST(TokenBucket, AllowsBurstAfterQuietPeriod) {
  TokenBucket bucket({.per_second = 10, .burst = 3});
  EXPECT_EQ(bucket.reserve(at(0ms)), at(0ms));
  EXPECT_EQ(bucket.reserve(at(0ms)), at(0ms));
  EXPECT_EQ(bucket.reserve(at(0ms)), at(0ms));
  EXPECT_EQ(bucket.reserve(at(0ms)), at(100ms));

  EXPECT_EQ(bucket.reserve(at(5000ms)), at(5000ms));
  EXPECT_EQ(bucket.reserve(at(5000ms)), at(5000ms));
}

}  // namespace
}  // namespace candor::providers
