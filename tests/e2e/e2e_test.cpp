// End to end over loopback: the core (store, policy, providers, webhook server,
// Messenger) against the fake providers, on a manual clock. Every test builds its
// own World, drives it through the Messenger and the fakes, and checks what the
// store holds.

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock/manual_clock.hpp"
#include "core/webhooks/webhook_server.hpp"
#include "fakes/http/client.hpp"
#include "fakes/twilio/signature.hpp"
#include "scenarios/world.hpp"

namespace candor::scenarios {
namespace {

using domain::Channel;
using domain::ContextKind;
using domain::Status;
using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------
// Helpers

/// Candidate i (from 1): CAND-00000i, "Ann<i>", +1415555 01<i>, c<i>@example.com.
domain::Candidate person(int i) {
  return domain::Candidate{.id = i,
                           .candidate_number = fmt::format("CAND-{:06}", i),
                           .first_name = fmt::format("Ann{}", i),
                           .last_name = "Lee",
                           .email = fmt::format("c{}@example.com", i),
                           .phone = fmt::format("+14155550{:03}", 100 + i)};
}

std::vector<domain::Candidate> people(int n) {
  std::vector<domain::Candidate> out;
  for (int i = 1; i <= n; ++i) {
    out.push_back(person(i));
  }
  return out;
}

std::vector<domain::CandidateId> ids(int n) {
  std::vector<domain::CandidateId> out;
  for (int i = 1; i <= n; ++i) {
    out.push_back(i);
  }
  return out;
}

std::unique_ptr<World> make_world(WorldOptions options) {
  auto world = World::create(std::move(options));
  EXPECT_TRUE(world.ok()) << (world ? "" : world.error().to_string());
  return world ? std::move(*world) : nullptr;
}

WorldOptions twilio_options(int candidates,
                            std::vector<fakes::twilio::OutcomeWeight> outcomes = {{}}) {
  WorldOptions options{.candidates = people(candidates), .sms = SmsChoice::kTwilio};
  options.fake_twilio.outcomes = std::move(outcomes);
  return options;
}

dispatch::SendRequest sms_to(std::vector<domain::CandidateId> who,
                             ContextKind context = ContextKind::kRequisition) {
  return dispatch::SendRequest{
      .channel = Channel::kSms,
      .context = {context, context == ContextKind::kRequisition ? "R-7" : ""},
      .body = "Hi {{FirstName}}",
      .candidates = std::move(who)};
}

dispatch::SendResult send(World& world, dispatch::SendRequest const& request) {
  auto result = world.messenger().send_message(request);
  EXPECT_TRUE(result.ok()) << (result ? "" : result.error().to_string());
  return result ? *result : dispatch::SendResult{};
}

domain::Message message(World& world, domain::MessageId id) {
  auto found = world.store().find_message(id);
  EXPECT_TRUE(found.ok() && found->has_value()) << "message " << id;
  return found && *found ? **found : domain::Message{};
}

/// The messages `sent` created, in the order of its outcomes.
std::vector<domain::Message> messages_of(World& world, dispatch::SendResult const& sent) {
  std::vector<domain::Message> out;
  for (auto const& outcome : sent.outcomes) {
    out.push_back(message(world, outcome.message_id));
  }
  return out;
}

std::vector<Status> statuses(std::vector<domain::Message> const& messages) {
  std::vector<Status> out;
  for (auto const& m : messages) {
    out.push_back(m.status);
  }
  return out;
}

domain::Candidate candidate(World& world, domain::CandidateId id) {
  auto found = world.store().find_candidate(id);
  EXPECT_TRUE(found.ok() && found->has_value()) << "candidate " << id;
  return found && *found ? **found : domain::Candidate{};
}

/// The first page (up to 10 entries) of a candidate's Messages tab, newest first.
std::vector<domain::Message> tab(World& world, domain::CandidateId id) {
  auto page = world.store().messages_tab(id, "", 10);
  EXPECT_TRUE(page.ok()) << "messages tab of candidate " << id;
  return page ? page->items : std::vector<domain::Message>{};
}

std::vector<std::string> raws(domain::Message const& m) {
  std::vector<std::string> out;
  for (auto const& event : m.history) {
    out.push_back(event.raw_status);
  }
  return out;
}

std::size_t count_raw(domain::Message const& m, std::string const& raw) {
  auto const all = raws(m);
  return static_cast<std::size_t>(std::count(all.begin(), all.end(), raw));
}

/// How many `raw` events the history of `messages` holds in all.
std::size_t count_raw(std::vector<domain::Message> const& messages, std::string const& raw) {
  std::size_t total = 0;
  for (auto const& m : messages) {
    total += count_raw(m, raw);
  }
  return total;
}

std::vector<domain::Message> outbound(World& world) {
  auto all = world.store().all_messages();
  EXPECT_TRUE(all.ok());
  std::vector<domain::Message> out;
  for (auto& m : all ? *all : std::vector<domain::Message>{}) {
    if (m.direction == domain::Direction::kOutbound) {
      out.push_back(std::move(m));
    }
  }
  return out;
}

/// Holds each answer of the wrapped provider back for `delay` of clock time, as a
/// slow provider response would. The Messenger counts a send as pending work
/// until its answer; an answer waiting on the clock hands that unit back while
/// it waits, or a manual clock could never reach the time it waits for.
class SlowAnswers final : public providers::Provider {
 public:
  SlowAnswers(std::unique_ptr<providers::Provider> inner, clock::Clock& clock,
              clock::WorkTracker* tracker, clock::Duration delay)
      : inner_(std::move(inner)), clock_(clock), tracker_(tracker), delay_(delay) {}

  // providers::Provider
  std::string const& name() const override { return inner_->name(); }
  domain::ProviderKind kind() const override { return inner_->kind(); }
  Channel channel() const override { return inner_->channel(); }
  bool has_delivery_callbacks() const override { return inner_->has_delivery_callbacks(); }
  void send(providers::OutboundMessage message, providers::SendCallback done) override {
    // Captures no `this`: a restart destroys the provider while answers are held.
    inner_->send(std::move(message), [clock = &clock_, tracker = tracker_, delay = delay_,
                                      done](providers::SendOutcome outcome) {
      if (tracker != nullptr) {
        tracker->end();
      }
      clock->call_after(delay, [tracker, done, outcome] {
        if (tracker != nullptr) {
          tracker->begin();
        }
        done(outcome);
      });
    });
  }

 private:
  std::unique_ptr<providers::Provider> inner_;
  clock::Clock& clock_;
  clock::WorkTracker* tracker_;
  clock::Duration delay_;
};

ProviderDecorator slow_answers(clock::Duration delay) {
  return [delay](std::unique_ptr<providers::Provider> inner, clock::Clock& clock,
                 clock::WorkTracker* tracker) -> std::unique_ptr<providers::Provider> {
    return std::make_unique<SlowAnswers>(std::move(inner), clock, tracker, delay);
  };
}

WorldOptions syniverse_options(int candidates) {
  return WorldOptions{.candidates = people(candidates), .sms = SmsChoice::kSyniverse};
}

WorldOptions email_options(int candidates) {
  return WorldOptions{.candidates = people(candidates), .sms = SmsChoice::kNone};
}

dispatch::SendRequest email_to(std::vector<domain::CandidateId> who, std::string body,
                               std::string subject = "Your application") {
  return dispatch::SendRequest{.channel = Channel::kEmail,
                               .context = {ContextKind::kRequisition, "R-7"},
                               .subject = std::move(subject),
                               .body = std::move(body),
                               .candidates = std::move(who)};
}

/// A scripted SCG error answer, in the documented body shape.
fakes::http::Fault scg_error(int status, std::string const& code) {
  return fakes::http::Fault::with_status(
      status,
      fmt::format(R"({{"error_code":"SCG_ERROR_{}","error_description":"injected"}})", code));
}

#define ASSERT_OK(expr)                                                                 \
  do {                                                                                  \
    auto const candor_ok_ = (expr);                                                     \
    ASSERT_TRUE(candor_ok_.ok()) << #expr << ": "                                       \
                                 << (candor_ok_ ? "" : candor_ok_.error().to_string()); \
  } while (false)

// ---------------------------------------------------------------------------
// SMS status paths

TEST(EndToEnd, TwilioAcceptedQueuedSentDelivered) {
  auto world = make_world(twilio_options(1));
  ASSERT_TRUE(world);

  auto const sent = send(*world, sms_to({1}));
  ASSERT_EQ(sent.admitted, 1);
  ASSERT_OK(world->settle());
  EXPECT_EQ(message(*world, sent.outcomes[0].message_id).status, Status::kSent);

  ASSERT_OK(world->advance(10s));
  auto const m = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kDelivered);
  EXPECT_EQ(m.provider, "twilio");
  EXPECT_THAT(m.provider_message_id, ::testing::StartsWith("SM"));
  EXPECT_THAT(raws(m), ElementsAre("admitted", "attempt", "provider:accepted", "callback:queued",
                                   "callback:sent", "callback:delivered"));
}

TEST(EndToEnd, TwilioUndeliveredKeepsItsErrorCode) {
  auto world = make_world(
      twilio_options(1, {{.outcome = fakes::twilio::Outcome::kUndelivered, .error_code = 30003}}));
  ASSERT_TRUE(world);

  auto const sent = send(*world, sms_to({1}));
  ASSERT_OK(world->advance(10s));

  auto const m = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kFailed);
  EXPECT_EQ(m.error_code, "30003");
  EXPECT_THAT(raws(m), ElementsAre("admitted", "attempt", "provider:accepted", "callback:queued",
                                   "callback:sent", "callback:undelivered"));
}

TEST(EndToEnd, TwilioFailedWithoutSent) {
  auto world = make_world(
      twilio_options(1, {{.outcome = fakes::twilio::Outcome::kFailed, .error_code = 30007}}));
  ASSERT_TRUE(world);

  auto const sent = send(*world, sms_to({1}));
  ASSERT_OK(world->advance(10s));

  auto const m = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kFailed);
  EXPECT_EQ(m.error_code, "30007");
  EXPECT_THAT(raws(m), Contains("callback:failed"));
  EXPECT_THAT(raws(m), Not(Contains("callback:sent")));
}

TEST(EndToEnd, SyniverseDeliveredFailedExpired) {
  auto world = make_world({.candidates = people(3), .sms = SmsChoice::kSyniverse});
  ASSERT_TRUE(world);
  world->syniverse()->set_outcome(person(2).phone, fakes::syniverse::Outcome::kFailed, "1002");
  world->syniverse()->set_outcome(person(3).phone, fakes::syniverse::Outcome::kExpired, "1005");

  auto const sent = send(*world, sms_to(ids(3)));
  ASSERT_OK(world->advance(10s));

  auto const delivered = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(delivered.status, Status::kDelivered);
  EXPECT_EQ(delivered.provider, "syniverse");
  EXPECT_THAT(raws(delivered), Contains("callback:SENT"));
  EXPECT_THAT(raws(delivered), Contains("callback:DELIVERED"));

  auto const failed = message(*world, sent.outcomes[1].message_id);
  EXPECT_EQ(failed.status, Status::kFailed);
  EXPECT_EQ(failed.error_code, "1002");
  EXPECT_THAT(raws(failed), Contains("callback:FAILED"));

  auto const expired = message(*world, sent.outcomes[2].message_id);
  EXPECT_EQ(expired.status, Status::kFailed);
  EXPECT_THAT(raws(expired), Contains("callback:EXPIRED"));
}

TEST(EndToEnd, GenericProviderStaysSent) {
  auto world = make_world({.candidates = people(2), .sms = SmsChoice::kGeneric});
  ASSERT_TRUE(world);

  auto const sent = send(*world, sms_to(ids(2)));
  ASSERT_OK(world->advance(1h));

  for (auto const& outcome : sent.outcomes) {
    auto const m = message(*world, outcome.message_id);
    EXPECT_EQ(m.status, Status::kSent);
    EXPECT_EQ(m.provider, "generic");
  }
  auto const received = world->generic()->messages();
  ASSERT_EQ(received.size(), 2U);
  EXPECT_THAT(received[0].recipients, ElementsAre(person(1).phone));
  EXPECT_EQ(received[0].text, "Hi Ann1");
}

TEST(EndToEnd, SmtpSentAndPermanentRefusalFailed) {
  WorldOptions options{.candidates = people(2), .sms = SmsChoice::kNone};
  options.fake_smtp.reject_rules.push_back({.address_pattern = "c2@example\\.com"});
  auto world = make_world(std::move(options));
  ASSERT_TRUE(world);

  auto const sent = send(*world, {.channel = Channel::kEmail,
                                  .context = {ContextKind::kRequisition, "R-7"},
                                  .subject = "Your application",
                                  .body = "Dear {{FirstName}}",
                                  .candidates = ids(2)});
  ASSERT_OK(world->advance(1min));

  auto const ok = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(ok.status, Status::kSent);
  auto const refused = message(*world, sent.outcomes[1].message_id);
  EXPECT_EQ(refused.status, Status::kFailed);
  EXPECT_THAT(refused.error_code, ::testing::StartsWith("5"));

  auto const mails = world->smtp()->messages();
  ASSERT_EQ(mails.size(), 1U);
  EXPECT_EQ(mails[0].subject, "Your application");
  EXPECT_THAT(mails[0].recipients, ElementsAre("c1@example.com"));
}

TEST(EndToEnd, SmtpLongLinesLeadingDotsAndNonAsciiArriveIntact) {
  auto world = make_world(email_options(1));
  ASSERT_TRUE(world);
  std::string const paragraph(5000, 'p');
  std::string const body =
      paragraph + "\n.a line that starts with a dot\n.\nCaf\xC3\xA9 \xE2\x80\x93 na\xC3\xAFve";

  auto const sent = send(*world, email_to({1}, body, "Entretien \xE2\x80\x93 \xC3\xA9tape 2"));
  ASSERT_OK(world->advance(1min));

  EXPECT_EQ(message(*world, sent.outcomes[0].message_id).status, Status::kSent);
  auto const mails = world->smtp()->messages();
  ASSERT_EQ(mails.size(), 1U);
  EXPECT_EQ(mails[0].body,
            paragraph +
                "\r\n.a line that starts with a dot\r\n.\r\nCaf\xC3\xA9 \xE2\x80\x93 "
                "na\xC3\xAFve\r\n");
  EXPECT_EQ(mails[0].subject, "Entretien \xE2\x80\x93 \xC3\xA9tape 2");
  EXPECT_THAT(mails[0].raw, HasSubstr("Content-Transfer-Encoding: quoted-printable\r\n"));
}

TEST(EndToEnd, SmtpTemporaryFailuresAreRetriedThenSent) {
  for (int const code : {421, 451}) {
    auto world = make_world(email_options(2));
    ASSERT_TRUE(world);
    world->smtp()->fail_next_sessions(3, code);

    auto const sent = send(*world, email_to(ids(2), "Dear {{FirstName}}"));
    ASSERT_OK(world->advance(10min));

    auto const messages = messages_of(*world, sent);
    EXPECT_THAT(statuses(messages), Each(Status::kSent)) << code;
    EXPECT_EQ(count_raw(messages, "provider:transient"), 3U) << code;
    EXPECT_EQ(world->smtp()->messages().size(), 2U) << code;
    EXPECT_EQ(world->smtp()->stats().temporary_failures, 3U) << code;
  }
}

TEST(EndToEnd, SmtpDroppedConnectionsAreRetried) {
  using fakes::smtp::DropPoint;
  for (auto const point : {DropPoint::kOnConnect, DropPoint::kAfterMailFrom}) {
    auto world = make_world(email_options(1));
    ASSERT_TRUE(world);
    world->smtp()->drop_next_sessions(2, point);

    auto const sent = send(*world, email_to({1}, "Dear {{FirstName}}"));
    ASSERT_OK(world->advance(10min));

    auto const m = message(*world, sent.outcomes[0].message_id);
    EXPECT_EQ(m.status, Status::kSent);
    EXPECT_EQ(count_raw(m, "provider:transient"), 2U);
    EXPECT_EQ(world->smtp()->messages().size(), 1U);
    EXPECT_EQ(world->smtp()->stats().dropped_sessions, 2U);
  }
}

TEST(EndToEnd, SmtpConnectionLostAfterTheDataIsRetriedAndDeliveredTwice) {
  auto world = make_world(email_options(1));
  ASSERT_TRUE(world);
  world->smtp()->drop_next_sessions(1, fakes::smtp::DropPoint::kAfterData);

  auto const sent = send(*world, email_to({1}, "Dear {{FirstName}}"));
  ASSERT_OK(world->advance(10min));

  // The relay kept the first copy but its answer was lost: SMTP cannot tell, so
  // the retry sends a second one (with the next attempt's Message-ID).
  auto const m = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kSent);
  EXPECT_EQ(count_raw(m, "provider:transient"), 1U);
  auto const mails = world->smtp()->messages();
  ASSERT_EQ(mails.size(), 2U);
  EXPECT_NE(mails[0].message_id, mails[1].message_id);
  EXPECT_EQ(mails[0].body, mails[1].body);
}

// ---------------------------------------------------------------------------
// Provider faults

TEST(EndToEnd, RateLimitBurstIsRetriedThenDelivered) {
  auto world = make_world(twilio_options(1));
  ASSERT_TRUE(world);
  world->twilio()->rate_limit_next(3);

  auto const sent = send(*world, sms_to({1}));
  ASSERT_OK(world->advance(10min));

  auto const m = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kDelivered);
  EXPECT_EQ(count_raw(m, "provider:rate_limited"), 3U);
  EXPECT_EQ(count_raw(m, "attempt"), 4U);
  EXPECT_EQ(world->twilio()->server().request_count(), 4U);
  EXPECT_EQ(world->twilio()->messages().size(), 1U);
}

TEST(EndToEnd, ServerOutageThenRecovery) {
  auto world = make_world(twilio_options(3));
  ASSERT_TRUE(world);
  world->twilio()->server_error_next(5, 503);

  auto const sent = send(*world, sms_to(ids(3)));
  ASSERT_OK(world->advance(30min));

  auto const messages = messages_of(*world, sent);
  EXPECT_THAT(statuses(messages), Each(Status::kDelivered));
  EXPECT_EQ(count_raw(messages, "provider:transient"), 5U);
  EXPECT_EQ(world->twilio()->messages().size(), 3U);
}

TEST(EndToEnd, ConnectionResetsAreRetried) {
  auto world = make_world(twilio_options(2));
  ASSERT_TRUE(world);
  world->twilio()->reset_next(2);

  auto const sent = send(*world, sms_to(ids(2)));
  ASSERT_OK(world->advance(10min));

  auto const messages = messages_of(*world, sent);
  EXPECT_THAT(statuses(messages), Each(Status::kDelivered));
  EXPECT_EQ(count_raw(messages, "provider:transient"), 2U);
  EXPECT_EQ(world->twilio()->messages().size(), 2U);
}

TEST(EndToEnd, SyniverseRateLimitBurstIsRetriedThenDelivered) {
  auto world = make_world(syniverse_options(1));
  ASSERT_TRUE(world);
  world->syniverse()->server().fail_next(3, scg_error(429, "1039"));

  auto const sent = send(*world, sms_to({1}));
  ASSERT_OK(world->advance(10min));

  auto const m = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kDelivered);
  EXPECT_EQ(count_raw(m, "provider:rate_limited"), 3U);
  EXPECT_EQ(count_raw(m, "attempt"), 4U);
  EXPECT_THAT(raws(m), Contains("callback:DELIVERED"));
  EXPECT_EQ(world->syniverse()->server().request_count(), 4U);
  EXPECT_EQ(world->syniverse()->messages().size(), 1U);
}

TEST(EndToEnd, SyniverseServerErrorsThenRecovery) {
  auto world = make_world(syniverse_options(3));
  ASSERT_TRUE(world);
  // An outage answers what a gateway in front of SCG would: first bare 502s, then
  // SCG's own 503.
  world->syniverse()->server().fail_next(
      2, fakes::http::Fault::with_status(502, "<html>Bad Gateway</html>", "text/html"));
  world->syniverse()->server().fail_next(3, scg_error(503, "5030"));

  auto const sent = send(*world, sms_to(ids(3)));
  ASSERT_OK(world->advance(30min));

  auto const messages = messages_of(*world, sent);
  EXPECT_THAT(statuses(messages), Each(Status::kDelivered));
  EXPECT_EQ(count_raw(messages, "provider:transient"), 5U);
  EXPECT_EQ(world->syniverse()->messages().size(), 3U);
}

TEST(EndToEnd, SlowProviderAnswersArriveInVirtualTime) {
  auto options = twilio_options(1);
  options.sms_decorator = slow_answers(2s);
  auto world = make_world(std::move(options));
  ASSERT_TRUE(world);
  auto const start = world->now();

  auto const sent = send(*world, sms_to({1}));
  ASSERT_OK(world->advance(1s));
  EXPECT_EQ(message(*world, sent.outcomes[0].message_id).status, Status::kQueued);

  ASSERT_OK(world->advance(10s));
  auto const m = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kDelivered);
  auto const accepted = std::find_if(m.history.begin(), m.history.end(), [](auto const& e) {
    return e.raw_status == "provider:accepted";
  });
  ASSERT_NE(accepted, m.history.end());
  EXPECT_EQ(accepted->at, start + 2s);
}

// Limitation: the fake's API latency waits on the manual clock while the core
// counts the send as pending work until the answer, so a settle cannot finish
// until its timeout — latency is measured on the system clock (bench/e2e) and
// modelled in tests by holding the answer (SlowAnswers above).
TEST(EndToEnd, FakeApiLatencyStallsAManualClockUntilTheSettleTimeout) {
  auto options = twilio_options(1);
  options.settle_timeout = 200ms;
  auto world = make_world(std::move(options));
  ASSERT_TRUE(world);
  world->twilio()->set_latency(2s);

  auto const sent = send(*world, sms_to({1}));
  auto const stalled = world->advance(1s);
  ASSERT_FALSE(stalled.ok());
  EXPECT_EQ(stalled.error().code, Errc::kDeadlineExceeded);

  // Time still moves; once it passes the delay the answer arrives and work settles.
  (void)world->advance(2s);
  ASSERT_OK(world->advance(10s));
  EXPECT_EQ(message(*world, sent.outcomes[0].message_id).status, Status::kDelivered);
}

// ---------------------------------------------------------------------------
// Callback faults

TEST(EndToEnd, ReorderedCallbacksNeverMoveBackAndAreKept) {
  auto world = make_world(twilio_options(3));
  ASSERT_TRUE(world);
  ASSERT_OK(world->twilio()->set_callback_faults({.reorder_rate = 1.0}));

  auto const sent = send(*world, sms_to(ids(3)));
  ASSERT_OK(world->advance(1min));

  for (auto const& outcome : sent.outcomes) {
    auto const m = message(*world, outcome.message_id);
    EXPECT_EQ(m.status, Status::kDelivered);
    auto const all = raws(m);
    auto const delivered = std::find(all.begin(), all.end(), "callback:delivered");
    auto const late_sent = std::find(all.begin(), all.end(), "callback:sent");
    ASSERT_NE(late_sent, all.end());
    EXPECT_LT(delivered, late_sent) << "the held-back 'sent' arrives after 'delivered'";
    EXPECT_EQ(m.history.back().status, Status::kDelivered);
  }
}

TEST(EndToEnd, DuplicatedDroppedAndReorderedCallbacksEndRight) {
  auto world = make_world(twilio_options(
      30, {{.outcome = fakes::twilio::Outcome::kDelivered, .weight = 3},
           {.outcome = fakes::twilio::Outcome::kUndelivered, .error_code = 30005, .weight = 1}}));
  ASSERT_TRUE(world);
  ASSERT_OK(world->twilio()->set_callback_faults(
      {.duplicate_rate = 0.4, .drop_rate = 0.3, .reorder_rate = 0.5}));

  auto const sent = send(*world, sms_to(ids(30)));
  ASSERT_OK(world->advance(2min));

  // What each message should show follows from the callbacks that reached the core.
  std::map<std::string, std::vector<std::string>> arrived;
  std::size_t duplicates = 0;
  std::size_t dropped = 0;
  for (auto const& callback : world->twilio()->callbacks()) {
    duplicates += callback.duplicate ? 1 : 0;
    dropped += callback.dropped ? 1 : 0;
    if (!callback.dropped && callback.http_status == 200) {
      arrived[callback.message_sid].push_back(callback.status);
    }
  }
  EXPECT_GT(duplicates, 0U);
  EXPECT_GT(dropped, 0U);

  for (auto const& outcome : sent.outcomes) {
    auto const m = message(*world, outcome.message_id);
    auto const& statuses = arrived[m.provider_message_id];
    auto has = [&statuses](char const* s) {
      return std::find(statuses.begin(), statuses.end(), s) != statuses.end();
    };
    Status const want = has("delivered")     ? Status::kDelivered
                        : has("undelivered") ? Status::kFailed
                                             : Status::kSent;
    EXPECT_EQ(m.status, want) << "message " << m.id;
    for (auto const& s : statuses) {
      EXPECT_EQ(count_raw(m, "callback:" + s), 1U) << "message " << m.id << " " << s;
    }
  }
}

TEST(EndToEnd, TwilioCallbacksSurviveAReceiverOutage) {
  auto world = make_world(twilio_options(1));
  ASSERT_TRUE(world);

  auto const sent = send(*world, sms_to({1}));
  ASSERT_OK(world->settle());
  world->stop_webhooks();
  // 'queued' (at 200 ms) finds nothing listening; Twilio retries it once, 1 s later.
  ASSERT_OK(world->advance(500ms));
  ASSERT_OK(world->start_webhooks());
  ASSERT_OK(world->advance(10s));

  auto const m = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kDelivered);
  EXPECT_THAT(raws(m), Contains("callback:queued"));
  auto const callbacks = world->twilio()->callbacks();
  EXPECT_TRUE(std::any_of(callbacks.begin(), callbacks.end(),
                          [](auto const& c) { return c.attempt == 2 && c.http_status == 200; }));
}

TEST(EndToEnd, SyniverseEventsAreRedeliveredAfterAReceiverOutage) {
  auto world = make_world({.candidates = people(1), .sms = SmsChoice::kSyniverse});
  ASSERT_TRUE(world);

  auto const sent = send(*world, sms_to({1}));
  ASSERT_OK(world->settle());
  world->stop_webhooks();
  ASSERT_OK(world->advance(10s));
  EXPECT_EQ(message(*world, sent.outcomes[0].message_id).status, Status::kSent);

  ASSERT_OK(world->start_webhooks());
  ASSERT_OK(world->advance(2min));
  auto const m = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kDelivered);
  for (auto const& event : world->syniverse()->events()) {
    EXPECT_EQ(event.state, "SUCCESS") << event.event_id;
    EXPECT_GE(event.attempts.size(), 2U) << event.event_id;
  }
}

TEST(EndToEnd, SyniverseDuplicatedDroppedAndDelayedEventsEndRight) {
  auto world = make_world(syniverse_options(4));
  ASSERT_TRUE(world);
  auto& scg = *world->syniverse();
  using fakes::syniverse::EventFault;
  ASSERT_OK(scg.script_event_faults(1, {.kind = EventFault::Kind::kDuplicate},
                                    {.address = person(1).phone, .new_state = "DELIVERED"}));
  ASSERT_OK(scg.script_event_faults(1, {.kind = EventFault::Kind::kDrop},
                                    {.address = person(2).phone, .new_state = "DELIVERED"}));
  ASSERT_OK(scg.script_event_faults(1, {.kind = EventFault::Kind::kDelay, .delay = 10s},
                                    {.address = person(3).phone, .new_state = "SENT"}));
  ASSERT_OK(scg.script_event_faults(1, {.kind = EventFault::Kind::kDrop},
                                    {.address = person(4).phone, .new_state = "SENT"}));

  auto const sent = send(*world, sms_to(ids(4)));
  ASSERT_OK(world->advance(1min));

  // Duplicate: applied once.
  auto const duplicated = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(duplicated.status, Status::kDelivered);
  EXPECT_EQ(count_raw(duplicated, "callback:DELIVERED"), 1U);

  // The final event is lost: the message stays Sent.
  auto const dropped = message(*world, sent.outcomes[1].message_id);
  EXPECT_EQ(dropped.status, Status::kSent);
  EXPECT_THAT(raws(dropped), Contains("callback:SENT"));
  EXPECT_THAT(raws(dropped), Not(Contains("callback:DELIVERED")));

  // SENT arrives after DELIVERED: kept in the history, never moves the message back.
  auto const delayed = message(*world, sent.outcomes[2].message_id);
  EXPECT_EQ(delayed.status, Status::kDelivered);
  auto const all = raws(delayed);
  auto const delivered_at = std::find(all.begin(), all.end(), "callback:DELIVERED");
  auto const sent_at = std::find(all.begin(), all.end(), "callback:SENT");
  ASSERT_NE(sent_at, all.end());
  EXPECT_LT(delivered_at, sent_at);
  EXPECT_EQ(delayed.history.back().status, Status::kDelivered);

  // Without SENT the final state still lands.
  auto const no_sent = message(*world, sent.outcomes[3].message_id);
  EXPECT_EQ(no_sent.status, Status::kDelivered);
  EXPECT_THAT(raws(no_sent), Not(Contains("callback:SENT")));

  std::map<std::string, std::size_t> faults;
  for (auto const& event : scg.events()) {
    ++faults[event.fault];
  }
  EXPECT_EQ(faults["duplicate"], 1U);
  EXPECT_EQ(faults["drop"], 2U);
  EXPECT_EQ(faults["delay"], 1U);
}

TEST(EndToEnd, SyniverseSeededEventFaultsAreTheSameWhateverTheConcurrency) {
  // One send at a time reaches the fake in request order; many at once on two I/O
  // threads arrive as they come. The faults drawn must not care.
  auto run = [](std::size_t in_flight, int io_threads) {
    auto options = syniverse_options(12);
    options.io_threads = io_threads;
    options.messenger.max_in_flight = in_flight;
    options.fake_syniverse.seed = 3;
    options.fake_syniverse.event_faults = {.drop = 0.3, .duplicate = 0.3, .delay = 0.2};
    auto world = make_world(std::move(options));
    std::map<std::string, std::string> by_event;
    if (!world) {
      return by_event;
    }
    send(*world, sms_to(ids(12)));
    EXPECT_TRUE(world->advance(2min).ok());
    for (auto const& event : world->syniverse()->events()) {
      auto const m = world->syniverse()->message(event.message_id);
      by_event[m->to_address + " " + event.new_state] = event.fault;
    }
    return by_event;
  };

  auto const one_by_one = run(1, 1);
  EXPECT_EQ(one_by_one.size(), 24U);
  EXPECT_EQ(one_by_one, run(64, 2));
}

// ---------------------------------------------------------------------------
// Forged callbacks

struct Posted {
  int status = 0;
  std::string error;
};

Posted post_form(World& world, std::string const& url, fakes::http::Fields const& fields,
                 fakes::http::Fields headers) {
  fakes::http::HttpClient client(world.clock());
  std::promise<Posted> done;
  client.post_form(url, fields, std::move(headers), [&done](fakes::http::ClientResult const& r) {
    done.set_value({.status = r.status, .error = r.error ? r.error->message : ""});
  });
  return done.get_future().get();
}

TEST(EndToEnd, ForgedAndUnsignedCallbacksAreRefusedAndChangeNothing) {
  auto world = make_world(twilio_options(1, {{.outcome = fakes::twilio::Outcome::kSentOnly}}));
  ASSERT_TRUE(world);
  auto const sent = send(*world, sms_to({1}));
  ASSERT_OK(world->advance(10s));
  auto const before = message(*world, sent.outcomes[0].message_id);
  ASSERT_EQ(before.status, Status::kSent);

  auto const url = world->webhook_base_url() + "/webhooks/twilio/status";
  fakes::http::Fields const fields = {{"MessageSid", before.provider_message_id},
                                      {"MessageStatus", "delivered"},
                                      {"AccountSid", world->twilio()->config().account_sid}};
  auto const forged = fakes::twilio::sign_request("not-the-auth-token", url, fields);
  EXPECT_EQ(post_form(*world, url, fields, {{"X-Twilio-Signature", forged}}).status, 403);
  EXPECT_EQ(post_form(*world, url, fields, {}).status, 403);
  ASSERT_OK(world->settle());

  auto const after = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(after.status, Status::kSent);
  EXPECT_EQ(raws(after), raws(before));
  // Syniverse events are authorised by the delivery configuration's credentials.
  fakes::http::HttpClient client(world->clock());
  std::promise<int> refused;
  client.post_json(world->webhook_base_url() + "/webhooks/syniverse/events", "{}",
                   {{"Authorization", "Basic bm9ib2R5Om5vdGhpbmc="}},
                   [&refused](fakes::http::ClientResult const& r) { refused.set_value(r.status); });
  EXPECT_EQ(refused.get_future().get(), 401);

  EXPECT_EQ(world->webhooks().stats().unauthorized, 3U);

  // The same body signed with the real token goes through: the refusal was the signature.
  auto const real = fakes::twilio::sign_request(world->twilio()->config().auth_token, url, fields);
  EXPECT_EQ(post_form(*world, url, fields, {{"X-Twilio-Signature", real}}).status, 200);
  ASSERT_OK(world->settle());
  EXPECT_EQ(message(*world, sent.outcomes[0].message_id).status, Status::kDelivered);
}

TEST(EndToEnd, TwilioWithOnlyAFromNumberIsRefused) {
  WorldOptions options = twilio_options(1);
  options.twilio.from_number = "+15005550006";
  auto world = World::create(std::move(options));
  ASSERT_FALSE(world.ok());
  EXPECT_THAT(world.error().message, HasSubstr("twilio provider"));
  EXPECT_THAT(world.error().message, HasSubstr("Messaging Service"));
}

// ---------------------------------------------------------------------------
// Inbound: opt-out, opt-in, matching

TEST(EndToEnd, StopBlocksLaterSendsAndTheProviderRefusesWith21610) {
  auto world = make_world(twilio_options(1));
  ASSERT_TRUE(world);
  auto const phone = person(1).phone;

  ASSERT_OK(world->inbound(phone, " stop "));
  ASSERT_OK(world->settle());
  EXPECT_TRUE(candidate(*world, 1).sms_opt_out);

  auto const blocked = send(*world, sms_to({1}));
  EXPECT_EQ(blocked.outcomes[0].reason, domain::BlockReason::kOptedOut);
  ASSERT_OK(world->settle());
  EXPECT_EQ(message(*world, blocked.outcomes[0].message_id).status, Status::kBlocked);
  EXPECT_EQ(world->twilio()->server().request_count(), 0U) << "a blocked SMS never leaves";

  // Had the core missed the STOP, Twilio itself refuses the number (21610).
  ASSERT_OK(world->store().set_opt_out(phone, false));
  auto const refused = send(*world, sms_to({1}));
  ASSERT_OK(world->advance(10s));
  auto const m = message(*world, refused.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kFailed);
  EXPECT_EQ(m.error_code, "21610");
}

TEST(EndToEnd, StartOptsBackIn) {
  auto world = make_world(twilio_options(1));
  ASSERT_TRUE(world);
  auto const phone = person(1).phone;

  ASSERT_OK(world->inbound(phone, "STOP"));
  ASSERT_OK(world->settle());
  ASSERT_OK(world->inbound(phone, "Start"));
  ASSERT_OK(world->settle());

  auto const sent = send(*world, sms_to({1}));
  EXPECT_EQ(sent.admitted, 1);
  ASSERT_OK(world->advance(10s));
  EXPECT_EQ(message(*world, sent.outcomes[0].message_id).status, Status::kDelivered);
  EXPECT_EQ(world->messenger().stats().opt_outs, 1);
  EXPECT_EQ(world->messenger().stats().opt_ins, 1);
}

TEST(EndToEnd, SyniverseStopBlocksLaterSendsAndTheProviderFailsThemWith1005) {
  auto world = make_world(syniverse_options(1));
  ASSERT_TRUE(world);
  auto const phone = person(1).phone;

  ASSERT_OK(world->inbound(phone, "Stop"));
  ASSERT_OK(world->settle());
  EXPECT_TRUE(candidate(*world, 1).sms_opt_out);
  EXPECT_TRUE(world->syniverse()->opted_out(phone));

  auto const blocked = send(*world, sms_to({1}));
  EXPECT_EQ(blocked.outcomes[0].reason, domain::BlockReason::kOptedOut);
  ASSERT_OK(world->settle());
  EXPECT_EQ(message(*world, blocked.outcomes[0].message_id).status, Status::kBlocked);
  EXPECT_EQ(world->syniverse()->server().request_count(), 0U) << "a blocked SMS never leaves";

  // Had the core missed the STOP, SCG accepts the send and fails it: no consent.
  ASSERT_OK(world->store().set_opt_out(phone, false));
  auto const refused = send(*world, sms_to({1}));
  ASSERT_OK(world->advance(10s));
  auto const m = message(*world, refused.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kFailed);
  EXPECT_EQ(m.error_code, "1005");
  EXPECT_THAT(raws(m), Contains("provider:ACCEPTED"));
  EXPECT_THAT(raws(m), Contains("callback:FAILED"));
  EXPECT_THAT(raws(m), Not(Contains("callback:SENT")));
}

TEST(EndToEnd, SyniverseStartOptsBackIn) {
  auto world = make_world(syniverse_options(1));
  ASSERT_TRUE(world);
  auto const phone = person(1).phone;

  ASSERT_OK(world->inbound(phone, "STOP"));
  ASSERT_OK(world->settle());
  ASSERT_OK(world->inbound(phone, " start "));
  ASSERT_OK(world->settle());

  EXPECT_FALSE(world->syniverse()->opted_out(phone));
  auto const sent = send(*world, sms_to({1}));
  EXPECT_EQ(sent.admitted, 1);
  ASSERT_OK(world->advance(10s));
  EXPECT_EQ(message(*world, sent.outcomes[0].message_id).status, Status::kDelivered);
  EXPECT_EQ(world->messenger().stats().opt_outs, 1);
  EXPECT_EQ(world->messenger().stats().opt_ins, 1);
  auto const entries = tab(*world, 1);
  ASSERT_EQ(entries.size(), 3U);
  EXPECT_EQ(entries[1].status, Status::kReceived);
  EXPECT_EQ(entries[1].body, " start ");
}

TEST(EndToEnd, InboundReachesEveryCandidateOfASharedNumberAndUnmatchedIsKept) {
  auto options = twilio_options(3);
  options.candidates[1].phone = options.candidates[0].phone;
  auto world = make_world(std::move(options));
  ASSERT_TRUE(world);

  ASSERT_OK(world->inbound(person(1).phone, "Is the job still open?"));
  ASSERT_OK(world->inbound("+14155550199", "Who is this?"));
  ASSERT_OK(world->settle());

  for (domain::CandidateId id : {1, 2}) {
    auto const entries = tab(*world, id);
    ASSERT_EQ(entries.size(), 1U) << "candidate " << id;
    EXPECT_EQ(entries[0].status, Status::kReceived);
    EXPECT_EQ(entries[0].body, "Is the job still open?");
  }
  EXPECT_TRUE(tab(*world, 3).empty());

  auto all = world->store().all_messages();
  ASSERT_TRUE(all.ok());
  auto const unmatched = std::count_if(all->begin(), all->end(), [](auto const& m) {
    return !m.candidate_id && m.status == Status::kReceived && m.body == "Who is this?";
  });
  EXPECT_EQ(unmatched, 1);
}

// ---------------------------------------------------------------------------
// A callback that arrives before its message is known

TEST(EndToEnd, CallbackBeforeTheProviderAnswerIsParkedThenApplied) {
  auto options = twilio_options(1);
  options.fake_twilio.delays = {.queued = 0s, .sent = 0s, .final = 0s};
  options.sms_decorator = slow_answers(5s);
  auto world = make_world(std::move(options));
  ASSERT_TRUE(world);

  auto const sent = send(*world, sms_to({1}));
  ASSERT_OK(world->settle());
  // Every callback came in while the message had no provider id yet.
  EXPECT_EQ(message(*world, sent.outcomes[0].message_id).status, Status::kQueued);
  EXPECT_EQ(*world->store().parked_count(), 3);

  ASSERT_OK(world->advance(5s));
  auto const m = message(*world, sent.outcomes[0].message_id);
  EXPECT_EQ(m.status, Status::kDelivered);
  EXPECT_THAT(raws(m), Contains("callback:queued"));
  EXPECT_THAT(raws(m), Contains("callback:sent"));
  EXPECT_THAT(raws(m), Contains("callback:delivered"));
  EXPECT_EQ(*world->store().parked_count(), 0);
}

// ---------------------------------------------------------------------------
// Restart and Last Contacted

TEST(EndToEnd, RestartInTheMiddleOfABulkSendLosesNothing) {
  constexpr int kCandidates = 60;
  auto options = twilio_options(kCandidates);
  options.sms_decorator = slow_answers(1s);
  auto world = make_world(std::move(options));
  ASSERT_TRUE(world);

  auto const sent = send(*world, sms_to(ids(kCandidates)));
  ASSERT_EQ(sent.admitted, kCandidates);
  // Some requests are on the wire, the rest wait in the client: stop hard now.
  ASSERT_OK(world->restart());
  ASSERT_OK(world->advance(30min));

  auto pending = world->store().pending_outbox();
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());

  std::map<std::string, std::size_t> at_provider;
  for (auto const& record : world->twilio()->messages()) {
    ++at_provider[record.to];
  }
  for (auto const& m : outbound(*world)) {
    EXPECT_THAT(m.status, ::testing::AnyOf(Status::kSent, Status::kDelivered, Status::kFailed))
        << "message " << m.id;
    auto const attempts = count_raw(m, "attempt");
    EXPECT_GE(at_provider[m.to], 1U) << "message " << m.id;
    EXPECT_LE(at_provider[m.to], attempts) << "message " << m.id << " sent without a record";
  }
  EXPECT_EQ(outbound(*world).size(), static_cast<std::size_t>(kCandidates));
  EXPECT_EQ(world->messenger().stats().resumed, kCandidates);
}

TEST(EndToEnd, LastContactedMovesForProfileSendsOnly) {
  auto world = make_world(twilio_options(2));
  ASSERT_TRUE(world);
  auto const start = world->now();

  auto composed = world->messenger().compose(sms_to({1}, ContextKind::kProfile));
  ASSERT_TRUE(composed.ok());
  send(*world, sms_to({2}, ContextKind::kRequisition));
  ASSERT_OK(world->advance(10s));

  auto const profile = candidate(*world, 1);
  ASSERT_TRUE(profile.last_contacted.has_value());
  EXPECT_EQ(*profile.last_contacted, start);
  EXPECT_FALSE(candidate(*world, 2).last_contacted.has_value());
}

}  // namespace
}  // namespace candor::scenarios
