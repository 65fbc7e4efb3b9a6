#include "core/dispatch/messenger.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "core/common/log.hpp"
#include "core/common/thread_name.hpp"
#include "core/domain/template.hpp"
#include "core/policy/phone_number.hpp"
#include "core/policy/send_policy.hpp"
#include "core/providers/provider.hpp"
#include "core/store/store.hpp"

namespace candor::dispatch {
namespace {

using domain::BlockReason;
using domain::Channel;
using domain::Status;

spdlog::logger& logger() {
  static auto& instance = log::get("dispatch");
  return instance;
}

/// splitmix64: a small, well-mixed hash for keyed random draws.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31U);
}

std::string normalise_keyword(std::string_view body) {
  auto const first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  auto const last = body.find_last_not_of(" \t\r\n");
  std::string word(body.substr(first, last - first + 1));
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return word;
}

bool contains_keyword(std::vector<std::string> const& keywords, std::string const& word) {
  return std::any_of(keywords.begin(), keywords.end(),
                     [&word](std::string const& k) { return normalise_keyword(k) == word; });
}

bool looks_like_email(std::string_view address) {
  auto const at = address.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < address.size() &&
         address.find('@', at + 1) == std::string_view::npos &&
         address.find_first_of(" \t\r\n<>") == std::string_view::npos;
}

domain::StatusEvent event(clock::TimePoint at, std::string raw, Status status,
                          std::string error_code = {}, std::string detail = {}) {
  return domain::StatusEvent{.at = at,
                             .raw_status = std::move(raw),
                             .status = status,
                             .error_code = std::move(error_code),
                             .detail = std::move(detail)};
}

candor::Status check_options(MessengerOptions const& options) {
  if (options.max_attempts < 1) {
    return make_error(
        Errc::kInvalidArgument,
        fmt::format("max_attempts: must be at least 1, not {}", options.max_attempts));
  }
  if (options.initial_backoff <= clock::Duration::zero()) {
    return make_error(Errc::kInvalidArgument, "initial_backoff: must be longer than zero");
  }
  if (options.max_backoff < options.initial_backoff) {
    return make_error(Errc::kInvalidArgument,
                      "max_backoff: must not be shorter than initial_backoff");
  }
  if (options.max_in_flight < 1) {
    return make_error(Errc::kInvalidArgument,
                      "max_in_flight: must be at least 1, or nothing would ever be sent");
  }
  if (!policy::is_known_region(options.default_region)) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("default_region: '{}' is not a region code such as 'US'",
                                  options.default_region));
  }
  return ok_status();
}

candor::Status check_context(domain::Context const& context) {
  bool const named = context.kind == domain::ContextKind::kRequisition ||
                     context.kind == domain::ContextKind::kPool;
  if (named && context.id.empty()) {
    return make_error(Errc::kInvalidArgument, fmt::format("context.id: a {} send names its {}",
                                                          domain::to_string(context.kind),
                                                          domain::to_string(context.kind)));
  }
  return ok_status();
}

}  // namespace

/// The state shared with provider callbacks and timers. Callbacks hold a
/// weak_ptr and enter() before touching anything, so that a stopped Messenger
/// ignores late answers exactly as a crashed process would.
class Messenger::Core : public std::enable_shared_from_this<Core> {
 public:
  Core(store::Store& store, policy::SendPolicy& policy, clock::Clock& clock, Providers providers,
       MessengerOptions options)
      : store_(store),
        policy_(policy),
        clock_(clock),
        providers_(providers),
        options_(std::move(options)),
        worker_([this] {
          name_this_thread("candor-writer");
          run_worker();
        }) {}

  ~Core() { shutdown(); }

  candor::Status start();
  candor::Status upsert_candidates(std::span<domain::Candidate const> candidates);
  Result<SendResult> send(SendRequest const& request);
  void on_status(domain::StatusUpdate update);
  void on_inbound(webhooks::InboundSms message);
  MessengerStats stats() const;
  void shutdown();

 private:
  /// One admitted message on its way to a provider.
  struct Job {
    providers::OutboundMessage message;
    std::optional<domain::CandidateId> candidate_id;
    bool from_profile = false;
    /// Provider attempts already made.
    int attempts = 0;
    clock::WorkTracker::Scope work{nullptr};
  };
  using JobPtr = std::shared_ptr<Job>;

  /// A provider's answer to one attempt, waiting to be stored.
  struct Answer {
    JobPtr job;
    providers::SendOutcome outcome;
    clock::TimePoint at;
  };
  /// Work for the store writer: provider answers, callbacks and inbound SMS.
  using Work = std::variant<Answer, domain::StatusUpdate, webhooks::InboundSms>;
  struct QueuedWork {
    Work work;
    clock::WorkTracker::Scope scope{nullptr};
  };

  providers::Provider* provider_for(Channel channel) const {
    return channel == Channel::kSms ? providers_.sms : providers_.email;
  }

  Result<std::vector<domain::Candidate>> load_candidates(SendRequest const& request);
  Result<std::vector<std::pair<std::string, std::string>>> render(
      SendRequest const& request, std::vector<domain::Candidate> const& candidates);

  void enqueue(JobPtr job);
  void pump();
  void launch(std::vector<JobPtr> jobs);
  void call(providers::Provider& provider, JobPtr job);
  void release_slots(std::size_t count);
  clock::Duration backoff(domain::MessageId id, int attempt) const;

  /// Marks the start and end of a provider callback's use of the Core; false once
  /// shutdown() has begun.
  bool enter();
  void leave();

  /// Hands work to the store writer; dropped once the writer has stopped.
  void push(Work work, clock::WorkTracker::Scope scope);
  void run_worker();
  void record_answers(std::vector<Answer> const& answers);
  store::Completion gave_up(Answer const& answer);
  void retry_later(Answer const& answer);
  void handle_statuses(std::vector<domain::StatusUpdate> const& updates);
  void handle_inbound(webhooks::InboundSms const& message);

  store::Store& store_;
  policy::SendPolicy& policy_;
  clock::Clock& clock_;
  Providers providers_;
  MessengerOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable quiet_;
  bool stopped_ = false;
  int active_ = 0;
  std::deque<JobPtr> waiting_;
  std::size_t in_flight_ = 0;
  bool pumping_ = false;

  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<QueuedWork> queue_;
  bool worker_stop_ = false;

  struct Counters {
    std::atomic<std::int64_t> admitted{0}, blocked{0}, sent{0}, failed{0}, retries{0}, resumed{0},
        callbacks{0}, inbound{0}, opt_outs{0}, opt_ins{0};
  } counters_;

  std::thread worker_;
};

// ---------------------------------------------------------------------------
// Start and stop

candor::Status Messenger::Core::start() {
  CANDOR_RETURN_IF_ERROR(check_options(options_));
  auto const now = clock_.now();
  auto const day = policy_.day_of(now);
  auto counts = store_.quota_counts(day);
  if (!counts) {
    return counts.error();
  }
  policy_.quota().load(day, *counts);

  auto pending = store_.pending_outbox();
  if (!pending) {
    return pending.error();
  }
  for (auto& entry : *pending) {
    auto job = std::make_shared<Job>();
    job->message = providers::OutboundMessage{.message_id = entry.message_id,
                                              .channel = entry.message.channel,
                                              .to = entry.message.to,
                                              .subject = entry.message.subject,
                                              .body = entry.message.body};
    job->candidate_id = entry.message.candidate_id;
    job->from_profile = entry.message.context.kind == domain::ContextKind::kProfile;
    // An attempt whose answer a restart lost is not held against the message: it
    // may have failed or not, and the next attempt is on record either way.
    job->attempts = entry.attempts;
    counters_.resumed.fetch_add(1, std::memory_order_relaxed);
    if (entry.next_attempt_at > now) {
      std::weak_ptr<Core> weak = weak_from_this();
      clock_.call_at(entry.next_attempt_at, [weak, job] {
        if (auto self = weak.lock()) {
          self->enqueue(job);
        }
      });
    } else {
      enqueue(std::move(job));
    }
  }
  logger().info("started: quota day {} loaded, {} outbox entries resumed", day, pending->size());
  return ok_status();
}

void Messenger::Core::shutdown() {
  {
    std::unique_lock lock(mutex_);
    if (stopped_) {
      return;
    }
    stopped_ = true;
    quiet_.wait(lock, [this] { return active_ == 0; });
    waiting_.clear();
  }
  {
    std::lock_guard lock(queue_mutex_);
    worker_stop_ = true;
  }
  queue_ready_.notify_all();
  // The worker drains what it was handed: a callback answered with 200 must not
  // be lost because the core stopped right after.
  worker_.join();
}

bool Messenger::Core::enter() {
  std::lock_guard lock(mutex_);
  if (stopped_) {
    return false;
  }
  ++active_;
  return true;
}

void Messenger::Core::leave() {
  std::lock_guard lock(mutex_);
  if (--active_ == 0) {
    quiet_.notify_all();
  }
}

MessengerStats Messenger::Core::stats() const {
  MessengerStats stats{.admitted = counters_.admitted.load(),
                       .blocked = counters_.blocked.load(),
                       .sent = counters_.sent.load(),
                       .failed = counters_.failed.load(),
                       .retries = counters_.retries.load(),
                       .resumed = counters_.resumed.load(),
                       .callbacks = counters_.callbacks.load(),
                       .inbound = counters_.inbound.load(),
                       .opt_outs = counters_.opt_outs.load(),
                       .opt_ins = counters_.opt_ins.load()};
  std::lock_guard lock(mutex_);
  stats.in_flight = static_cast<std::int64_t>(in_flight_);
  stats.waiting = static_cast<std::int64_t>(waiting_.size());
  return stats;
}

// ---------------------------------------------------------------------------
// Send Message and Compose

candor::Status Messenger::Core::upsert_candidates(std::span<domain::Candidate const> candidates) {
  // The policy reads each number as a send will, and keeps its verdict: a later
  // send to the stored E.164 form finds it cached instead of parsing again.
  std::vector<domain::Candidate> normalised(candidates.begin(), candidates.end());
  for (auto& candidate : normalised) {
    auto const checked = policy_.check({.phone = candidate.phone});
    if (!checked.e164.empty() && checked.e164 != candidate.phone) {
      candidate.phone = checked.e164;
      (void)policy_.check({.phone = candidate.phone});
    }
  }
  return store_.upsert_candidates(normalised);
}

Result<std::vector<domain::Candidate>> Messenger::Core::load_candidates(
    SendRequest const& request) {
  if (request.candidates.empty()) {
    return make_error(Errc::kInvalidArgument, "candidates: the request names no candidate");
  }
  std::set<domain::CandidateId> seen;
  std::vector<domain::Candidate> candidates;
  candidates.reserve(request.candidates.size());
  for (std::size_t i = 0; i < request.candidates.size(); ++i) {
    auto const id = request.candidates[i];
    if (!seen.insert(id).second) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("candidates[{}]: candidate {} appears twice", i, id));
    }
    auto found = store_.find_candidate(id);
    if (!found) {
      return found.error();
    }
    if (!found->has_value()) {
      return make_error(Errc::kNotFound,
                        fmt::format("candidates[{}]: candidate {} does not exist", i, id));
    }
    candidates.push_back(std::move(**found));
  }
  return candidates;
}

Result<std::vector<std::pair<std::string, std::string>>> Messenger::Core::render(
    SendRequest const& request, std::vector<domain::Candidate> const& candidates) {
  auto const is_email = request.channel == Channel::kEmail;
  auto body = domain::MessageTemplate::parse(request.body, request.variables);
  if (!body) {
    return make_error(Errc::kInvalidArgument, "body: " + body.error().message);
  }
  if (request.body.empty()) {
    return make_error(Errc::kInvalidArgument, "body: the message body is empty");
  }
  auto subject = domain::MessageTemplate::parse(is_email ? request.subject : "", request.variables);
  if (!subject) {
    return make_error(Errc::kInvalidArgument, "subject: " + subject.error().message);
  }
  if (is_email && request.subject.empty()) {
    return make_error(Errc::kInvalidArgument, "subject: an e-mail needs a subject");
  }

  std::vector<std::pair<std::string, std::string>> rendered;
  rendered.reserve(candidates.size());
  for (auto const& candidate : candidates) {
    auto text = body->render(candidate);
    if (!text) {
      return make_error(Errc::kInvalidArgument, "body: " + text.error().message);
    }
    auto title = subject->render(candidate);
    if (!title) {
      return make_error(Errc::kInvalidArgument, "subject: " + title.error().message);
    }
    rendered.emplace_back(std::move(*title), std::move(*text));
  }
  return rendered;
}

Result<SendResult> Messenger::Core::send(SendRequest const& request) {
  CANDOR_RETURN_IF_ERROR(check_context(request.context));
  auto* provider = provider_for(request.channel);
  if (provider == nullptr) {
    return make_error(
        Errc::kFailedPrecondition,
        fmt::format("channel: no {} provider is configured", domain::to_string(request.channel)));
  }
  auto candidates = load_candidates(request);
  if (!candidates) {
    return candidates.error();
  }
  auto rendered = render(request, *candidates);
  if (!rendered) {
    return rendered.error();
  }

  // Decide every message, then store them all in one transaction with their
  // quota counts. Slots taken here are given back if the transaction fails.
  auto const now = clock_.now();
  auto const is_sms = request.channel == Channel::kSms;
  std::vector<store::NewMessage> messages;
  std::vector<policy::Decision> decisions;
  messages.reserve(candidates->size());
  decisions.reserve(candidates->size());
  for (std::size_t i = 0; i < candidates->size(); ++i) {
    auto const& candidate = (*candidates)[i];
    store::NewMessage entry;
    auto& message = entry.message;
    message.candidate_id = candidate.id;
    message.channel = request.channel;
    message.direction = domain::Direction::kOutbound;
    message.context = request.context;
    message.subject = std::move((*rendered)[i].first);
    message.body = std::move((*rendered)[i].second);
    message.provider = provider->name();
    message.created_at = now;
    message.updated_at = now;

    policy::Decision decision;
    if (is_sms) {
      decision = policy_.decide({.phone = candidate.phone,
                                 .candidate_number = candidate.candidate_number,
                                 .opted_out = candidate.sms_opt_out},
                                now);
      message.to = decision.e164.empty() ? candidate.phone : decision.e164;
      if (decision.admitted()) {
        entry.quota_day = decision.day;
        entry.quota_phone = decision.e164;
        entry.quota_candidate_number = candidate.candidate_number;
      }
    } else {
      message.to = candidate.email;
      if (!looks_like_email(candidate.email)) {
        decision.reason = BlockReason::kInvalidEmail;
      }
    }
    message.block_reason = decision.reason;
    message.status = decision.admitted() ? Status::kQueued : Status::kBlocked;
    message.history.push_back(decision.admitted()
                                  ? event(now, "admitted", Status::kQueued)
                                  : event(now, "blocked", Status::kBlocked, {},
                                          std::string(domain::to_string(decision.reason))));
    messages.push_back(std::move(entry));
    decisions.push_back(std::move(decision));
  }

  auto ids = store_.admit(messages);
  if (!ids) {
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      if (is_sms && decisions[i].admitted()) {
        policy_.give_back(decisions[i], (*candidates)[i].candidate_number);
      }
    }
    logger().error("storing a send of {} messages failed: {}", messages.size(),
                   ids.error().message);
    return ids.error();
  }

  SendResult result;
  result.outcomes.reserve(messages.size());
  std::vector<JobPtr> jobs;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto const& message = messages[i].message;
    auto const id = (*ids)[i];
    result.outcomes.push_back(
        {.candidate_id = *message.candidate_id, .message_id = id, .reason = message.block_reason});
    if (message.status == Status::kBlocked) {
      ++result.blocked;
      logger().debug("blocked message_id={} reason={}", id,
                     domain::to_string(message.block_reason));
      continue;
    }
    ++result.admitted;
    auto job = std::make_shared<Job>();
    job->message = providers::OutboundMessage{.message_id = id,
                                              .channel = message.channel,
                                              .to = message.to,
                                              .subject = message.subject,
                                              .body = message.body};
    job->candidate_id = message.candidate_id;
    job->from_profile = message.context.kind == domain::ContextKind::kProfile;
    jobs.push_back(std::move(job));
  }
  counters_.admitted.fetch_add(result.admitted, std::memory_order_relaxed);
  counters_.blocked.fetch_add(result.blocked, std::memory_order_relaxed);

  for (auto& job : jobs) {
    enqueue(std::move(job));
  }
  return result;
}

// ---------------------------------------------------------------------------
// The outbox pump

void Messenger::Core::enqueue(JobPtr job) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) {
      return;
    }
    job->work = clock::WorkTracker::Scope(options_.tracker);
    waiting_.push_back(std::move(job));
  }
  pump();
}

void Messenger::Core::pump() {
  // One thread pumps at a time; jobs enqueued meanwhile are taken by its next round.
  std::vector<JobPtr> ready;
  {
    std::lock_guard lock(mutex_);
    if (pumping_ || stopped_) {
      return;
    }
    pumping_ = true;
  }
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      while (!stopped_ && in_flight_ < options_.max_in_flight && !waiting_.empty()) {
        ready.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
        ++in_flight_;
      }
      if (ready.empty()) {
        pumping_ = false;
        return;
      }
    }
    launch(std::move(ready));
    ready.clear();
  }
}

void Messenger::Core::launch(std::vector<JobPtr> jobs) {
  auto const now = clock_.now();
  std::vector<store::AttemptStart> attempts;
  attempts.reserve(jobs.size());
  for (auto& job : jobs) {
    if (provider_for(job->message.channel) == nullptr) {
      logger().error("message_id={} left in the outbox: its channel has no provider",
                     job->message.message_id);
      job.reset();
      release_slots(1);
      continue;
    }
    attempts.push_back(
        {.message_id = job->message.message_id, .attempt = job->attempts + 1, .at = now});
  }
  std::erase(jobs, nullptr);

  // The attempts are on record before any provider hears of them, so a crash in
  // between can lead to a second send, but never to an unrecorded one.
  auto skipped = store_.record_attempts(attempts);
  if (!skipped) {
    logger().error("{} messages left in the outbox: attempts not recorded: {}", jobs.size(),
                   skipped.error().message);
    release_slots(jobs.size());
    return;
  }
  for (auto& job : jobs) {
    auto const id = job->message.message_id;
    if (std::find(skipped->begin(), skipped->end(), id) != skipped->end()) {
      logger().error("message_id={} not sent: it is no longer in the outbox", id);
      release_slots(1);
      continue;
    }
    ++job->attempts;
    job->message.attempt = job->attempts;
    auto& provider = *provider_for(job->message.channel);
    call(provider, std::move(job));
  }
}

void Messenger::Core::call(providers::Provider& provider, JobPtr job) {
  std::weak_ptr<Core> weak = weak_from_this();
  auto const& message = job->message;
  provider.send(message, [weak, job](providers::SendOutcome outcome) {
    // Taken out first, so that the work ends with this call when the answer is
    // ignored, however long the job itself lives on; otherwise the answer holds
    // it until it is stored.
    auto scope = std::move(job->work);
    auto self = weak.lock();
    if (!self || !self->enter()) {
      return;
    }
    self->push(Answer{.job = job, .outcome = std::move(outcome), .at = self->clock_.now()},
               std::move(scope));
    self->leave();
  });
}

void Messenger::Core::release_slots(std::size_t count) {
  std::lock_guard lock(mutex_);
  in_flight_ -= count;
}

clock::Duration Messenger::Core::backoff(domain::MessageId id, int attempt) const {
  auto const ceiling_us = std::min<std::int64_t>(
      options_.max_backoff.count(), options_.initial_backoff.count() << std::min(attempt - 1, 30));
  auto const draw = mix(options_.seed ^ mix(static_cast<std::uint64_t>(id) * 64U +
                                            static_cast<std::uint64_t>(attempt)));
  // Full jitter, but never zero: a retry in the same instant would hit the same
  // outage again.
  auto const span = static_cast<std::uint64_t>(std::max<std::int64_t>(ceiling_us, 1));
  return clock::Duration(1000 + static_cast<std::int64_t>(draw % span));
}

// ---------------------------------------------------------------------------
// The store writer: provider answers, callbacks and inbound messages

void Messenger::Core::on_status(domain::StatusUpdate update) {
  // Limitation: the queue between the webhook's 200 and the store lives in memory,
  // so a process killed in that window loses those callbacks — providers do not
  // resend acknowledged callbacks, but an orderly stop drains the queue first.
  // (A provider answer lost the same way costs nothing: its message is still in
  // the outbox and is sent again after the restart, as a recorded attempt.)
  push(std::move(update), clock::WorkTracker::Scope(options_.tracker));
}

void Messenger::Core::on_inbound(webhooks::InboundSms message) {
  push(std::move(message), clock::WorkTracker::Scope(options_.tracker));
}

void Messenger::Core::push(Work work, clock::WorkTracker::Scope scope) {
  {
    std::lock_guard lock(queue_mutex_);
    if (worker_stop_) {
      return;
    }
    queue_.push_back({std::move(work), std::move(scope)});
  }
  queue_ready_.notify_one();
}

void Messenger::Core::run_worker() {
  for (;;) {
    std::deque<QueuedWork> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_ready_.wait(lock, [this] { return worker_stop_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      batch.swap(queue_);
    }

    // All that queued up while the last batch was written goes in one transaction
    // per kind: answers first, so that callbacks in the same batch find their
    // message; a callback applied before its answer would be parked and reach
    // the same state. Inbound messages keep their order (STOP, then START).
    std::vector<Answer> answers;
    std::vector<domain::StatusUpdate> updates;
    std::vector<webhooks::InboundSms> inbound;
    for (auto& item : batch) {
      if (auto* answer = std::get_if<Answer>(&item.work)) {
        answers.push_back(std::move(*answer));
      } else if (auto* update = std::get_if<domain::StatusUpdate>(&item.work)) {
        updates.push_back(std::move(*update));
      } else {
        inbound.push_back(std::move(std::get<webhooks::InboundSms>(item.work)));
      }
    }
    record_answers(answers);
    handle_statuses(updates);
    for (auto const& message : inbound) {
      handle_inbound(message);
    }
    // The slots the answers freed are filled while their work is still held, so
    // that a manual clock never sees a moment with nothing pending.
    pump();
  }
}

void Messenger::Core::record_answers(std::vector<Answer> const& answers) {
  if (answers.empty()) {
    return;
  }
  std::vector<store::Completion> completions;
  completions.reserve(answers.size());
  std::int64_t sent = 0;
  std::int64_t failed = 0;
  for (auto const& answer : answers) {
    auto const& job = *answer.job;
    auto const& outcome = answer.outcome;
    logger().debug("provider answer message_id={} attempt={} outcome={} http_status={} code={}",
                   job.message.message_id, job.attempts, providers::to_string(outcome.kind),
                   outcome.http_status, outcome.error_code);
    switch (outcome.kind) {
      case providers::OutcomeKind::kAccepted: {
        auto const raw = outcome.raw_status.empty() ? std::string("accepted") : outcome.raw_status;
        completions.push_back(
            {.message_id = job.message.message_id,
             .send = {.status = Status::kSent,
                      .provider_message_id = outcome.provider_message_id,
                      .event = event(answer.at, "provider:" + raw, Status::kSent),
                      .last_contacted = job.from_profile ? job.candidate_id : std::nullopt}});
        ++sent;
        break;
      }
      case providers::OutcomeKind::kRejected:
        completions.push_back(
            {.message_id = job.message.message_id,
             .send = {.status = Status::kFailed,
                      .error_code = outcome.error_code,
                      .error_message = outcome.error_message,
                      .event = event(answer.at, "provider:rejected", Status::kFailed,
                                     outcome.error_code, outcome.error_message)}});
        ++failed;
        break;
      case providers::OutcomeKind::kRateLimited:
      case providers::OutcomeKind::kTransient:
        if (job.attempts < options_.max_attempts) {
          retry_later(answer);
        } else {
          completions.push_back(gave_up(answer));
          ++failed;
        }
        break;
    }
  }

  if (auto skipped = store_.complete_sends(completions); !skipped) {
    logger().error("{} provider answers not stored: {}", completions.size(),
                   skipped.error().message);
  } else {
    for (auto const id : *skipped) {
      logger().error("message_id={} outcome not stored: no such message", id);
    }
  }
  counters_.sent.fetch_add(sent, std::memory_order_relaxed);
  counters_.failed.fetch_add(failed, std::memory_order_relaxed);
  release_slots(answers.size());
}

store::Completion Messenger::Core::gave_up(Answer const& answer) {
  auto const& job = *answer.job;
  auto const& outcome = answer.outcome;
  auto const raw = "provider:" + std::string(providers::to_string(outcome.kind));
  auto const reason = fmt::format("gave up after {} attempts: {}", job.attempts,
                                  outcome.error_message.empty() ? raw : outcome.error_message);
  // The provider's text may repeat the number or address; the code does not.
  logger().warn("message_id={} failed after {} attempts: outcome={} code={}",
                job.message.message_id, job.attempts, providers::to_string(outcome.kind),
                outcome.error_code);
  return {
      .message_id = job.message.message_id,
      .send = {.status = Status::kFailed,
               .error_code = outcome.error_code.empty() ? "retries_exhausted" : outcome.error_code,
               .error_message = reason,
               .event = event(answer.at, raw, Status::kFailed, outcome.error_code, reason)}};
}

void Messenger::Core::retry_later(Answer const& answer) {
  auto const& job = answer.job;
  auto const& outcome = answer.outcome;
  auto const id = job->message.message_id;
  auto const raw = "provider:" + std::string(providers::to_string(outcome.kind));
  auto const delay = outcome.retry_after.value_or(backoff(id, job->attempts));
  auto const next_at = answer.at + delay;
  auto scheduled = store_.schedule_retry(
      id, job->attempts, next_at,
      event(answer.at, raw, Status::kQueued, outcome.error_code, outcome.error_message));
  if (!scheduled) {
    logger().error("message_id={} retry not recorded: {}", id, scheduled.error().message);
  }
  counters_.retries.fetch_add(1, std::memory_order_relaxed);
  // The wait itself is a clock timer, not pending work: a manual clock must be
  // able to settle while a retry waits.
  std::weak_ptr<Core> weak = weak_from_this();
  clock_.call_at(next_at, [weak, job] {
    if (auto self = weak.lock()) {
      self->enqueue(job);
    }
  });
}

void Messenger::Core::handle_statuses(std::vector<domain::StatusUpdate> const& updates) {
  if (updates.empty()) {
    return;
  }
  auto applied = store_.apply_statuses(updates);
  if (!applied) {
    logger().error("{} status updates not stored: {}", updates.size(), applied.error().message);
    return;
  }
  counters_.callbacks.fetch_add(static_cast<std::int64_t>(updates.size()),
                                std::memory_order_relaxed);
}

void Messenger::Core::handle_inbound(webhooks::InboundSms const& message) {
  counters_.inbound.fetch_add(1, std::memory_order_relaxed);
  auto const parsed = policy::parse_phone(message.from, options_.default_region);
  auto const from = parsed ? parsed->e164 : message.from;

  domain::Message inbound;
  inbound.channel = Channel::kSms;
  inbound.direction = domain::Direction::kInbound;
  inbound.body = message.body;
  inbound.from = from;
  inbound.to = message.to;
  inbound.provider = message.provider;
  inbound.provider_message_id = message.provider_message_id;
  inbound.status = Status::kReceived;
  inbound.created_at = message.at;
  inbound.updated_at = message.at;
  inbound.history.push_back(event(message.at, "inbound", Status::kReceived));

  std::vector<domain::Candidate> owners;
  if (auto found = store_.candidates_by_phone(from); found) {
    owners = std::move(*found);
  } else {
    logger().error("inbound from {}: candidate lookup failed: {}", log::mask_phone(from),
                   found.error().message);
  }
  // Kept unmatched rather than dropped when nobody owns the number: a person may
  // still want to read it.
  std::vector<std::optional<domain::CandidateId>> recipients;
  for (auto const& owner : owners) {
    recipients.emplace_back(owner.id);
  }
  if (recipients.empty()) {
    recipients.emplace_back(std::nullopt);
  }
  bool repeat = false;
  for (auto const& candidate_id : recipients) {
    inbound.candidate_id = candidate_id;
    auto stored = store_.record_inbound(inbound);
    if (!stored) {
      logger().error("inbound message from {} not stored: {}", log::mask_phone(from),
                     stored.error().message);
      return;
    }
    repeat = stored->repeat;
  }

  // A provider may deliver the same message twice; a repeated STOP must not undo
  // a START that came in between.
  if (!parsed || repeat) {
    return;
  }
  auto const keyword = normalise_keyword(message.body);
  bool const opt_out = contains_keyword(options_.opt_out_keywords, keyword);
  if (!opt_out && !contains_keyword(options_.opt_in_keywords, keyword)) {
    return;
  }
  auto changed = store_.set_opt_out(from, opt_out);
  if (!changed) {
    logger().error("opt-{} of {} not stored: {}", opt_out ? "out" : "in", log::mask_phone(from),
                   changed.error().message);
    return;
  }
  (opt_out ? counters_.opt_outs : counters_.opt_ins).fetch_add(1, std::memory_order_relaxed);
  logger().info("{} candidate(s) of {} opted {}", *changed, log::mask_phone(from),
                opt_out ? "out" : "back in");
}

// ---------------------------------------------------------------------------
// Messenger

Messenger::Messenger(store::Store& store, policy::SendPolicy& policy, clock::Clock& clock,
                     Providers providers, MessengerOptions options)
    : core_(std::make_shared<Core>(store, policy, clock, providers, std::move(options))) {}

Messenger::~Messenger() {
  core_->shutdown();
}

candor::Status Messenger::start() {
  return core_->start();
}

candor::Status Messenger::upsert_candidates(std::span<domain::Candidate const> candidates) {
  return core_->upsert_candidates(candidates);
}

Result<SendResult> Messenger::send_message(SendRequest const& request) {
  return core_->send(request);
}

Result<RecipientOutcome> Messenger::compose(SendRequest const& request) {
  if (request.candidates.size() != 1) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("candidates: Compose sends to exactly one candidate, not {}",
                                  request.candidates.size()));
  }
  auto result = core_->send(request);
  if (!result) {
    return result.error();
  }
  return result->outcomes.front();
}

MessengerStats Messenger::stats() const {
  return core_->stats();
}

void Messenger::on_status(domain::StatusUpdate update) {
  core_->on_status(std::move(update));
}

void Messenger::on_inbound(webhooks::InboundSms message) {
  core_->on_inbound(std::move(message));
}

}  // namespace candor::dispatch
