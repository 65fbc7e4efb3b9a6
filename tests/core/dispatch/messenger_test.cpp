#include "core/dispatch/messenger.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock/manual_clock.hpp"
#include "core/policy/send_policy.hpp"
#include "core/providers/provider.hpp"
#include "core/store/store.hpp"

namespace candor::dispatch {
namespace {

using domain::BlockReason;
using domain::Channel;
using domain::ContextKind;
using domain::Status;
using namespace std::chrono_literals;

clock::TimePoint at(int hour) {
  return clock::TimePoint(std::chrono::sys_days{std::chrono::year{2026} / 3 / 2}) +
         std::chrono::hours(hour);
}

/// A provider whose answers the test decides: synchronously from a script, or
/// later by answer_next().
class ScriptedProvider final : public providers::Provider {
 public:
  using Script = std::function<providers::SendOutcome(providers::OutboundMessage const&)>;

  ScriptedProvider(Channel channel, bool callbacks) : channel_(channel), callbacks_(callbacks) {}

  void answer_with(Script script) { script_ = std::move(script); }
  void defer() { script_ = nullptr; }

  /// Answers the oldest deferred send; false when none is waiting.
  bool answer_next(providers::SendOutcome outcome) {
    providers::SendCallback done;
    {
      std::lock_guard lock(mutex_);
      if (deferred_.empty()) {
        return false;
      }
      done = std::move(deferred_.front());
      deferred_.pop_front();
    }
    done(std::move(outcome));
    return true;
  }

  /// Waits until a deferred send waits for its answer (real time).
  [[nodiscard]] bool wait_for_deferred(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return deferred_added_.wait_for(lock, timeout, [this] { return !deferred_.empty(); });
  }

  /// The most deferred sends that ever waited at once.
  std::size_t most_deferred() const {
    std::lock_guard lock(mutex_);
    return most_deferred_;
  }

  std::vector<providers::OutboundMessage> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }

  // providers::Provider
  std::string const& name() const override { return name_; }
  domain::ProviderKind kind() const override { return domain::ProviderKind::kTwilio; }
  Channel channel() const override { return channel_; }
  bool has_delivery_callbacks() const override { return callbacks_; }
  void send(providers::OutboundMessage message, providers::SendCallback done) override {
    Script script;
    {
      std::lock_guard lock(mutex_);
      sent_.push_back(message);
      script = script_;
      if (!script) {
        deferred_.push_back(std::move(done));
        most_deferred_ = std::max(most_deferred_, deferred_.size());
        deferred_added_.notify_all();
        return;
      }
    }
    done(script(message));
  }

 private:
  std::string name_ = "twilio";
  Channel channel_;
  bool callbacks_;
  mutable std::mutex mutex_;
  Script script_;
  std::vector<providers::OutboundMessage> sent_;
  std::deque<providers::SendCallback> deferred_;
  std::condition_variable deferred_added_;
  std::size_t most_deferred_ = 0;
};

providers::SendOutcome accepted(std::string id) {
  return {.kind = providers::OutcomeKind::kAccepted,
          .provider_message_id = std::move(id),
          .raw_status = "accepted",
          .http_status = 201};
}

providers::SendOutcome transient() {
  return {.kind = providers::OutcomeKind::kTransient,
          .error_message = "503 Service Unavailable",
          .http_status = 503};
}

domain::Candidate candidate(domain::CandidateId id, std::string phone, std::string first = "Ann") {
  domain::Candidate c;
  c.id = id;
  c.candidate_number = "CAND-" + std::to_string(id);
  c.first_name = std::move(first);
  c.last_name = "Lee";
  c.email = "c" + std::to_string(id) + "@example.com";
  c.phone = std::move(phone);
  return c;
}

class MessengerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Store::open(":memory:");
    ASSERT_TRUE(opened) << opened.error().to_string();
    store_ = std::move(*opened);
    config_.allowed_countries = {"US", "GB"};
    config_.blocked_numbers = {"+12025550999"};
    config_.blocked_patterns = {"1800.*"};
    auto created = policy::SendPolicy::create(config_);
    ASSERT_TRUE(created) << created.error().to_string();
    policy_ = std::move(*created);
    sms_.answer_with([](auto const& m) { return accepted("SM" + std::to_string(m.message_id)); });
    email_.answer_with(
        [](auto const& m) { return accepted("mail-" + std::to_string(m.message_id)); });
  }

  void make_messenger(MessengerOptions options = {}) {
    options.tracker = &tracker_;
    messenger_ = std::make_unique<Messenger>(*store_, *policy_, clock_,
                                             Providers{.sms = &sms_, .email = &email_}, options);
    ASSERT_TRUE(messenger_->start());
  }

  void add(std::vector<domain::Candidate> const& candidates) {
    ASSERT_TRUE(store_->upsert_candidates(candidates));
  }

  SendRequest sms(std::vector<domain::CandidateId> ids,
                  domain::Context context = {ContextKind::kRequisition, "R-1"}) {
    return {.channel = Channel::kSms,
            .context = std::move(context),
            .body = "Hi {{FirstName}}",
            .candidates = std::move(ids)};
  }

  domain::Message message(domain::MessageId id) {
    auto found = store_->find_message(id);
    EXPECT_TRUE(found && found->has_value());
    return found && found->has_value() ? **found : domain::Message{};
  }

  void settle() { ASSERT_TRUE(tracker_.wait_idle(10s)); }

  clock::WorkTracker tracker_;
  clock::ManualClock clock_{at(9), {.tracker = &tracker_}};
  std::unique_ptr<store::Store> store_;
  policy::PolicyConfig config_;
  std::unique_ptr<policy::SendPolicy> policy_;
  ScriptedProvider sms_{Channel::kSms, true};
  ScriptedProvider email_{Channel::kEmail, false};
  std::unique_ptr<Messenger> messenger_;
};

TEST_F(MessengerTest, BulkSendGivesEachCandidateAnOutcome) {
  add({candidate(1, "+14155550101"), candidate(2, "+12025550999"), candidate(3, "+18005550100"),
       candidate(4, "not a number"), candidate(5, "+33612345678")});
  make_messenger();

  auto result = messenger_->send_message(sms({1, 2, 3, 4, 5}));
  ASSERT_TRUE(result) << result.error().to_string();
  settle();

  ASSERT_EQ(result->outcomes.size(), 5U);
  EXPECT_EQ(result->outcomes[0].reason, BlockReason::kNone);
  EXPECT_EQ(result->outcomes[1].reason, BlockReason::kNumberBlocked);
  EXPECT_EQ(result->outcomes[2].reason, BlockReason::kPatternBlocked);
  EXPECT_EQ(result->outcomes[3].reason, BlockReason::kInvalidNumber);
  EXPECT_EQ(result->outcomes[4].reason, BlockReason::kCountryNotAllowed);
  EXPECT_EQ(result->admitted, 1);
  EXPECT_EQ(result->blocked, 4);

  ASSERT_EQ(sms_.sent().size(), 1U);
  EXPECT_EQ(sms_.sent()[0].to, "+14155550101");
  EXPECT_EQ(sms_.sent()[0].body, "Hi Ann");
  EXPECT_EQ(message(result->outcomes[0].message_id).status, Status::kSent);
  auto const blocked = message(result->outcomes[1].message_id);
  EXPECT_EQ(blocked.status, Status::kBlocked);
  EXPECT_EQ(blocked.block_reason, BlockReason::kNumberBlocked);
}

TEST_F(MessengerTest, TemplateErrorFailsTheRequestBeforeAnythingIsStored) {
  add({candidate(1, "+14155550101"), candidate(2, "+14155550102", "")});
  make_messenger();

  auto unknown = messenger_->send_message(
      {.channel = Channel::kSms, .body = "Hi {{Name}}", .candidates = {1, 2}});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("Name"), std::string::npos);

  // Candidate 2 has no first name: the whole request fails, candidate 1 included.
  auto missing = messenger_->send_message(sms({1, 2}));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("CAND-2"), std::string::npos);

  settle();
  EXPECT_TRUE(sms_.sent().empty());
  EXPECT_TRUE(store_->all_messages()->empty());
}

TEST_F(MessengerTest, UnknownOrRepeatedCandidateFailsTheRequest) {
  add({candidate(1, "+14155550101")});
  make_messenger();

  auto unknown = messenger_->send_message(sms({1, 42}));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
  EXPECT_NE(unknown.error().message.find("42"), std::string::npos);

  auto repeated = messenger_->send_message(sms({1, 1}));
  ASSERT_FALSE(repeated);
  EXPECT_EQ(repeated.error().code, Errc::kInvalidArgument);
}

TEST_F(MessengerTest, LastContactedMovesOnlyForAcceptedProfileSends) {
  add({candidate(1, "+14155550101"), candidate(2, "+14155550102"), candidate(3, "+12025550999")});
  make_messenger();

  ASSERT_TRUE(messenger_->compose(sms({1}, {ContextKind::kProfile, ""})));
  ASSERT_TRUE(messenger_->compose(sms({2}, {ContextKind::kRequisition, "R-9"})));
  ASSERT_TRUE(messenger_->compose(sms({3}, {ContextKind::kProfile, ""})));  // blocked
  settle();

  EXPECT_EQ((*store_->find_candidate(1))->last_contacted, at(9));
  EXPECT_FALSE((*store_->find_candidate(2))->last_contacted);
  EXPECT_FALSE((*store_->find_candidate(3))->last_contacted);
}

TEST_F(MessengerTest, PoolAndSearchSendsLeaveLastContactedAlone) {
  add({candidate(1, "+14155550101"), candidate(2, "+14155550102")});
  make_messenger();

  ASSERT_TRUE(messenger_->send_message(sms({1}, {ContextKind::kPool, "P-1"})));
  ASSERT_TRUE(messenger_->send_message(sms({2}, {ContextKind::kSearch, ""})));
  settle();

  EXPECT_EQ(messenger_->stats().sent, 2);
  EXPECT_FALSE((*store_->find_candidate(1))->last_contacted);
  EXPECT_FALSE((*store_->find_candidate(2))->last_contacted);
}

TEST_F(MessengerTest, RequisitionAndPoolSendsNameTheirId) {
  add({candidate(1, "+14155550101")});
  make_messenger();

  auto requisition = messenger_->send_message(sms({1}, {ContextKind::kRequisition, ""}));
  auto pool = messenger_->compose(sms({1}, {ContextKind::kPool, ""}));

  ASSERT_FALSE(requisition);
  EXPECT_EQ(requisition.error().code, Errc::kInvalidArgument);
  EXPECT_THAT(requisition.error().message, ::testing::HasSubstr("context.id"));
  ASSERT_FALSE(pool);
  EXPECT_THAT(pool.error().message, ::testing::HasSubstr("pool"));
  auto all = store_->all_messages();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

TEST_F(MessengerTest, RejectedProfileSendLeavesLastContactedAlone) {
  add({candidate(1, "+14155550101")});
  sms_.answer_with([](auto const&) {
    return providers::SendOutcome{.kind = providers::OutcomeKind::kRejected,
                                  .error_code = "21211",
                                  .error_message = "invalid To",
                                  .http_status = 400};
  });
  make_messenger();

  auto outcome = messenger_->compose(sms({1}, {ContextKind::kProfile, ""}));
  ASSERT_TRUE(outcome);
  settle();

  auto const stored = message(outcome->message_id);
  EXPECT_EQ(stored.status, Status::kFailed);
  EXPECT_EQ(stored.error_code, "21211");
  EXPECT_EQ(sms_.sent().size(), 1U) << "a rejection is never retried";
  EXPECT_FALSE((*store_->find_candidate(1))->last_contacted);
}

TEST_F(MessengerTest, TransientFailuresAreRetriedInVirtualTime) {
  add({candidate(1, "+14155550101")});
  std::atomic<int> calls{0};
  sms_.answer_with([&calls](auto const& m) {
    return ++calls < 3 ? transient() : accepted("SM" + std::to_string(m.message_id));
  });
  make_messenger({.initial_backoff = 10s, .max_backoff = 1min});

  auto outcome = messenger_->compose(sms({1}));
  ASSERT_TRUE(outcome);
  settle();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(message(outcome->message_id).status, Status::kQueued);

  ASSERT_TRUE(clock_.advance(2min));
  EXPECT_EQ(calls.load(), 3);
  auto const stored = message(outcome->message_id);
  EXPECT_EQ(stored.status, Status::kSent);
  auto attempts = std::count_if(stored.history.begin(), stored.history.end(),
                                [](auto const& e) { return e.raw_status == "attempt"; });
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(messenger_->stats().retries, 2);
}

TEST_F(MessengerTest, GivesUpAfterMaxAttempts) {
  add({candidate(1, "+14155550101")});
  sms_.answer_with([](auto const&) { return transient(); });
  make_messenger({.max_attempts = 3, .initial_backoff = 1s, .max_backoff = 4s});

  auto outcome = messenger_->compose(sms({1}));
  ASSERT_TRUE(outcome);
  ASSERT_TRUE(clock_.advance(1h));

  EXPECT_EQ(sms_.sent().size(), 3U);
  auto const stored = message(outcome->message_id);
  EXPECT_EQ(stored.status, Status::kFailed);
  EXPECT_NE(stored.error_message.find("gave up after 3 attempts"), std::string::npos);
  EXPECT_FALSE(clock_.next_timer()) << "no retry is left waiting";
}

TEST_F(MessengerTest, BackoffIsTheSameForTheSameSeed) {
  add({candidate(1, "+14155550101")});
  std::vector<clock::TimePoint> times;
  std::mutex mutex;
  sms_.answer_with([&](auto const&) {
    std::lock_guard lock(mutex);
    times.push_back(clock_.now());
    return transient();
  });
  make_messenger({.max_attempts = 4, .seed = 7});
  ASSERT_TRUE(messenger_->compose(sms({1})));
  ASSERT_TRUE(clock_.advance(1h));
  auto const first = times;
  ASSERT_EQ(first.size(), 4U);

  // A second world with the same seed retries at the same virtual offsets.
  times.clear();
  messenger_.reset();
  SetUp();
  add({candidate(1, "+14155550101")});
  sms_.answer_with([&](auto const&) {
    std::lock_guard lock(mutex);
    times.push_back(clock_.now());
    return transient();
  });
  auto const start = clock_.now();
  make_messenger({.max_attempts = 4, .seed = 7});
  ASSERT_TRUE(messenger_->compose(sms({1})));
  ASSERT_TRUE(clock_.advance(1h));
  ASSERT_EQ(times.size(), 4U);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(first[i] - first[0], times[i] - times[0]) << "retry " << i;
  }
  EXPECT_EQ(times[0], start);
}

TEST_F(MessengerTest, CallbacksMoveStatusForwardOnly) {
  add({candidate(1, "+14155550101")});
  make_messenger();
  auto outcome = messenger_->compose(sms({1}));
  ASSERT_TRUE(outcome);
  settle();
  auto const provider_id = "SM" + std::to_string(outcome->message_id);

  auto callback = [&](std::string raw, std::string code = {}) {
    messenger_->on_status({.provider = "twilio",
                           .kind = domain::ProviderKind::kTwilio,
                           .provider_message_id = provider_id,
                           .raw_status = std::move(raw),
                           .error_code = std::move(code),
                           .at = clock_.now()});
    settle();
  };
  callback("delivered");
  callback("sent");       // late, out of order
  callback("delivered");  // duplicate
  callback("undelivered", "30003");

  auto const stored = message(outcome->message_id);
  EXPECT_EQ(stored.status, Status::kDelivered);
  auto delivered = std::count_if(stored.history.begin(), stored.history.end(), [](auto const& e) {
    return e.raw_status == "callback:delivered";
  });
  EXPECT_EQ(delivered, 1) << "the duplicate is not recorded twice";
}

TEST_F(MessengerTest, CallbackBeforeTheProviderAnswerIsAppliedLater) {
  add({candidate(1, "+14155550101")});
  sms_.defer();
  make_messenger();
  auto outcome = messenger_->compose(sms({1}));
  ASSERT_TRUE(outcome);

  messenger_->on_status({.provider = "twilio",
                         .kind = domain::ProviderKind::kTwilio,
                         .provider_message_id = "SMearly",
                         .raw_status = "delivered",
                         .at = clock_.now()});
  ASSERT_TRUE(sms_.answer_next(accepted("SMearly")));
  settle();

  EXPECT_EQ(message(outcome->message_id).status, Status::kDelivered);
  EXPECT_EQ(*store_->parked_count(), 0);
}

TEST_F(MessengerTest, StopAndStartChangeOptOutForEveryOwnerOfTheNumber) {
  add({candidate(1, "+14155550101"), candidate(2, "+14155550101"), candidate(3, "+14155550103")});
  make_messenger();

  messenger_->on_inbound({.provider = "twilio",
                          .provider_message_id = "SMin1",
                          .from = "+14155550101",
                          .to = "+15005550006",
                          .body = "  stop ",
                          .at = clock_.now()});
  settle();
  EXPECT_TRUE((*store_->find_candidate(1))->sms_opt_out);
  EXPECT_TRUE((*store_->find_candidate(2))->sms_opt_out);
  EXPECT_FALSE((*store_->find_candidate(3))->sms_opt_out);

  auto blocked = messenger_->send_message(sms({1, 3}));
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->outcomes[0].reason, BlockReason::kOptedOut);
  EXPECT_EQ(blocked->outcomes[1].reason, BlockReason::kNone);

  messenger_->on_inbound({.provider = "twilio",
                          .provider_message_id = "SMin2",
                          .from = "+14155550101",
                          .body = "START",
                          .at = clock_.now()});
  settle();
  EXPECT_FALSE((*store_->find_candidate(1))->sms_opt_out);
  EXPECT_EQ(messenger_->stats().opt_outs, 1);
  EXPECT_EQ(messenger_->stats().opt_ins, 1);

  // Both inbound messages are in both owners' Messages tabs.
  auto tab = store_->messages_tab(2, "", 10);
  ASSERT_TRUE(tab);
  ASSERT_EQ(tab->items.size(), 2U);
  EXPECT_EQ(tab->items[0].status, Status::kReceived);
}

TEST_F(MessengerTest, StopFindsACandidateWhosePhoneCameInNationalFormat) {
  make_messenger();
  std::vector<domain::Candidate> const imported = {candidate(1, "(415) 555-0101"),
                                                   candidate(2, "+1 415-555-0101"),
                                                   candidate(3, "not a number")};
  ASSERT_TRUE(messenger_->upsert_candidates(imported));
  EXPECT_EQ((*store_->find_candidate(1))->phone, "+14155550101");
  EXPECT_EQ((*store_->find_candidate(2))->phone, "+14155550101");
  EXPECT_EQ((*store_->find_candidate(3))->phone, "not a number");

  messenger_->on_inbound({.provider = "twilio",
                          .provider_message_id = "SMstop",
                          .from = "+14155550101",
                          .body = "STOP",
                          .at = clock_.now()});
  settle();

  EXPECT_TRUE((*store_->find_candidate(1))->sms_opt_out);
  EXPECT_TRUE((*store_->find_candidate(2))->sms_opt_out);
  auto tab = store_->messages_tab(1, "", 10);
  ASSERT_TRUE(tab);
  ASSERT_EQ(tab->items.size(), 1U);
  EXPECT_EQ(tab->items[0].body, "STOP");
  auto result = messenger_->send_message(sms({1, 3}));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcomes[0].reason, BlockReason::kOptedOut);
  EXPECT_EQ(result->outcomes[1].reason, BlockReason::kInvalidNumber);
}

TEST_F(MessengerTest, ARepeatedStopDoesNotUndoALaterStart) {
  add({candidate(1, "+14155550101")});
  make_messenger();
  auto reply = [&](std::string sid, std::string body) {
    messenger_->on_inbound({.provider = "twilio",
                            .provider_message_id = std::move(sid),
                            .from = "+14155550101",
                            .body = std::move(body),
                            .at = clock_.now()});
    settle();
  };

  reply("SMstop", "STOP");
  reply("SMstart", "START");
  reply("SMstop", "STOP");  // the provider delivers the first reply again

  EXPECT_FALSE((*store_->find_candidate(1))->sms_opt_out);
  EXPECT_EQ(messenger_->stats().opt_outs, 1);
  EXPECT_EQ(messenger_->stats().opt_ins, 1);
  auto tab = store_->messages_tab(1, "", 10);
  ASSERT_TRUE(tab);
  EXPECT_EQ(tab->items.size(), 2U);
}

TEST_F(MessengerTest, StartRefusesOptionsThatCouldNeverSend) {
  auto refused = [&](MessengerOptions options) {
    Messenger messenger(*store_, *policy_, clock_, Providers{.sms = &sms_}, std::move(options));
    auto started = messenger.start();
    EXPECT_FALSE(started);
    return started ? std::string() : started.error().message;
  };

  EXPECT_THAT(refused({.max_attempts = 0}), ::testing::HasSubstr("max_attempts"));
  EXPECT_THAT(refused({.initial_backoff = -1s}), ::testing::HasSubstr("initial_backoff"));
  EXPECT_THAT(refused({.initial_backoff = 10s, .max_backoff = 1s}),
              ::testing::HasSubstr("max_backoff"));
  EXPECT_THAT(refused({.max_in_flight = 0}), ::testing::HasSubstr("max_in_flight"));
  EXPECT_THAT(refused({.default_region = "QQ"}), ::testing::HasSubstr("default_region"));
}

TEST_F(MessengerTest, StoppingDrainsCallbacksAlreadyAcknowledged) {
  // Pins the limitation in on_status(): only an orderly stop keeps queued callbacks.
  add({candidate(1, "+14155550101")});
  make_messenger();
  auto outcome = messenger_->compose(sms({1}));
  ASSERT_TRUE(outcome);
  settle();
  for (int i = 0; i < 200; ++i) {
    messenger_->on_status({.provider = "twilio",
                           .kind = domain::ProviderKind::kTwilio,
                           .provider_message_id = "SM" + std::to_string(outcome->message_id),
                           .raw_status = i == 199 ? "delivered" : "sent",
                           .error_code = std::to_string(i),
                           .at = clock_.now()});
  }
  messenger_.reset();

  EXPECT_EQ(message(outcome->message_id).status, Status::kDelivered);
  EXPECT_GE(message(outcome->message_id).history.size(), 200U);
}

TEST_F(MessengerTest, UnmatchedInboundIsKept) {
  make_messenger();
  messenger_->on_inbound({.provider = "twilio",
                          .provider_message_id = "SMx",
                          .from = "+14155550199",
                          .body = "who is this?",
                          .at = clock_.now()});
  settle();
  auto all = store_->all_messages();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1U);
  EXPECT_FALSE((*all)[0].candidate_id);
  EXPECT_EQ((*all)[0].body, "who is this?");
}

TEST_F(MessengerTest, RestartResumesTheOutboxAndIgnoresLateAnswers) {
  add({candidate(1, "+14155550101"), candidate(2, "+14155550102")});
  sms_.defer();
  make_messenger();
  auto result = messenger_->send_message(sms({1, 2}));
  ASSERT_TRUE(result);
  ASSERT_EQ(sms_.sent().size(), 2U);

  // Stop hard with both sends unanswered, then start again on the same store.
  messenger_.reset();
  // Answers that arrive after the stop are ignored: that core is gone.
  EXPECT_TRUE(sms_.answer_next(accepted("SMlate1")));
  EXPECT_TRUE(sms_.answer_next(accepted("SMlate2")));
  sms_.answer_with([](auto const& m) { return accepted("SM" + std::to_string(m.message_id)); });
  make_messenger();
  settle();

  EXPECT_EQ(messenger_->stats().resumed, 2);
  for (auto const& outcome : result->outcomes) {
    auto const stored = message(outcome.message_id);
    EXPECT_EQ(stored.status, Status::kSent);
    EXPECT_EQ(stored.provider_message_id, "SM" + std::to_string(outcome.message_id));
    auto attempts = std::count_if(stored.history.begin(), stored.history.end(),
                                  [](auto const& e) { return e.raw_status == "attempt"; });
    EXPECT_EQ(attempts, 2) << "the resend is on record";
  }
  EXPECT_TRUE(store_->pending_outbox()->empty());
}

TEST_F(MessengerTest, QuotaCountsSurviveARestart) {
  config_.candidate_daily_limit = 1;
  ASSERT_TRUE(policy_->update(config_));
  add({candidate(1, "+14155550101")});
  make_messenger();
  ASSERT_EQ(messenger_->compose(sms({1}))->reason, BlockReason::kNone);
  settle();

  messenger_.reset();
  auto fresh = policy::SendPolicy::create(config_);
  ASSERT_TRUE(fresh);
  policy_ = std::move(*fresh);
  make_messenger();
  EXPECT_EQ(messenger_->compose(sms({1}))->reason, BlockReason::kCandidateDailyLimit);
}

TEST_F(MessengerTest, DailyLimitsRollOverAtMidnightUtc) {
  config_.candidate_daily_limit = 1;
  ASSERT_TRUE(policy_->update(config_));
  add({candidate(1, "+14155550101")});
  make_messenger();

  EXPECT_EQ(messenger_->compose(sms({1}))->reason, BlockReason::kNone);
  EXPECT_EQ(messenger_->compose(sms({1}))->reason, BlockReason::kCandidateDailyLimit);
  ASSERT_TRUE(clock_.advance_to(at(24)));
  EXPECT_EQ(messenger_->compose(sms({1}))->reason, BlockReason::kNone);
}

TEST_F(MessengerTest, ConcurrentBulkSendsNeverExceedTheApplicationLimit) {
  config_.application_daily_limit = 50;
  ASSERT_TRUE(policy_->update(config_));
  std::vector<domain::Candidate> everyone;
  for (int i = 1; i <= 200; ++i) {
    everyone.push_back(candidate(i, "+1415555" + std::to_string(1000 + i)));
  }
  add(everyone);
  make_messenger();

  std::atomic<std::int64_t> admitted{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      std::vector<domain::CandidateId> ids;
      for (int i = 1 + t * 50; i <= 50 + t * 50; ++i) {
        ids.push_back(i);
      }
      auto result = messenger_->send_message(sms(ids));
      ASSERT_TRUE(result);
      admitted += result->admitted;
    });
  }
  for (auto& sender : senders) {
    sender.join();
  }
  settle();

  EXPECT_EQ(admitted.load(), 50);
  auto reasons = store_->count_by_block_reason();
  ASSERT_TRUE(reasons);
  EXPECT_EQ((*reasons)[BlockReason::kApplicationDailyLimit], 150);
}

TEST_F(MessengerTest, EmailGoesThroughTheEmailProvider) {
  auto broken = candidate(2, "+14155550102");
  broken.email = "not-an-address";
  add({candidate(1, "+14155550101"), broken});
  make_messenger();

  auto result = messenger_->send_message({.channel = Channel::kEmail,
                                          .context = {ContextKind::kPool, "P-3"},
                                          .subject = "Hello {{FirstName}}",
                                          .body = "Dear {{FullName}}",
                                          .candidates = {1, 2}});
  ASSERT_TRUE(result) << result.error().to_string();
  settle();

  EXPECT_EQ(result->outcomes[1].reason, BlockReason::kInvalidEmail);
  ASSERT_EQ(email_.sent().size(), 1U);
  EXPECT_EQ(email_.sent()[0].subject, "Hello Ann");
  EXPECT_EQ(email_.sent()[0].body, "Dear Ann Lee");
  EXPECT_TRUE(sms_.sent().empty());
  EXPECT_EQ(message(result->outcomes[0].message_id).status, Status::kSent);
}

TEST_F(MessengerTest, EmailWithoutSubjectIsRefused) {
  add({candidate(1, "+14155550101")});
  make_messenger();
  auto result = messenger_->send_message(
      {.channel = Channel::kEmail, .body = "Dear {{FullName}}", .candidates = {1}});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("subject"), std::string::npos);
}

TEST_F(MessengerTest, ComposeTakesExactlyOneCandidate) {
  add({candidate(1, "+14155550101"), candidate(2, "+14155550102")});
  make_messenger();
  EXPECT_FALSE(messenger_->compose(sms({1, 2})));
  EXPECT_FALSE(messenger_->compose(sms({})));
}

TEST_F(MessengerTest, MessagesTabListsBothChannelsNewestFirst) {
  add({candidate(1, "+14155550101")});
  make_messenger();
  ASSERT_TRUE(messenger_->compose(sms({1})));
  ASSERT_TRUE(clock_.advance(1min));
  ASSERT_TRUE(messenger_->compose(
      {.channel = Channel::kEmail, .subject = "S", .body = "E", .candidates = {1}}));
  ASSERT_TRUE(clock_.advance(1min));
  messenger_->on_inbound({.provider = "twilio",
                          .provider_message_id = "SMin",
                          .from = "+14155550101",
                          .body = "thanks",
                          .at = clock_.now()});
  settle();

  auto tab = store_->messages_tab(1, "", 10);
  ASSERT_TRUE(tab);
  ASSERT_EQ(tab->items.size(), 3U);
  EXPECT_EQ(tab->items[0].body, "thanks");
  EXPECT_EQ(tab->items[1].channel, Channel::kEmail);
  EXPECT_EQ(tab->items[2].body, "Hi Ann");

  auto texts = store_->text_messages(1, "", 10);
  ASSERT_TRUE(texts);
  EXPECT_EQ(texts->items.size(), 2U);
}

TEST_F(MessengerTest, InFlightCapHoldsTheRestBack) {
  std::vector<domain::Candidate> everyone;
  std::vector<domain::CandidateId> ids;
  for (int i = 1; i <= 10; ++i) {
    everyone.push_back(candidate(i, "+1415555" + std::to_string(1000 + i)));
    ids.push_back(i);
  }
  add(everyone);
  sms_.defer();
  make_messenger({.max_in_flight = 3});

  ASSERT_TRUE(messenger_->send_message(sms(ids)));
  EXPECT_EQ(sms_.sent().size(), 3U);
  EXPECT_EQ(messenger_->stats().waiting, 7);
  // Each answer frees a slot once it is stored; the next send then goes out.
  for (int answered = 1; answered <= 10; ++answered) {
    ASSERT_TRUE(sms_.wait_for_deferred()) << "answer " << answered;
    ASSERT_TRUE(sms_.answer_next(accepted("SM" + std::to_string(answered))));
  }
  settle();
  EXPECT_EQ(sms_.sent().size(), 10U);
  EXPECT_EQ(sms_.most_deferred(), 3U);
  EXPECT_EQ(messenger_->stats().sent, 10);
}

}  // namespace
}  // namespace candor::dispatch
