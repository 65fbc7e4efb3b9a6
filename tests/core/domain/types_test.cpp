#include "core/domain/types.hpp"

#include <gtest/gtest.h>

namespace candor::domain {
namespace {

TEST(Types, NamesRoundTrip) {
  for (auto status : {Status::kQueued, Status::kSent, Status::kDelivered, Status::kFailed,
                      Status::kReceived, Status::kBlocked}) {
    EXPECT_EQ(parse_status(to_string(status)), status);
  }
  for (auto reason : {BlockReason::kNone, BlockReason::kInvalidNumber, BlockReason::kOptedOut,
                      BlockReason::kCountryNotAllowed, BlockReason::kNumberBlocked,
                      BlockReason::kPatternBlocked, BlockReason::kCandidateDailyLimit,
                      BlockReason::kApplicationDailyLimit, BlockReason::kInvalidEmail}) {
    EXPECT_EQ(parse_block_reason(to_string(reason)), reason);
  }
  for (auto kind : {ContextKind::kProfile, ContextKind::kRequisition, ContextKind::kPool,
                    ContextKind::kSearch}) {
    EXPECT_EQ(parse_context_kind(to_string(kind)), kind);
  }
  for (auto kind : {ProviderKind::kTwilio, ProviderKind::kSyniverse, ProviderKind::kSmtp,
                    ProviderKind::kGeneric}) {
    EXPECT_EQ(parse_provider_kind(to_string(kind)), kind);
  }
  EXPECT_EQ(parse_channel("sms"), Channel::kSms);
  EXPECT_EQ(parse_direction("inbound"), Direction::kInbound);
}

TEST(Types, UnknownNamesAreRefused) {
  EXPECT_FALSE(parse_status("Delivered"));
  EXPECT_FALSE(parse_block_reason(""));
  EXPECT_FALSE(parse_channel("fax"));
}

}  // namespace
}  // namespace candor::domain
