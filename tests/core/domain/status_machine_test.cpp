#include "core/domain/status_machine.hpp"

#include <gtest/gtest.h>

namespace candor::domain {
namespace {

TEST(StatusMachine, MapsTwilioStatuses) {
  EXPECT_EQ(map_raw_status(ProviderKind::kTwilio, "accepted"), Status::kSent);
  EXPECT_EQ(map_raw_status(ProviderKind::kTwilio, "queued"), Status::kSent);
  EXPECT_EQ(map_raw_status(ProviderKind::kTwilio, "delivered"), Status::kDelivered);
  EXPECT_EQ(map_raw_status(ProviderKind::kTwilio, "undelivered"), Status::kFailed);
  EXPECT_EQ(map_raw_status(ProviderKind::kTwilio, "failed"), Status::kFailed);
  EXPECT_EQ(map_raw_status(ProviderKind::kTwilio, "received"), Status::kReceived);
}

TEST(StatusMachine, MapsSyniverseStatusesIgnoringCase) {
  EXPECT_EQ(map_raw_status(ProviderKind::kSyniverse, "DELIVERED"), Status::kDelivered);
  EXPECT_EQ(map_raw_status(ProviderKind::kSyniverse, "Expired"), Status::kFailed);
  EXPECT_EQ(map_raw_status(ProviderKind::kSyniverse, "QUEUED"), Status::kSent);
}

TEST(StatusMachine, UnknownRawStatusMapsToNothing) {
  EXPECT_FALSE(map_raw_status(ProviderKind::kTwilio, "partially_delivered"));
  EXPECT_FALSE(map_raw_status(ProviderKind::kSyniverse, ""));
  EXPECT_FALSE(map_raw_status(ProviderKind::kGeneric, "delivered"));
}

TEST(StatusMachine, MovesOnlyForward) {
  EXPECT_EQ(next_status(Status::kQueued, Status::kSent), Status::kSent);
  EXPECT_EQ(next_status(Status::kSent, Status::kDelivered), Status::kDelivered);
  EXPECT_EQ(next_status(Status::kSent, Status::kSent), Status::kSent);
  // A late "sent" after "delivered" must not move the message back.
  EXPECT_EQ(next_status(Status::kDelivered, Status::kSent), Status::kDelivered);
  // Out of order: delivered before sent still lands on delivered.
  EXPECT_EQ(next_status(Status::kQueued, Status::kDelivered), Status::kDelivered);
}

TEST(StatusMachine, FinalStatusesNeverChange) {
  for (auto final_status :
       {Status::kDelivered, Status::kFailed, Status::kReceived, Status::kBlocked}) {
    EXPECT_TRUE(is_final(final_status));
    for (auto proposed : {Status::kQueued, Status::kSent, Status::kDelivered, Status::kFailed}) {
      EXPECT_EQ(next_status(final_status, proposed), final_status);
    }
  }
  EXPECT_FALSE(is_final(Status::kSent));
  EXPECT_FALSE(is_final(Status::kQueued));
}

TEST(StatusMachine, AMessageGoingOutNeverBecomesReceivedOrBlocked) {
  // Twilio reports "received" for inbound messages; said of an outbound one it is
  // kept in history but moves nothing.
  ASSERT_EQ(map_raw_status(ProviderKind::kTwilio, "received"), Status::kReceived);
  for (auto current : {Status::kQueued, Status::kSent}) {
    EXPECT_EQ(next_status(current, Status::kReceived), current);
    EXPECT_EQ(next_status(current, Status::kBlocked), current);
  }
}

}  // namespace
}  // namespace candor::domain
