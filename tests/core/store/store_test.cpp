#include "core/store/store.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/core/store/test_support.hpp"

namespace candor::store {
namespace {

using domain::BlockReason;
using domain::Status;
using test_support::at_ms;
using test_support::blocked;
using test_support::queued;
using test_support::sms;
using test_support::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::int64_t kDay = 20000;

std::unique_ptr<Store> memory_store() {
  auto store = Store::open(":memory:");
  EXPECT_TRUE(store) << store.error().to_string();
  return store ? std::move(*store) : nullptr;
}

std::vector<domain::MessageId> admit_all(Store& store, std::vector<NewMessage> const& batch) {
  auto ids = store.admit(batch);
  EXPECT_TRUE(ids) << ids.error().to_string();
  return ids ? *ids : std::vector<domain::MessageId>{};
}

domain::MessageId admit_one(Store& store, NewMessage entry) {
  auto ids = admit_all(store, {std::move(entry)});
  return ids.empty() ? 0 : ids.front();
}

std::vector<std::string> raw_history(Store& store, domain::MessageId id) {
  auto found = store.find_message(id);
  EXPECT_TRUE(found && found->has_value());
  std::vector<std::string> raws;
  if (found && found->has_value()) {
    for (auto const& event : (*found)->history) {
      raws.push_back(event.raw_status);
    }
  }
  return raws;
}

domain::StatusUpdate callback(std::string provider_id, std::string raw, std::int64_t ms,
                              std::string error_code = "") {
  return domain::StatusUpdate{.provider = "twilio",
                              .kind = domain::ProviderKind::kTwilio,
                              .provider_message_id = std::move(provider_id),
                              .raw_status = std::move(raw),
                              .error_code = std::move(error_code),
                              .at = at_ms(ms)};
}

CompletedSend sent(std::string provider_id, std::int64_t ms) {
  return CompletedSend{.status = Status::kSent,
                       .provider_message_id = std::move(provider_id),
                       .event = {.at = at_ms(ms), .raw_status = "provider:queued"}};
}

// Admits one SMS and completes its send as `provider_id`.
domain::MessageId sent_message(Store& store, std::string const& provider_id) {
  auto const id = admit_one(store, queued(sms(1, 1000), kDay, "CAND-1"));
  auto done = store.complete_send(id, sent(provider_id, 2000));
  EXPECT_TRUE(done) << done.error().to_string();
  return id;
}

// Errors ----------------------------------------------------------------------

TEST(Store, ErrorNamesPathOfUnopenableFile) {
  auto const path = std::string("/nonexistent-candor-dir/sub/store.db");

  auto store = Store::open(path);

  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message, HasSubstr(path));
}

TEST(Store, ErrorNamesPathOfFileThatIsNotADatabase) {
  TempDir dir;
  auto const path = dir.file("garbage.db");
  std::ofstream(path) << std::string(4096, 'x');

  auto store = Store::open(path);

  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::kDataLoss);
  EXPECT_THAT(store.error().message, HasSubstr(path));
}

// Admission -------------------------------------------------------------------

TEST(Store, AdmitReturnsIdsInInputOrderWithFirstEvent) {
  auto store = memory_store();
  std::vector<NewMessage> batch{queued(sms(1, 1000), kDay, "CAND-1"),
                                blocked(sms(2, 1001), BlockReason::kNumberBlocked),
                                queued(sms(3, 1002), kDay, "CAND-3")};

  auto const ids = admit_all(*store, batch);

  ASSERT_EQ(ids.size(), 3u);
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_LT(ids[1], ids[2]);
  auto second = store->find_message(ids[1]);
  ASSERT_TRUE(second && second->has_value());
  EXPECT_EQ((*second)->status, Status::kBlocked);
  EXPECT_EQ((*second)->block_reason, BlockReason::kNumberBlocked);
  EXPECT_EQ((*second)->candidate_id, 2);
  ASSERT_EQ((*second)->history.size(), 1u);
  EXPECT_EQ((*second)->history[0].raw_status, "blocked");
  EXPECT_EQ((*second)->history[0].status, Status::kBlocked);
  EXPECT_EQ(raw_history(*store, ids[0]), std::vector<std::string>{"admitted"});
}

TEST(Store, AdmitKeepsGivenHistoryAndFields) {
  auto store = memory_store();
  auto m = sms(4, 5000);
  m.channel = domain::Channel::kEmail;
  m.subject = "Interview";
  m.context = {.kind = domain::ContextKind::kRequisition, .id = "REQ-9"};
  m.history.push_back({.at = at_ms(5000), .raw_status = "admitted", .detail = "bulk"});

  auto const id = admit_one(*store, NewMessage{.message = m});

  auto found = store->find_message(id);
  ASSERT_TRUE(found && found->has_value());
  auto const& got = **found;
  EXPECT_EQ(got.channel, domain::Channel::kEmail);
  EXPECT_EQ(got.subject, "Interview");
  EXPECT_EQ(got.context, m.context);
  EXPECT_EQ(got.created_at, at_ms(5000));
  ASSERT_EQ(got.history.size(), 1u);
  EXPECT_EQ(got.history[0].detail, "bulk");
}

// Limitation pinned: times are stored in milliseconds.
TEST(Store, TimesKeepMillisecondsOnly) {
  auto store = memory_store();
  auto m = sms(1, 1000);
  m.created_at += std::chrono::microseconds(750);
  m.updated_at = m.created_at;

  auto const id = admit_one(*store, NewMessage{.message = m});

  auto found = store->find_message(id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->created_at, at_ms(1000));
  EXPECT_EQ((*found)->history[0].at, at_ms(1000));
}

TEST(Store, AdmitCountsQuotaForAdmittedMessagesOnly) {
  auto store = memory_store();
  std::vector<NewMessage> batch{
      queued(sms(1, 1000, "+14155550100"), kDay, "CAND-1"),
      queued(sms(1, 1001, "+14155550100"), kDay, "CAND-1"),
      queued(sms(2, 1002, "+14155550199"), kDay, "CAND-2"),
      blocked(sms(2, 1003, "+14155550199"), BlockReason::kCandidateDailyLimit),
      NewMessage{.message = sms(3, 1004)},  // admitted, but no quota day: e-mail-like
  };

  admit_all(*store, batch);
  admit_all(*store, {queued(sms(2, 1005, "+14155550199"), kDay + 1, "CAND-2")});

  auto counts = store->quota_counts(kDay);
  ASSERT_TRUE(counts);
  std::vector<std::tuple<policy::QuotaScope, std::string, std::int64_t>> flat;
  for (auto const& c : *counts) {
    flat.emplace_back(c.scope, c.key, c.count);
  }
  std::sort(flat.begin(), flat.end());
  using policy::QuotaScope;
  EXPECT_THAT(flat, ElementsAre(std::tuple{QuotaScope::kPhone, "+14155550100", 2},
                                std::tuple{QuotaScope::kPhone, "+14155550199", 1},
                                std::tuple{QuotaScope::kCandidate, "CAND-1", 2},
                                std::tuple{QuotaScope::kCandidate, "CAND-2", 1},
                                std::tuple{QuotaScope::kApplication, "", 3}));
  auto next_day = store->quota_counts(kDay + 1);
  ASSERT_TRUE(next_day);
  EXPECT_EQ(next_day->size(), 3u);
}

TEST(Store, AdmitRefusesAStatusOtherThanQueuedOrBlockedAndWritesNothing) {
  auto store = memory_store();
  auto bad = sms(1, 1000);
  bad.status = Status::kDelivered;

  auto ids = store->admit(std::vector{queued(sms(1, 999), kDay, "C"), NewMessage{.message = bad}});

  ASSERT_FALSE(ids);
  EXPECT_EQ(ids.error().code, Errc::kInvalidArgument);
  EXPECT_THAT(ids.error().message, HasSubstr("#1"));
  auto all = store->all_messages();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

// Outbox ----------------------------------------------------------------------

TEST(Store, OutboxHoldsQueuedMessagesUntilCompleted) {
  auto store = memory_store();
  auto const ids = admit_all(
      *store, {queued(sms(1, 1000), kDay, "C1"), blocked(sms(2, 1001), BlockReason::kOptedOut),
               queued(sms(3, 1002), kDay, "C3")});

  auto pending = store->pending_outbox();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].message_id, ids[0]);
  EXPECT_EQ((*pending)[0].message.id, ids[0]);
  EXPECT_EQ((*pending)[0].attempts, 0);
  EXPECT_EQ((*pending)[0].next_attempt_at, at_ms(1000));
  EXPECT_EQ((*pending)[1].message_id, ids[2]);

  auto limited = store->pending_outbox(1);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->size(), 1u);

  ASSERT_TRUE(store->record_attempt(ids[0], 1, at_ms(1100)));
  ASSERT_TRUE(store->schedule_retry(ids[0], 1, at_ms(5000),
                                    {.at = at_ms(1200),
                                     .raw_status = "provider:http_503",
                                     .status = Status::kFailed,
                                     .detail = "retry"}));
  pending = store->pending_outbox();
  ASSERT_TRUE(pending);
  EXPECT_EQ((*pending)[0].attempts, 1);
  EXPECT_EQ((*pending)[0].next_attempt_at, at_ms(5000));

  auto done = store->complete_send(ids[0], sent("SM1", 5100));
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_TRUE(done->empty());
  pending = store->pending_outbox();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].message_id, ids[2]);

  auto message = store->find_message(ids[0]);
  ASSERT_TRUE(message && message->has_value());
  EXPECT_EQ((*message)->status, Status::kSent);
  EXPECT_EQ((*message)->provider_message_id, "SM1");
  EXPECT_EQ((*message)->updated_at, at_ms(5100));
  ASSERT_EQ((*message)->history.size(), 4u);
  // A retry leaves the message queued whatever status its event proposed.
  EXPECT_EQ((*message)->history[2].status, Status::kQueued);
  EXPECT_EQ((*message)->history[3].raw_status, "provider:queued");
  EXPECT_EQ((*message)->history[3].status, Status::kSent);
}

TEST(Store, CompleteSendFailedKeepsErrorAndLeavesOutbox) {
  auto store = memory_store();
  auto const id = admit_one(*store, queued(sms(1, 1000), kDay, "C1"));

  auto done =
      store->complete_send(id, {.status = Status::kFailed,
                                .error_code = "21211",
                                .error_message = "invalid To",
                                .event = {.at = at_ms(1500), .raw_status = "provider:rejected"}});

  ASSERT_TRUE(done);
  auto message = store->find_message(id);
  ASSERT_TRUE(message && message->has_value());
  EXPECT_EQ((*message)->status, Status::kFailed);
  EXPECT_EQ((*message)->error_code, "21211");
  EXPECT_EQ((*message)->error_message, "invalid To");
  auto pending = store->pending_outbox();
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
}

TEST(Store, CompleteSendOfUnknownMessageIsNotFound) {
  auto store = memory_store();

  auto done = store->complete_send(42, sent("SM1", 1));

  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, Errc::kNotFound);
}

TEST(Store, RecordAttemptBumpsAttemptsAndKeepsAnEvent) {
  auto store = memory_store();
  auto const id = admit_one(*store, queued(sms(1, 1000), kDay, "C1"));

  ASSERT_TRUE(store->record_attempt(id, 1, at_ms(1100)));
  ASSERT_TRUE(store->record_attempt(id, 2, at_ms(1200)));

  auto pending = store->pending_outbox();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].attempts, 2);
  auto message = store->find_message(id);
  ASSERT_TRUE(message && message->has_value());
  ASSERT_EQ((*message)->history.size(), 3u);
  EXPECT_EQ((*message)->history[2].raw_status, "attempt");
  EXPECT_EQ((*message)->history[2].detail, "attempt 2");
  EXPECT_EQ((*message)->history[2].status, Status::kQueued);
  EXPECT_EQ((*message)->updated_at, at_ms(1200));
}

TEST(Store, RecordAttemptOutsideTheOutboxIsNotFound) {
  auto store = memory_store();
  auto const id = sent_message(*store, "SM1");

  auto status = store->record_attempt(id, 3, at_ms(3000));

  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::kNotFound);
}

TEST(Store, RecordAttemptsInOneCallSkipsMessagesOutsideTheOutbox) {
  auto store = memory_store();
  auto const ids =
      admit_all(*store, {queued(sms(1, 1000), kDay, "C1"), queued(sms(2, 1001), kDay, "C2")});
  auto const done = sent_message(*store, "SM9");

  std::vector<AttemptStart> const attempts = {
      {.message_id = ids[0], .at = at_ms(1100)},
      {.message_id = done, .at = at_ms(1100)},
      {.message_id = 777, .at = at_ms(1100)},
      {.message_id = ids[1], .attempt = 2, .at = at_ms(1100)}};
  auto skipped = store->record_attempts(attempts);

  ASSERT_TRUE(skipped) << skipped.error().to_string();
  EXPECT_THAT(*skipped, ElementsAre(done, 777));
  auto pending = store->pending_outbox();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].attempts, 1);
  EXPECT_EQ((*pending)[1].attempts, 2);
  EXPECT_THAT(raw_history(*store, ids[1]), ElementsAre("admitted", "attempt"));
  EXPECT_THAT(raw_history(*store, done), ElementsAre("admitted", "provider:queued"));
}

TEST(Store, CompleteSendsInOneCallSkipsUnknownMessagesAndAppliesParkedCallbacks) {
  auto store = memory_store();
  auto const ids =
      admit_all(*store, {queued(sms(1, 1000), kDay, "C1"), queued(sms(2, 1001), kDay, "C2")});
  ASSERT_TRUE(store->apply_status(callback("SM2", "delivered", 1500)));

  std::vector<Completion> const completions = {{.message_id = ids[0], .send = sent("SM1", 2000)},
                                               {.message_id = 404, .send = sent("SM404", 2000)},
                                               {.message_id = ids[1], .send = sent("SM2", 2000)}};
  auto skipped = store->complete_sends(completions);

  ASSERT_TRUE(skipped) << skipped.error().to_string();
  EXPECT_THAT(*skipped, ElementsAre(404));
  auto pending = store->pending_outbox();
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
  auto first = store->find_message(ids[0]);
  ASSERT_TRUE(first && first->has_value());
  EXPECT_EQ((*first)->status, Status::kSent);
  auto second = store->find_message(ids[1]);
  ASSERT_TRUE(second && second->has_value());
  EXPECT_EQ((*second)->status, Status::kDelivered);
  auto parked = store->parked_count();
  ASSERT_TRUE(parked);
  EXPECT_EQ(*parked, 0);
}

TEST(Store, CompleteSendsRefusesAnEndOtherThanSentOrFailedAndWritesNothing) {
  auto store = memory_store();
  auto const id = admit_one(*store, queued(sms(1, 1000), kDay, "C1"));
  auto delivered = sent("SM1", 2000);
  delivered.status = Status::kDelivered;

  auto result = store->complete_sends(std::vector<Completion>{
      {.message_id = id, .send = sent("SM1", 2000)}, {.message_id = id, .send = delivered}});

  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kInvalidArgument);
  EXPECT_THAT(raw_history(*store, id), ElementsAre("admitted"));
}

TEST(Store, CompletedProfileSendMovesLastContactedInTheSameTransaction) {
  auto store = memory_store();
  domain::Candidate c{.id = 1, .candidate_number = "C1", .first_name = "Ada"};
  ASSERT_TRUE(store->upsert_candidates(std::span(&c, 1)));
  auto const ids =
      admit_all(*store, {queued(sms(1, 1000), kDay, "C1"), queued(sms(1, 1001), kDay, "C1")});

  auto profile = sent("SM1", 3000);
  profile.last_contacted = 1;
  ASSERT_TRUE(store->complete_send(ids[0], profile));
  auto found = store->find_candidate(1);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->last_contacted, at_ms(3000));

  // A completion without a candidate leaves Last Contacted where it was.
  ASSERT_TRUE(store->complete_send(ids[1], sent("SM2", 4000)));
  found = store->find_candidate(1);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->last_contacted, at_ms(3000));
}

TEST(Store, ASecondOwnerIsRefusedUntilTheFirstCloses) {
  TempDir dir;
  auto const path = dir.file("owned.db");
  auto first = test_support::open_or_fail(path);
  ASSERT_TRUE(first);

  auto second = Store::open(path);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::kFailedPrecondition);
  EXPECT_THAT(second.error().message, HasSubstr("in use by another process"));
  EXPECT_THAT(second.error().message, HasSubstr(std::to_string(::getpid())));

  // A reader may open it alongside, and sees what the owner wrote.
  auto const id = admit_one(*first, queued(sms(1, 1000), kDay, "C1"));
  auto reader = test_support::open_or_fail(path, {.owner = false});
  ASSERT_TRUE(reader);
  auto found = reader->find_message(id);
  ASSERT_TRUE(found && found->has_value());

  first.reset();
  EXPECT_TRUE(test_support::open_or_fail(path));
}

TEST(Store, AKilledOwnerLeavesTheStoreFree) {
  TempDir dir;
  auto const path = dir.file("killed.db");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t const child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = Store::open(path);
    char const byte = store ? 'y' : 'n';
    (void)::write(ready[1], &byte, 1);
    ::pause();
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, 'y');
  EXPECT_FALSE(Store::open(path)) << "the child owns it";

  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_TRUE(test_support::open_or_fail(path));
}

TEST(Store, PendingOutboxSurvivesReopen) {
  TempDir dir;
  auto const path = dir.file("outbox.db");
  domain::MessageId id = 0;
  {
    auto store = test_support::open_or_fail(path);
    ASSERT_TRUE(store);
    id = admit_one(*store, queued(sms(1, 1000), kDay, "C1"));
    ASSERT_TRUE(store->record_attempt(id, 1, at_ms(1100)));
  }

  auto store = test_support::open_or_fail(path);
  ASSERT_TRUE(store);
  auto pending = store->pending_outbox();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].message_id, id);
  EXPECT_EQ((*pending)[0].attempts, 1);
  EXPECT_EQ((*pending)[0].message.body, "Hello");
}

// Status callbacks --------------------------------------------------------------

TEST(Store, ApplyStatusMovesForwardAndNeverBack) {
  auto store = memory_store();
  auto const id = sent_message(*store, "SM1");

  auto delivered = store->apply_status(callback("SM1", "delivered", 3000));
  auto late_sent = store->apply_status(callback("SM1", "sent", 2500));

  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->kind, ApplyOutcome::Kind::kApplied);
  EXPECT_EQ(delivered->message_id, id);
  EXPECT_EQ(delivered->before, Status::kSent);
  EXPECT_EQ(delivered->after, Status::kDelivered);
  ASSERT_TRUE(late_sent);
  EXPECT_EQ(late_sent->kind, ApplyOutcome::Kind::kApplied);
  EXPECT_EQ(late_sent->after, Status::kDelivered);
  auto message = store->find_message(id);
  ASSERT_TRUE(message && message->has_value());
  EXPECT_EQ((*message)->status, Status::kDelivered);
  EXPECT_EQ((*message)->updated_at, at_ms(3000));
  EXPECT_THAT(raw_history(*store, id),
              ElementsAre("admitted", "provider:queued", "callback:delivered", "callback:sent"));
}

TEST(Store, ApplyStatusIgnoresDuplicates) {
  auto store = memory_store();
  auto const id = sent_message(*store, "SM1");

  auto first = store->apply_status(callback("SM1", "sent", 3000));
  auto again = store->apply_status(callback("SM1", "sent", 3001));

  ASSERT_TRUE(first && again);
  EXPECT_EQ(first->kind, ApplyOutcome::Kind::kApplied);
  EXPECT_EQ(again->kind, ApplyOutcome::Kind::kDuplicate);
  EXPECT_EQ(again->message_id, id);
  EXPECT_EQ(raw_history(*store, id).size(), 3u);
}

TEST(Store, SameStatusWithAnotherErrorCodeIsNotADuplicate) {
  auto store = memory_store();
  auto const id = sent_message(*store, "SM1");

  auto first = store->apply_status(callback("SM1", "undelivered", 3000, "30003"));
  auto other = store->apply_status(callback("SM1", "undelivered", 3001, "30005"));

  ASSERT_TRUE(first && other);
  EXPECT_EQ(other->kind, ApplyOutcome::Kind::kApplied);
  auto message = store->find_message(id);
  ASSERT_TRUE(message && message->has_value());
  EXPECT_EQ((*message)->status, Status::kFailed);
  // The first failure's code stays: the status did not move again.
  EXPECT_EQ((*message)->error_code, "30003");
  EXPECT_EQ((*message)->history.back().error_code, "30005");
}

TEST(Store, OutOfOrderFailureAfterDeliveryChangesNothingShown) {
  auto store = memory_store();
  auto const id = sent_message(*store, "SM1");

  ASSERT_TRUE(store->apply_status(callback("SM1", "delivered", 3000)));
  auto failed = store->apply_status(callback("SM1", "failed", 2900, "30008"));

  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->after, Status::kDelivered);
  auto message = store->find_message(id);
  ASSERT_TRUE(message && message->has_value());
  EXPECT_EQ((*message)->status, Status::kDelivered);
  EXPECT_EQ((*message)->error_code, "");
  EXPECT_EQ((*message)->history.back().raw_status, "callback:failed");
  EXPECT_EQ((*message)->history.back().status, Status::kDelivered);
}

TEST(Store, UnknownRawStatusIsKeptInHistory) {
  auto store = memory_store();
  auto const id = sent_message(*store, "SM1");

  auto outcome = store->apply_status(callback("SM1", "partially_delivered", 3000));

  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->kind, ApplyOutcome::Kind::kApplied);
  EXPECT_EQ(outcome->after, Status::kSent);
  EXPECT_EQ(raw_history(*store, id).back(), "callback:partially_delivered");
}

TEST(Store, FailureSetsErrorCodeOnTheMessage) {
  auto store = memory_store();
  auto const id = sent_message(*store, "SM1");

  auto update = callback("SM1", "undelivered", 3000, "30003");
  update.detail = "Unreachable destination handset";
  ASSERT_TRUE(store->apply_status(update));

  auto message = store->find_message(id);
  ASSERT_TRUE(message && message->has_value());
  EXPECT_EQ((*message)->status, Status::kFailed);
  EXPECT_EQ((*message)->error_code, "30003");
  EXPECT_EQ((*message)->error_message, "Unreachable destination handset");
}

TEST(Store, CallbackBeforeItsMessageIsParkedThenAppliedInArrivalOrder) {
  auto store = memory_store();
  auto const id = admit_one(*store, queued(sms(1, 1000), kDay, "C1"));

  auto early_sent = store->apply_status(callback("SM9", "sent", 1500));
  auto early_delivered = store->apply_status(callback("SM9", "delivered", 1600));
  auto twice = store->apply_status(callback("SM9", "delivered", 1601));
  auto other = store->apply_status(callback("SM-other", "delivered", 1700));

  ASSERT_TRUE(early_sent && early_delivered && twice && other);
  EXPECT_EQ(early_sent->kind, ApplyOutcome::Kind::kParked);
  EXPECT_FALSE(early_sent->message_id.has_value());
  EXPECT_EQ(*store->parked_count(), 4);

  auto applied = store->complete_send(id, sent("SM9", 1400));

  ASSERT_TRUE(applied) << applied.error().to_string();
  ASSERT_EQ(applied->size(), 3u);
  EXPECT_EQ((*applied)[0].kind, ApplyOutcome::Kind::kApplied);
  EXPECT_EQ((*applied)[0].after, Status::kSent);
  EXPECT_EQ((*applied)[1].kind, ApplyOutcome::Kind::kApplied);
  EXPECT_EQ((*applied)[1].after, Status::kDelivered);
  EXPECT_EQ((*applied)[2].kind, ApplyOutcome::Kind::kDuplicate);
  EXPECT_EQ(*store->parked_count(), 1);
  auto message = store->find_message(id);
  ASSERT_TRUE(message && message->has_value());
  EXPECT_EQ((*message)->status, Status::kDelivered);
  EXPECT_THAT(raw_history(*store, id),
              ElementsAre("admitted", "provider:queued", "callback:sent", "callback:delivered"));
}

TEST(Store, StatusNamingOurOwnIdReachesAMessageWhoseProviderIdWasLost) {
  auto store = memory_store();
  auto const id = admit_one(*store, queued(sms(1, 1000), kDay, "C1"));
  auto update = callback("REQ-lost", "delivered", 2000);
  update.message_id = id;

  auto outcome = store->apply_status(update);
  auto stranger = callback("REQ-other", "delivered", 2000);
  stranger.message_id = id + 100;
  auto parked = store->apply_status(stranger);

  ASSERT_TRUE(outcome && parked);
  EXPECT_EQ(outcome->kind, ApplyOutcome::Kind::kApplied);
  EXPECT_EQ(outcome->message_id, id);
  EXPECT_EQ(outcome->after, Status::kDelivered);
  EXPECT_EQ(parked->kind, ApplyOutcome::Kind::kParked);
}

TEST(Store, ApplyStatusesBatchesInOneCall) {
  auto store = memory_store();
  auto const a = sent_message(*store, "SMa");
  auto const b = sent_message(*store, "SMb");
  std::vector<domain::StatusUpdate> updates{
      callback("SMa", "delivered", 3000), callback("SMb", "failed", 3000, "30005"),
      callback("SMa", "delivered", 3001), callback("SMc", "sent", 3002)};

  auto outcomes = store->apply_statuses(updates);

  ASSERT_TRUE(outcomes);
  ASSERT_EQ(outcomes->size(), 4u);
  EXPECT_EQ((*outcomes)[0].message_id, a);
  EXPECT_EQ((*outcomes)[1].message_id, b);
  EXPECT_EQ((*outcomes)[1].after, Status::kFailed);
  EXPECT_EQ((*outcomes)[2].kind, ApplyOutcome::Kind::kDuplicate);
  EXPECT_EQ((*outcomes)[3].kind, ApplyOutcome::Kind::kParked);
}

TEST(Store, StatusWithoutProviderIdIsRefused) {
  auto store = memory_store();

  auto outcome = store->apply_status(callback("", "delivered", 1));

  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, Errc::kInvalidArgument);
}

TEST(Store, FindByProviderId) {
  auto store = memory_store();
  auto const id = sent_message(*store, "SM1");

  auto found = store->find_by_provider_id("twilio", "SM1");
  auto other_provider = store->find_by_provider_id("syniverse", "SM1");

  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->id, id);
  ASSERT_TRUE(other_provider);
  EXPECT_FALSE(other_provider->has_value());
}

// Inbound -------------------------------------------------------------------------

domain::Message inbound(std::optional<domain::CandidateId> candidate, std::string provider_id) {
  domain::Message m;
  m.candidate_id = candidate;
  m.direction = domain::Direction::kInbound;
  m.body = "STOP";
  m.from = "+14155550100";
  m.to = "MG0001";
  m.provider = "twilio";
  m.provider_message_id = std::move(provider_id);
  m.created_at = at_ms(9000);
  m.updated_at = at_ms(9000);
  return m;
}

TEST(Store, InboundIsRecordedOncePerProviderIdAndCandidate) {
  auto store = memory_store();

  auto first = store->record_inbound(inbound(1, "SMin"));
  auto repeat = store->record_inbound(inbound(1, "SMin"));
  auto shared_phone = store->record_inbound(inbound(2, "SMin"));

  ASSERT_TRUE(first && repeat && shared_phone);
  EXPECT_FALSE(first->repeat);
  EXPECT_EQ(first->id, repeat->id);
  EXPECT_TRUE(repeat->repeat);
  EXPECT_NE(first->id, shared_phone->id);
  EXPECT_FALSE(shared_phone->repeat);
  auto message = store->find_message(first->id);
  ASSERT_TRUE(message && message->has_value());
  EXPECT_EQ((*message)->status, Status::kReceived);
  EXPECT_EQ((*message)->direction, domain::Direction::kInbound);
  ASSERT_EQ((*message)->history.size(), 1u);
  EXPECT_EQ((*message)->history[0].raw_status, "received");
}

TEST(Store, UnmatchedInboundIsKeptAndDeduped) {
  auto store = memory_store();

  auto first = store->record_inbound(inbound(std::nullopt, "SMx"));
  auto repeat = store->record_inbound(inbound(std::nullopt, "SMx"));

  ASSERT_TRUE(first && repeat);
  EXPECT_EQ(first->id, repeat->id);
  EXPECT_TRUE(repeat->repeat);
  auto message = store->find_message(first->id);
  ASSERT_TRUE(message && message->has_value());
  EXPECT_FALSE((*message)->candidate_id.has_value());
}

TEST(Store, InboundDoesNotTakeCallbacksMeantForOutbound) {
  auto store = memory_store();
  ASSERT_TRUE(store->record_inbound(inbound(1, "SMshared")));

  auto outcome = store->apply_status(callback("SMshared", "delivered", 1));

  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->kind, ApplyOutcome::Kind::kParked);
}

// Pages ---------------------------------------------------------------------------

std::vector<domain::MessageId> ids_of(Page const& page) {
  std::vector<domain::MessageId> ids;
  for (auto const& m : page.items) {
    ids.push_back(m.id);
  }
  return ids;
}

TEST(Store, MessagesTabPagesNewestFirstStableAcrossNewerInserts) {
  auto store = memory_store();
  std::vector<NewMessage> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back(queued(sms(1, 1000 + i * 10), kDay, "C1"));
  }
  // Two messages with the same creation time: the id breaks the tie.
  batch.push_back(queued(sms(1, 1020), kDay, "C1"));
  batch.push_back(queued(sms(2, 1030), kDay, "C2"));
  auto const ids = admit_all(*store, batch);

  auto first = store->messages_tab(1, "", 2);
  ASSERT_TRUE(first);
  EXPECT_EQ(ids_of(*first), (std::vector{ids[4], ids[3]}));
  ASSERT_FALSE(first->next_cursor.empty());

  // A newer message arrives while the recruiter pages.
  admit_one(*store, queued(sms(1, 99999), kDay, "C1"));

  auto second = store->messages_tab(1, first->next_cursor, 2);
  ASSERT_TRUE(second);
  EXPECT_EQ(ids_of(*second), (std::vector{ids[5], ids[2]}));
  auto repeat = store->messages_tab(1, first->next_cursor, 2);
  ASSERT_TRUE(repeat);
  EXPECT_EQ(ids_of(*repeat), ids_of(*second));
  EXPECT_EQ(repeat->next_cursor, second->next_cursor);

  auto third = store->messages_tab(1, second->next_cursor, 2);
  ASSERT_TRUE(third);
  EXPECT_EQ(ids_of(*third), (std::vector{ids[1], ids[0]}));
  EXPECT_TRUE(third->next_cursor.empty());
  ASSERT_EQ(third->items[0].history.size(), 1u);
}

TEST(Store, MessagesTabHoldsBothDirectionsTextMessagesOnlySms) {
  auto store = memory_store();
  auto email = sms(1, 1000);
  email.channel = domain::Channel::kEmail;
  auto const email_id = admit_one(*store, NewMessage{.message = email});
  auto const sms_id = admit_one(*store, queued(sms(1, 2000), kDay, "C1"));
  auto reply = inbound(1, "SMr");
  reply.created_at = at_ms(3000);
  auto const recorded = store->record_inbound(reply);
  ASSERT_TRUE(recorded);
  auto const reply_id = recorded->id;

  auto tab = store->messages_tab(1, "", 10);
  auto texts = store->text_messages(1, "", 10);

  ASSERT_TRUE(tab && texts);
  EXPECT_EQ(ids_of(*tab), (std::vector{reply_id, sms_id, email_id}));
  EXPECT_EQ(ids_of(*texts), (std::vector{reply_id, sms_id}));
  EXPECT_TRUE(texts->next_cursor.empty());
}

TEST(Store, BadCursorIsInvalidArgument) {
  auto store = memory_store();
  admit_all(*store, {queued(sms(1, 1000), kDay, "C1"), queued(sms(1, 1001), kDay, "C1")});
  auto first = store->messages_tab(1, "", 1);
  ASSERT_TRUE(first);
  auto damaged = first->next_cursor;
  damaged[damaged.size() - 1] = damaged.back() == '0' ? '1' : '0';

  for (std::string_view const cursor : {"zz", "abc", "3a3a", "41414141"}) {
    auto page = store->messages_tab(1, cursor, 10);
    ASSERT_FALSE(page) << cursor;
    EXPECT_EQ(page.error().code, Errc::kInvalidArgument);
    EXPECT_THAT(page.error().message, HasSubstr("cursor"));
  }
  // A cursor whose digits changed still decodes: it is a position, not a secret.
  EXPECT_TRUE(store->messages_tab(1, damaged, 10));
  auto zero = store->messages_tab(1, "", 0);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::kInvalidArgument);
}

// Pins the Limitation at encode_cursor: a cursor is an unsigned position. One
// written by hand pages from where it points, and still only through the
// messages of the candidate asked for.
TEST(Store, LimitationHandMadeCursorPagesFromWhereItPoints) {
  auto store = memory_store();
  auto const ids =
      admit_all(*store, {queued(sms(1, 1000), kDay, "C1"), queued(sms(2, 1500), kDay, "C2"),
                         queued(sms(1, 2000), kDay, "C1"), queued(sms(1, 3000), kDay, "C1")});
  auto const hex = [](std::string const& plain) {
    std::string out;
    for (unsigned char c : plain) {
      out += fmt::format("{:02x}", c);
    }
    return out;
  };

  auto const to_middle = hex(fmt::format("1:{}:{}", 2000, ids[2]));
  auto const from_middle = store->messages_tab(1, to_middle, 10);
  auto const from_other = store->messages_tab(1, hex(fmt::format("1:{}:{}", 1500, ids[1])), 10);

  ASSERT_TRUE(from_middle && from_other);
  EXPECT_EQ(ids_of(*from_middle), (std::vector{ids[0]}));
  EXPECT_EQ(ids_of(*from_other), (std::vector{ids[0]}));
}

// Candidates ----------------------------------------------------------------------

TEST(Store, OptOutAppliesToEveryCandidateSharingThePhone) {
  auto store = memory_store();
  std::vector<domain::Candidate> candidates{
      {.id = 1, .candidate_number = "C1", .phone = "+14155550100"},
      {.id = 2, .candidate_number = "C2", .phone = "+14155550100"},
      {.id = 3, .candidate_number = "C3", .phone = "+14155550199"}};
  ASSERT_TRUE(store->upsert_candidates(candidates));

  auto changed = store->set_opt_out("+14155550100", true);

  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 2);
  auto sharing = store->candidates_by_phone("+14155550100");
  ASSERT_TRUE(sharing);
  ASSERT_EQ(sharing->size(), 2u);
  EXPECT_TRUE((*sharing)[0].sms_opt_out);
  EXPECT_TRUE((*sharing)[1].sms_opt_out);
  auto other = store->find_candidate(3);
  ASSERT_TRUE(other && other->has_value());
  EXPECT_FALSE((*other)->sms_opt_out);

  ASSERT_TRUE(store->set_opt_out("+14155550100", false));
  auto back = store->find_candidate(2);
  ASSERT_TRUE(back && back->has_value());
  EXPECT_FALSE((*back)->sms_opt_out);
}

TEST(Store, TouchLastContactedKeepsTheLaterTime) {
  auto store = memory_store();
  domain::Candidate c{.id = 5, .candidate_number = "C5", .first_name = "Ada"};
  ASSERT_TRUE(store->upsert_candidates(std::span(&c, 1)));

  ASSERT_TRUE(store->touch_last_contacted(5, at_ms(2000)));
  ASSERT_TRUE(store->touch_last_contacted(5, at_ms(1000)));

  auto found = store->find_candidate(5);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->last_contacted, at_ms(2000));
  EXPECT_EQ((*found)->first_name, "Ada");
  auto missing = store->touch_last_contacted(6, at_ms(1));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

TEST(Store, UpsertReplacesByIdAndUnknownIdIsEmpty) {
  auto store = memory_store();
  domain::Candidate c{.id = 1, .candidate_number = "C1", .email = "a@example.com"};
  ASSERT_TRUE(store->upsert_candidates(std::span(&c, 1)));
  c.email = "b@example.com";
  ASSERT_TRUE(store->upsert_candidates(std::span(&c, 1)));

  auto found = store->find_candidate(1);
  auto missing = store->find_candidate(2);

  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->email, "b@example.com");
  EXPECT_FALSE((*found)->last_contacted.has_value());
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST(Store, UpsertKeepsAnOptOutAndTheLaterLastContacted) {
  auto store = memory_store();
  domain::Candidate c{.id = 1, .candidate_number = "C1", .phone = "+14155550101"};
  ASSERT_TRUE(store->upsert_candidates(std::span(&c, 1)));
  ASSERT_TRUE(store->set_opt_out("+14155550101", true));
  ASSERT_TRUE(store->touch_last_contacted(1, at_ms(5000)));

  // A later import that knows nothing of the STOP or of the last message.
  c.first_name = "Ada";
  c.last_contacted = at_ms(1000);
  ASSERT_TRUE(store->upsert_candidates(std::span(&c, 1)));

  auto found = store->find_candidate(1);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->first_name, "Ada");
  EXPECT_TRUE((*found)->sms_opt_out);
  EXPECT_EQ((*found)->last_contacted, at_ms(5000));

  // An import may add an opt-out and a later Last Contacted.
  domain::Candidate other{.id = 2, .candidate_number = "C2", .phone = "+14155550102"};
  ASSERT_TRUE(store->upsert_candidates(std::span(&other, 1)));
  other.sms_opt_out = true;
  other.last_contacted = at_ms(7000);
  ASSERT_TRUE(store->upsert_candidates(std::span(&other, 1)));
  found = store->find_candidate(2);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_TRUE((*found)->sms_opt_out);
  EXPECT_EQ((*found)->last_contacted, at_ms(7000));
}

// Counts ----------------------------------------------------------------------------

TEST(Store, CountsByStatusAndBlockReason) {
  auto store = memory_store();
  admit_all(*store, {queued(sms(1, 1), kDay, "C1"), blocked(sms(2, 2), BlockReason::kOptedOut),
                     blocked(sms(3, 3), BlockReason::kOptedOut),
                     blocked(sms(4, 4), BlockReason::kPatternBlocked)});
  sent_message(*store, "SM1");

  auto by_status = store->count_by_status();
  auto by_reason = store->count_by_block_reason();

  ASSERT_TRUE(by_status && by_reason);
  EXPECT_EQ(*by_status, (std::map<Status, std::int64_t>{
                            {Status::kQueued, 1}, {Status::kSent, 1}, {Status::kBlocked, 3}}));
  EXPECT_EQ(*by_reason, (std::map<BlockReason, std::int64_t>{{BlockReason::kOptedOut, 2},
                                                             {BlockReason::kPatternBlocked, 1}}));
}

TEST(Store, AllMessagesCarryTheirHistoryInIdOrder) {
  auto store = memory_store();
  auto const a = sent_message(*store, "SMa");
  auto const b = admit_one(*store, blocked(sms(2, 5), BlockReason::kInvalidNumber));
  ASSERT_TRUE(store->apply_status(callback("SMa", "delivered", 4000)));

  auto all = store->all_messages();

  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, a);
  EXPECT_EQ((*all)[0].history.size(), 3u);
  EXPECT_EQ((*all)[1].id, b);
  ASSERT_EQ((*all)[1].history.size(), 1u);
  EXPECT_EQ((*all)[1].history[0].detail, "invalid_number");
}

}  // namespace
}  // namespace candor::store
