#include "core/policy/verdict_cache.hpp"

#include <string>

#include <gtest/gtest.h>

namespace candor::policy {
namespace {

TEST(VerdictCache, ReturnsWhatWasInserted) {
  VerdictCache cache(100);
  StaticVerdict out;
  EXPECT_FALSE(cache.find("+14155550100", out));

  cache.insert(
      "+14155550100",
      {.reason = domain::BlockReason::kNumberBlocked, .e164 = "+14155550100", .region = "US"});

  ASSERT_TRUE(cache.find("+14155550100", out));
  EXPECT_EQ(out.reason, domain::BlockReason::kNumberBlocked);
  EXPECT_EQ(out.e164, "+14155550100");
  EXPECT_EQ(out.region, "US");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(VerdictCache, StaysBounded) {
  constexpr std::size_t kCapacity = 640;
  VerdictCache cache(kCapacity);
  for (int i = 0; i < 20'000; ++i) {
    cache.insert(std::to_string(i), {});
  }
  // Each of the 64 shards holds at most capacity / 64 entries.
  EXPECT_LE(cache.size(), kCapacity);
  EXPECT_GT(cache.size(), 0u);
}

TEST(VerdictCache, ZeroCapacityKeepsNothing) {
  VerdictCache cache(0);
  cache.insert("+14155550100", {});
  StaticVerdict out;
  EXPECT_FALSE(cache.find("+14155550100", out));
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace candor::policy
