#include "core/common/check.hpp"

#include <gtest/gtest.h>

namespace candor {
namespace {

TEST(Check, PassesWhenTheConditionHolds) {
  CANDOR_CHECK(1 + 1 == 2, "arithmetic");
  CANDOR_ASSERT(true, "always");
  SUCCEED();
}

TEST(CheckDeathTest, AbortsWithTheConditionAndTheReason) {
  int const pending = 0;
  EXPECT_DEATH(CANDOR_CHECK(pending > 0, "work is pending"),
               "check failed: pending > 0 \\(work is pending\\)");
}

#ifndef NDEBUG
TEST(CheckDeathTest, AssertAbortsInDebugBuilds) {
  EXPECT_DEATH(CANDOR_ASSERT(false, "debug only"), "debug only");
}
#endif

}  // namespace
}  // namespace candor
