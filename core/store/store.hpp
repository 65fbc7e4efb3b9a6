#pragma once

// The durable store: candidates, messages with their status history, daily quota
// counters, the outbox, and callbacks that arrived before their message.
//
// SQLite in WAL mode behind one connection and one mutex: every method is
// thread-safe and each write is one transaction. Statements are prepared once.
// The schema is versioned and migrated forward on open().
//
// Times are stored as Unix milliseconds.
// Limitation: the sub-millisecond part of a TimePoint is dropped on the way in —
// no provider, report or recruiter works finer than a millisecond.
//
// Phone numbers are compared as stored: callers store and look up E.164.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock/clock.hpp"
#include "core/common/result.hpp"
#include "core/domain/status_machine.hpp"
#include "core/domain/types.hpp"
#include "core/policy/quota_book.hpp"

namespace candor::store {

struct StoreOptions {
  /// Milliseconds SQLite waits for a lock held by another connection.
  int busy_timeout_ms = 5000;
  /// synchronous=NORMAL in WAL mode: durable across process crashes, may lose
  /// the last transactions on power loss. FULL when true.
  bool synchronous_full = false;
  /// SQLite's page cache for the connection, in KiB. Default 16 MiB.
  int cache_size_kib = 16 * 1024;
  /// Take the store's owner lock (see owner_lock.hpp): a second owner of the same
  /// file, in this process or another, is refused. false opens it alongside the
  /// owner, for a tool that only reads. Ignored for ":memory:".
  bool owner = true;
};

/// An outbound message to insert, admitted (status kQueued) or blocked.
struct NewMessage {
  /// id is assigned by the store; history should hold the first event.
  domain::Message message;
  /// For an admitted SMS: the quota day and keys to count in the same
  /// transaction. Blocked messages and e-mail count nothing.
  std::optional<std::int64_t> quota_day;
  std::string quota_phone;
  std::string quota_candidate_number;
};

/// An admitted message waiting for its provider.
struct OutboxEntry {
  domain::MessageId message_id = 0;
  /// Attempts made so far.
  int attempts = 0;
  clock::TimePoint next_attempt_at;
  domain::Message message;  ///< without history
};

/// The start of a provider attempt, recorded before the provider is called.
struct AttemptStart {
  domain::MessageId message_id = 0;
  /// 1 for the first attempt.
  int attempt = 1;
  clock::TimePoint at;
};

/// The end of a send: the provider accepted (kSent) or refused for good (kFailed).
struct CompletedSend {
  domain::Status status = domain::Status::kSent;
  std::string provider_message_id;
  std::string error_code;
  std::string error_message;
  domain::StatusEvent event;
  /// The candidate whose Last Contacted moves to `event.at` in the same
  /// transaction (an accepted send from the profile); none otherwise.
  std::optional<domain::CandidateId> last_contacted;
};

/// complete_sends() input: the send of `message_id` ends as `send` says.
struct Completion {
  domain::MessageId message_id = 0;
  CompletedSend send;
};

struct ApplyOutcome {
  enum class Kind : std::uint8_t {
    kApplied,    ///< recorded; the shown status may or may not have moved
    kDuplicate,  ///< the same (message, raw status, error code) was seen before
    kParked,     ///< no message has this provider id yet; kept until one does
  };
  Kind kind = Kind::kApplied;
  std::optional<domain::MessageId> message_id;
  domain::Status before = domain::Status::kQueued;
  domain::Status after = domain::Status::kQueued;
};

/// What record_inbound() did.
struct InboundRecord {
  domain::MessageId id = 0;
  /// The same provider message id was recorded for this candidate before.
  bool repeat = false;
};

/// One page of a candidate's messages, newest first.
struct Page {
  std::vector<domain::Message> items;
  /// Opaque; pass it back for the next page. Empty when this is the last page.
  std::string next_cursor;
};

class Store {
 public:
  /// Opens or creates the database at `path` (":memory:" for tests) and migrates
  /// the schema. Errors name the path and SQLite's message.
  static Result<std::unique_ptr<Store>> open(std::string const& path, StoreOptions options = {});
  ~Store();
  Store(Store const&) = delete;
  Store& operator=(Store const&) = delete;

  int schema_version() const;

  // Candidates ------------------------------------------------------------

  /// Inserts or replaces candidates by id, in one transaction. An opt-out on
  /// record stays (only an opt-in keyword clears it) and Last Contacted never
  /// moves back. Phones are stored as given: see Messenger::upsert_candidates.
  Status upsert_candidates(std::span<domain::Candidate const> candidates);
  Result<std::optional<domain::Candidate>> find_candidate(domain::CandidateId id);
  /// Every candidate whose stored phone equals `e164` (a number may be shared).
  Result<std::vector<domain::Candidate>> candidates_by_phone(std::string_view e164);
  /// Sets the opt-out flag of every candidate owning `e164`; returns how many.
  Result<std::int64_t> set_opt_out(std::string_view e164, bool opted_out);
  /// Moves Last Contacted to `at` unless it is already later.
  Status touch_last_contacted(domain::CandidateId id, clock::TimePoint at);

  // Admission and outbox --------------------------------------------------

  /// Inserts all messages, their outbox rows (admitted ones) and quota counter
  /// increments in one transaction; returns the ids in input order.
  Result<std::vector<domain::MessageId>> admit(std::span<NewMessage const> messages);
  /// The stored counters of `day`.
  Result<std::vector<policy::QuotaCount>> quota_counts(std::int64_t day);

  /// Admitted messages not yet completed, oldest first.
  Result<std::vector<OutboxEntry>> pending_outbox(std::size_t limit = SIZE_MAX);
  /// Records, before the provider is called, that attempt number `attempt` starts
  /// at `at` (history event "attempt"), so that a crash between the call and its
  /// answer leaves a record and a resend after restart is never silent.
  Status record_attempt(domain::MessageId id, int attempt, clock::TimePoint at);
  /// The same for many attempts in one transaction. Returns the ids that are not
  /// in the outbox, which are skipped; any other error records none.
  Result<std::vector<domain::MessageId>> record_attempts(std::span<AttemptStart const> attempts);
  /// Records a failed attempt that will be retried at `next_at`.
  Status schedule_retry(domain::MessageId id, int attempts, clock::TimePoint next_at,
                        domain::StatusEvent const& event);
  /// Ends a send: removes the outbox row, sets status and provider id, appends
  /// the event, then applies callbacks parked for that provider id. Returns the
  /// parked callbacks that were applied.
  Result<std::vector<ApplyOutcome>> complete_send(domain::MessageId id, CompletedSend const& send);
  /// The same for many sends in one transaction. Returns the ids of messages that
  /// do not exist, which are skipped; any other error completes none.
  Result<std::vector<domain::MessageId>> complete_sends(std::span<Completion const> completions);

  // Callbacks and inbound -------------------------------------------------

  /// Applies one raw status: dedupes on (message, raw status, error code), keeps
  /// every new event in history, moves the shown status only forward, parks
  /// updates for unknown provider ids.
  Result<ApplyOutcome> apply_status(domain::StatusUpdate const& update);
  /// The same for many updates in one transaction.
  Result<std::vector<ApplyOutcome>> apply_statuses(std::span<domain::StatusUpdate const> updates);

  /// Records an inbound message (status kReceived) once per provider message id
  /// and candidate; a message with no candidate is kept unmatched. Returns the
  /// new id, or the existing one for a repeat.
  Result<InboundRecord> record_inbound(domain::Message const& inbound);

  // Queries ----------------------------------------------------------------

  Result<std::optional<domain::Message>> find_message(domain::MessageId id);
  Result<std::optional<domain::Message>> find_by_provider_id(std::string_view provider,
                                                             std::string_view provider_message_id);
  /// Messages tab: every e-mail and SMS of the candidate, both directions.
  Result<Page> messages_tab(domain::CandidateId id, std::string_view cursor, std::size_t limit);
  /// Text Messages: every SMS of the candidate, whatever the context.
  Result<Page> text_messages(domain::CandidateId id, std::string_view cursor, std::size_t limit);
  /// All messages in id order, with history; for reports and scenario checks.
  Result<std::vector<domain::Message>> all_messages();
  Result<std::map<domain::Status, std::int64_t>> count_by_status();
  Result<std::map<domain::BlockReason, std::int64_t>> count_by_block_reason();
  /// Callbacks waiting for their message.
  Result<std::int64_t> parked_count();

 private:
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace candor::store
