#include "core/store/store.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "core/common/log.hpp"
#include "core/store/owner_lock.hpp"
#include "core/store/schema.hpp"
#include "core/store/sqlite.hpp"

namespace candor::store {
namespace {

using clock::from_unix_ms;
using clock::to_unix_ms;
using domain::MessageId;

// The scope names stored in quota_counters. Kept here rather than taken from
// policy::to_string so the store needs only the policy header's plain structs.
std::string_view scope_name(policy::QuotaScope scope) {
  switch (scope) {
    case policy::QuotaScope::kPhone:
      return "phone";
    case policy::QuotaScope::kCandidate:
      return "candidate";
    case policy::QuotaScope::kApplication:
      return "application";
  }
  return "application";
}

std::optional<policy::QuotaScope> parse_scope(std::string_view name) {
  for (auto scope : {policy::QuotaScope::kPhone, policy::QuotaScope::kCandidate,
                     policy::QuotaScope::kApplication}) {
    if (scope_name(scope) == name) {
      return scope;
    }
  }
  return std::nullopt;
}

constexpr std::string_view kMessageColumns =
    "id, candidate_id, channel, direction, context_kind, context_id, subject, body, to_addr, "
    "from_addr, provider, provider_message_id, status, block_reason, error_code, error_message, "
    "created_ms, updated_ms";
constexpr int kMessageColumnCount = 18;

constexpr std::string_view kCandidateColumns =
    "id, candidate_number, first_name, last_name, email, phone, sms_opt_out, last_contacted_ms";

std::string message_query(std::string_view tail) {
  return fmt::format("SELECT {} FROM messages {}", kMessageColumns, tail);
}

Error damaged(std::string const& path, std::string_view table, std::int64_t id,
              std::string_view field, std::string_view value) {
  return make_error(Errc::kDataLoss, fmt::format("store '{}': {} row {}: unknown {} '{}'", path,
                                                 table, id, field, value));
}

// Reads an enumeration stored by name, or reports the damaged row.
// The row's id is in column 0, for the error message.
// Parse is one of domain::parse_*, returning std::optional<Enum>.
template <class Parse,
          class Enum = typename std::invoke_result_t<Parse, std::string_view>::value_type>
Result<Enum> read_enum(Statement::Use const& row, int column, Parse parse, std::string const& path,
                       std::string_view table, std::string_view field) {
  auto const text = row.text(column);
  auto const value = parse(text);
  if (!value) {
    return damaged(path, table, row.int64(0), field, text);
  }
  return *value;
}

// Runs a "SELECT <enumeration>, COUNT(*) ... GROUP BY" statement into a map.
// Grouped rows have no id, so a damaged value is reported against row 0.
template <class Parse,
          class Enum = typename std::invoke_result_t<Parse, std::string_view>::value_type>
Result<std::map<Enum, std::int64_t>> count_grouped(Statement& statement, Parse parse,
                                                   std::string const& path,
                                                   std::string_view field) {
  std::map<Enum, std::int64_t> counts;
  auto use = statement.use();
  for (;;) {
    auto row = use.step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return counts;
    }
    auto const name = use.text(0);
    auto const value = parse(name);
    if (!value) {
      return damaged(path, "messages", 0, field, name);
    }
    counts[*value] = use.int64(1);
  }
}

// Reads the kMessageColumns, without history.
Result<domain::Message> read_message(Statement::Use const& row, std::string const& path) {
  auto const field = [&](int column, auto parse, std::string_view name) {
    return read_enum(row, column, parse, path, "messages", name);
  };
  auto channel = field(2, domain::parse_channel, "channel");
  auto direction = field(3, domain::parse_direction, "direction");
  auto kind = field(4, domain::parse_context_kind, "context kind");
  auto status = field(12, domain::parse_status, "status");
  auto reason = field(13, domain::parse_block_reason, "block reason");
  if (!channel) {
    return channel.error();
  }
  if (!direction) {
    return direction.error();
  }
  if (!kind) {
    return kind.error();
  }
  if (!status) {
    return status.error();
  }
  if (!reason) {
    return reason.error();
  }

  domain::Message m;
  m.id = row.int64(0);
  m.candidate_id = row.optional_int64(1);
  m.channel = *channel;
  m.direction = *direction;
  m.context.kind = *kind;
  m.context.id = row.text(5);
  m.subject = row.text(6);
  m.body = row.text(7);
  m.to = row.text(8);
  m.from = row.text(9);
  m.provider = row.text(10);
  m.provider_message_id = row.text(11);
  m.status = *status;
  m.block_reason = *reason;
  m.error_code = row.text(14);
  m.error_message = row.text(15);
  m.created_at = from_unix_ms(row.int64(16));
  m.updated_at = from_unix_ms(row.int64(17));
  return m;
}

// Reads (at_ms, raw_status, status, error_code, detail) starting at `first`.
Result<domain::StatusEvent> read_event(Statement::Use const& row, int first,
                                       std::string const& path) {
  auto const status_text = row.text(first + 2);
  auto const status = domain::parse_status(status_text);
  if (!status) {
    return damaged(path, "status_events", row.int64(0), "status", status_text);
  }
  return domain::StatusEvent{.at = from_unix_ms(row.int64(first)),
                             .raw_status = row.text(first + 1),
                             .status = *status,
                             .error_code = row.text(first + 3),
                             .detail = row.text(first + 4)};
}

domain::Candidate read_candidate(Statement::Use const& row) {
  domain::Candidate c;
  c.id = row.int64(0);
  c.candidate_number = row.text(1);
  c.first_name = row.text(2);
  c.last_name = row.text(3);
  c.email = row.text(4);
  c.phone = row.text(5);
  c.sms_opt_out = row.int64(6) != 0;
  if (auto const ms = row.optional_int64(7)) {
    c.last_contacted = from_unix_ms(*ms);
  }
  return c;
}

// Cursors are the hex form of "1:<created_ms>:<id>": opaque to callers, and the
// leading version lets the format change without misreading old cursors.
// Limitation: a cursor is not signed, so an edited one pages from wherever it
// points — it only names a position in the caller's own candidate's messages.
std::string encode_cursor(std::int64_t created_ms, MessageId id) {
  auto const plain = fmt::format("1:{}:{}", created_ms, id);
  std::string out;
  out.reserve(plain.size() * 2);
  for (unsigned char c : plain) {
    out += fmt::format("{:02x}", c);
  }
  return out;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  auto const* end = text.data() + text.size();
  auto const [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

Result<std::pair<std::int64_t, MessageId>> decode_cursor(std::string_view cursor) {
  auto const bad = [&](std::string_view why) {
    return make_error(
        Errc::kInvalidArgument,
        fmt::format("store: page cursor '{}' is not valid: {}", cursor.substr(0, 80), why));
  };
  if (cursor.size() % 2 != 0 || cursor.size() > 200) {
    return bad("wrong length");
  }

  std::string plain;
  for (std::size_t i = 0; i < cursor.size(); i += 2) {
    unsigned value = 0;
    auto const [ptr, ec] = std::from_chars(cursor.data() + i, cursor.data() + i + 2, value, 16);
    if (ec != std::errc() || ptr != cursor.data() + i + 2) {
      return bad("not hexadecimal");
    }
    plain += static_cast<char>(value);
  }

  std::string_view rest = plain;
  if (!rest.starts_with("1:")) {
    return bad("unknown version");
  }
  rest.remove_prefix(2);
  auto const colon = rest.find(':');
  std::int64_t created_ms = 0;
  std::int64_t id = 0;
  if (colon == std::string_view::npos || !parse_int(rest.substr(0, colon), created_ms) ||
      !parse_int(rest.substr(colon + 1), id)) {
    return bad("damaged position");
  }
  return std::pair{created_ms, id};
}

/// Switches the database to WAL. SQLite answers with the mode it is in rather
/// than failing, e.g. on a file system without shared memory: a store that
/// silently kept a rollback journal would write far slower and lock readers out.
Status use_wal(Database& db, std::string const& path) {
  auto answer = db.query_text("PRAGMA journal_mode = WAL");
  if (!answer) {
    return std::move(answer).error();
  }
  auto const mode = answer->value_or("");
  if (mode != "wal" && !(path == ":memory:" && mode == "memory")) {
    return make_error(
        Errc::kUnavailable,
        fmt::format("store '{}': cannot use write-ahead logging (journal mode '{}')", path, mode));
  }
  return ok_status();
}

Status check_completion(MessageId id, CompletedSend const& send) {
  if (send.status != domain::Status::kSent && send.status != domain::Status::kFailed) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("store: complete_send: message {} ends with status '{}'; only "
                                  "sent or failed end a send",
                                  id, domain::to_string(send.status)));
  }
  return ok_status();
}

}  // namespace

// Impl ----------------------------------------------------------------------

class Store::Impl {
 public:
  explicit Impl(Database db) : db_(std::move(db)) {}

  Status prepare_all();

  Result<MessageId> insert_message(domain::Message const& m, domain::Status status,
                                   domain::Direction direction);
  Status insert_event(MessageId id, domain::StatusEvent const& event);
  Status insert_history(MessageId id, domain::Message const& m, std::string_view first_raw);
  Result<std::optional<std::pair<domain::Status, std::string>>> message_state(MessageId id);
  Result<ApplyOutcome> apply_one(domain::StatusUpdate const& update);
  /// An outbound message and its shown status; none when there is no such message.
  using Target = std::optional<std::pair<MessageId, domain::Status>>;
  /// The outbound message a status update is about.
  Result<Target> find_target(domain::StatusUpdate const& update);
  /// Within a write transaction; kNotFound (before any write) when the message is
  /// not in the outbox.
  Status record_attempt_one(AttemptStart const& attempt);
  /// Within a write transaction; kNotFound (before any write) when there is no
  /// such message. Returns the parked callbacks it applied.
  Result<std::vector<ApplyOutcome>> complete_one(MessageId id, CompletedSend const& send);
  Status load_history(domain::Message& m);
  Result<std::optional<domain::Message>> load_one(Statement& statement,
                                                  std::function<void(Statement::Use&)> bind);
  Result<Page> page(Statement& first, Statement& after, domain::CandidateId id,
                    std::string_view cursor, std::size_t limit);

  std::mutex mutex_;
  /// Declared before the connection, so that it is released after the
  /// connection has closed.
  std::optional<OwnerLock> owner_;
  Database db_;

  Statement upsert_candidate_;
  Statement select_candidate_;
  Statement candidates_by_phone_;
  Statement set_opt_out_;
  Statement touch_last_contacted_;

  Statement insert_message_;
  Statement insert_event_;
  Statement insert_outbox_;
  Statement bump_quota_;
  Statement quota_counts_;

  Statement pending_outbox_;
  Statement record_attempt_;
  Statement schedule_retry_;
  Statement delete_outbox_;
  Statement message_state_;
  Statement touch_message_;
  Statement complete_message_;

  Statement find_outbound_;
  Statement find_own_outbound_;
  Statement insert_seen_;
  Statement set_status_;
  Statement set_failed_;
  Statement park_;
  Statement parked_for_;
  Statement delete_parked_;
  Statement find_inbound_;

  Statement select_message_;
  Statement select_by_provider_id_;
  Statement events_of_;
  Statement all_messages_;
  Statement all_events_;
  Statement tab_first_;
  Statement tab_after_;
  Statement text_first_;
  Statement text_after_;
  Statement count_status_;
  Statement count_reason_;
  Statement parked_count_;
};

Status Store::Impl::prepare_all() {
  // Row values in tab_after_ compare (created_ms, id) lexicographically, which
  // the messages_by_candidate index serves as a range scan.
  std::pair<Statement*, std::string> const statements[] = {
      {&upsert_candidate_,
       "INSERT INTO candidates (id, candidate_number, first_name, last_name, email, phone, "
       "sms_opt_out, last_contacted_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
       "ON CONFLICT (id) DO UPDATE SET candidate_number = excluded.candidate_number, "
       "first_name = excluded.first_name, last_name = excluded.last_name, "
       "email = excluded.email, phone = excluded.phone, "
       "sms_opt_out = MAX(sms_opt_out, excluded.sms_opt_out), "
       "last_contacted_ms = MAX(COALESCE(last_contacted_ms, excluded.last_contacted_ms), "
       "COALESCE(excluded.last_contacted_ms, last_contacted_ms))"},
      {&select_candidate_,
       fmt::format("SELECT {} FROM candidates WHERE id = ?1", kCandidateColumns)},
      {&candidates_by_phone_,
       fmt::format("SELECT {} FROM candidates WHERE phone = ?1 ORDER BY id", kCandidateColumns)},
      {&set_opt_out_, "UPDATE candidates SET sms_opt_out = ?2 WHERE phone = ?1"},
      {&touch_last_contacted_,
       "UPDATE candidates SET last_contacted_ms = MAX(COALESCE(last_contacted_ms, ?2), ?2) "
       "WHERE id = ?1"},

      {&insert_message_,
       "INSERT INTO messages (candidate_id, channel, direction, context_kind, context_id, "
       "subject, body, to_addr, from_addr, provider, provider_message_id, status, block_reason, "
       "error_code, error_message, created_ms, updated_ms) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"},
      {&insert_event_,
       "INSERT INTO status_events (message_id, at_ms, raw_status, status, error_code, detail) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&insert_outbox_,
       "INSERT INTO outbox (message_id, attempts, next_attempt_ms) VALUES (?1, 0, ?2)"},
      {&bump_quota_,
       "INSERT INTO quota_counters (day, scope, key, count) VALUES (?1, ?2, ?3, ?4) "
       "ON CONFLICT (day, scope, key) DO UPDATE SET count = count + excluded.count"},
      {&quota_counts_,
       "SELECT scope, key, count FROM quota_counters WHERE day = ?1 ORDER BY scope, key"},

      // The outbox columns follow the message columns so read_message applies.
      {&pending_outbox_,
       fmt::format("SELECT {}, o.attempts, o.next_attempt_ms FROM outbox o "
                   "JOIN messages ON messages.id = o.message_id ORDER BY o.message_id LIMIT ?1",
                   kMessageColumns)},
      {&record_attempt_, "UPDATE outbox SET attempts = MAX(attempts, ?2) WHERE message_id = ?1"},
      {&schedule_retry_,
       "UPDATE outbox SET attempts = ?2, next_attempt_ms = ?3 WHERE message_id = ?1"},
      {&delete_outbox_, "DELETE FROM outbox WHERE message_id = ?1"},
      {&message_state_, "SELECT id, status, provider FROM messages WHERE id = ?1"},
      {&touch_message_, "UPDATE messages SET updated_ms = MAX(updated_ms, ?2) WHERE id = ?1"},
      {&complete_message_,
       "UPDATE messages SET status = ?2, provider_message_id = ?3, error_code = ?4, "
       "error_message = ?5, updated_ms = MAX(updated_ms, ?6) WHERE id = ?1"},

      {&find_outbound_,
       "SELECT id, status FROM messages WHERE provider = ?1 AND provider_message_id = ?2 "
       "AND provider_message_id <> '' AND direction = 'outbound' ORDER BY id LIMIT 1"},
      {&find_own_outbound_,
       "SELECT id, status FROM messages WHERE id = ?2 AND provider = ?1 "
       "AND direction = 'outbound'"},
      {&insert_seen_,
       "INSERT OR IGNORE INTO seen_callbacks (message_id, raw_status, error_code) "
       "VALUES (?1, ?2, ?3)"},
      {&set_status_,
       "UPDATE messages SET status = ?2, updated_ms = MAX(updated_ms, ?3) WHERE id = ?1"},
      {&set_failed_,
       "UPDATE messages SET status = ?2, updated_ms = MAX(updated_ms, ?3), error_code = ?4, "
       "error_message = ?5 WHERE id = ?1"},
      {&park_,
       "INSERT INTO parked_callbacks (provider, provider_message_id, kind, raw_status, "
       "error_code, detail, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&parked_for_,
       "SELECT id, kind, raw_status, error_code, detail, at_ms FROM parked_callbacks "
       "WHERE provider = ?1 AND provider_message_id = ?2 ORDER BY id"},
      {&delete_parked_,
       "DELETE FROM parked_callbacks WHERE provider = ?1 AND provider_message_id = ?2"},
      {&find_inbound_,
       "SELECT id FROM messages WHERE provider = ?1 AND provider_message_id = ?2 "
       "AND provider_message_id <> '' AND direction = 'inbound' AND candidate_id IS ?3 "
       "ORDER BY id LIMIT 1"},

      {&select_message_, message_query("WHERE id = ?1")},
      {&select_by_provider_id_, message_query("WHERE provider = ?1 AND provider_message_id = ?2 "
                                              "AND provider_message_id <> '' ORDER BY id LIMIT 1")},
      {&events_of_,
       "SELECT at_ms, raw_status, status, error_code, detail FROM status_events "
       "WHERE message_id = ?1 ORDER BY id"},
      {&all_messages_, message_query("ORDER BY id")},
      {&all_events_,
       "SELECT message_id, at_ms, raw_status, status, error_code, detail FROM status_events "
       "ORDER BY message_id, id"},
      {&tab_first_,
       message_query("WHERE candidate_id = ?1 ORDER BY created_ms DESC, id DESC LIMIT ?4")},
      {&tab_after_, message_query("WHERE candidate_id = ?1 AND (created_ms, id) < (?2, ?3) "
                                  "ORDER BY created_ms DESC, id DESC LIMIT ?4")},
      {&text_first_, message_query("WHERE candidate_id = ?1 AND channel = 'sms' "
                                   "ORDER BY created_ms DESC, id DESC LIMIT ?4")},
      {&text_after_,
       message_query("WHERE candidate_id = ?1 AND channel = 'sms' AND (created_ms, id) < (?2, ?3) "
                     "ORDER BY created_ms DESC, id DESC LIMIT ?4")},
      {&count_status_, "SELECT status, COUNT(*) FROM messages GROUP BY status"},
      {&count_reason_,
       "SELECT block_reason, COUNT(*) FROM messages WHERE block_reason <> 'none' "
       "GROUP BY block_reason"},
      {&parked_count_, "SELECT COUNT(*) FROM parked_callbacks"},
  };

  for (auto const& [target, sql] : statements) {
    auto statement = Statement::prepare(db_, sql);
    if (!statement) {
      return std::move(statement).error();
    }
    *target = std::move(*statement);
  }
  return ok_status();
}

Result<MessageId> Store::Impl::insert_message(domain::Message const& m, domain::Status status,
                                              domain::Direction direction) {
  auto use = insert_message_.use();
  use.bind(1, m.candidate_id)
      .bind(2, domain::to_string(m.channel))
      .bind(3, domain::to_string(direction))
      .bind(4, domain::to_string(m.context.kind))
      .bind(5, m.context.id)
      .bind(6, m.subject)
      .bind(7, m.body)
      .bind(8, m.to)
      .bind(9, m.from)
      .bind(10, m.provider)
      .bind(11, m.provider_message_id)
      .bind(12, domain::to_string(status))
      .bind(13, domain::to_string(m.block_reason))
      .bind(14, m.error_code)
      .bind(15, m.error_message)
      .bind(16, to_unix_ms(m.created_at))
      .bind(17, to_unix_ms(std::max(m.updated_at, m.created_at)));
  CANDOR_RETURN_IF_ERROR(use.run());
  return db_.last_insert_rowid();
}

Status Store::Impl::insert_event(MessageId id, domain::StatusEvent const& event) {
  auto use = insert_event_.use();
  use.bind(1, id)
      .bind(2, to_unix_ms(event.at))
      .bind(3, event.raw_status)
      .bind(4, domain::to_string(event.status))
      .bind(5, event.error_code)
      .bind(6, event.detail);
  return use.run();
}

Status Store::Impl::insert_history(MessageId id, domain::Message const& m,
                                   std::string_view first_raw) {
  // A message always starts its history; callers that gave none get one event
  // that says how the message entered the store.
  if (m.history.empty()) {
    auto const detail = m.block_reason == domain::BlockReason::kNone
                            ? std::string()
                            : std::string(domain::to_string(m.block_reason));
    return insert_event(id, {.at = m.created_at,
                             .raw_status = std::string(first_raw),
                             .status = m.status,
                             .detail = detail});
  }
  for (auto const& event : m.history) {
    CANDOR_RETURN_IF_ERROR(insert_event(id, event));
  }
  return ok_status();
}

Result<std::optional<std::pair<domain::Status, std::string>>> Store::Impl::message_state(
    MessageId id) {
  auto use = message_state_.use();
  use.bind(1, id);
  auto row = use.step();
  if (!row) {
    return std::move(row).error();
  }
  if (!*row) {
    return std::optional<std::pair<domain::Status, std::string>>();
  }
  auto status = read_enum(use, 1, domain::parse_status, db_.path(), "messages", "status");
  if (!status) {
    return status.error();
  }
  return std::optional(std::pair{*status, use.text(2)});
}

Result<Store::Impl::Target> Store::Impl::find_target(domain::StatusUpdate const& update) {
  auto read = [this](Statement::Use& use) -> Result<Target> {
    auto row = use.step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return Target();
    }
    auto status = read_enum(use, 1, domain::parse_status, db_.path(), "messages", "status");
    if (!status) {
      return status.error();
    }
    return Target(std::pair{use.int64(0), *status});
  };

  auto use = find_outbound_.use();
  use.bind(1, update.provider).bind(2, update.provider_message_id);
  auto found = read(use);
  if (!found || *found || !update.message_id) {
    return found;
  }
  // The provider echoes our own id: that finds a message whose provider id a
  // restart lost between the provider's answer and the store.
  auto own = find_own_outbound_.use();
  own.bind(1, update.provider).bind(2, *update.message_id);
  return read(own);
}

Result<ApplyOutcome> Store::Impl::apply_one(domain::StatusUpdate const& update) {
  if (update.provider_message_id.empty()) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("store: status '{}' from provider '{}' has no provider message "
                                  "id",
                                  update.raw_status, update.provider));
  }

  auto target = find_target(update);
  if (!target) {
    return std::move(target).error();
  }
  auto const& found = *target;
  if (!found) {
    auto use = park_.use();
    use.bind(1, update.provider)
        .bind(2, update.provider_message_id)
        .bind(3, domain::to_string(update.kind))
        .bind(4, update.raw_status)
        .bind(5, update.error_code)
        .bind(6, update.detail)
        .bind(7, to_unix_ms(update.at));
    CANDOR_RETURN_IF_ERROR(use.run());
    return ApplyOutcome{.kind = ApplyOutcome::Kind::kParked};
  }

  auto const [id, before] = *found;
  {
    auto use = insert_seen_.use();
    use.bind(1, id).bind(2, update.raw_status).bind(3, update.error_code);
    CANDOR_RETURN_IF_ERROR(use.run());
  }
  if (db_.changes() == 0) {
    return ApplyOutcome{.kind = ApplyOutcome::Kind::kDuplicate,
                        .message_id = id,
                        .before = before,
                        .after = before};
  }

  // An unknown raw status moves nothing but is still kept in history.
  auto const mapped = domain::map_raw_status(update.kind, update.raw_status);
  auto const after = mapped ? domain::next_status(before, *mapped) : before;
  CANDOR_RETURN_IF_ERROR(insert_event(id, {.at = update.at,
                                           .raw_status = "callback:" + update.raw_status,
                                           .status = after,
                                           .error_code = update.error_code,
                                           .detail = update.detail}));

  if (after == domain::Status::kFailed && before != after) {
    auto use = set_failed_.use();
    use.bind(1, id)
        .bind(2, domain::to_string(after))
        .bind(3, to_unix_ms(update.at))
        .bind(4, update.error_code)
        .bind(5, update.detail);
    CANDOR_RETURN_IF_ERROR(use.run());
  } else {
    auto use = set_status_.use();
    use.bind(1, id).bind(2, domain::to_string(after)).bind(3, to_unix_ms(update.at));
    CANDOR_RETURN_IF_ERROR(use.run());
  }
  return ApplyOutcome{
      .kind = ApplyOutcome::Kind::kApplied, .message_id = id, .before = before, .after = after};
}

Status Store::Impl::load_history(domain::Message& m) {
  auto use = events_of_.use();
  use.bind(1, m.id);
  for (;;) {
    auto row = use.step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return ok_status();
    }
    auto event = read_event(use, 0, db_.path());
    if (!event) {
      return std::move(event).error();
    }
    m.history.push_back(std::move(*event));
  }
}

Result<std::optional<domain::Message>> Store::Impl::load_one(
    Statement& statement, std::function<void(Statement::Use&)> bind) {
  auto transaction = Transaction::begin(db_, Transaction::Mode::kRead);
  if (!transaction) {
    return std::move(transaction).error();
  }

  std::optional<domain::Message> found;
  {
    auto use = statement.use();
    bind(use);
    auto row = use.step();
    if (!row) {
      return std::move(row).error();
    }
    if (*row) {
      auto message = read_message(use, db_.path());
      if (!message) {
        return std::move(message).error();
      }
      found = std::move(*message);
    }
  }

  if (found) {
    CANDOR_RETURN_IF_ERROR(load_history(*found));
  }
  CANDOR_RETURN_IF_ERROR(transaction->commit());
  return found;
}

Result<Page> Store::Impl::page(Statement& first, Statement& after, domain::CandidateId id,
                               std::string_view cursor, std::size_t limit) {
  if (limit == 0) {
    return make_error(Errc::kInvalidArgument, "store: page limit must be at least 1");
  }
  std::optional<std::pair<std::int64_t, MessageId>> position;
  if (!cursor.empty()) {
    auto decoded = decode_cursor(cursor);
    if (!decoded) {
      return std::move(decoded).error();
    }
    position = *decoded;
  }

  auto transaction = Transaction::begin(db_, Transaction::Mode::kRead);
  if (!transaction) {
    return std::move(transaction).error();
  }

  // One row more than asked tells whether another page follows.
  auto const capped = std::min<std::size_t>(limit, std::numeric_limits<std::int32_t>::max());
  Page page;
  bool more = false;
  {
    auto use = position ? after.use() : first.use();
    use.bind(1, id).bind(4, static_cast<std::int64_t>(capped) + 1);
    if (position) {
      use.bind(2, position->first).bind(3, position->second);
    }
    for (;;) {
      auto row = use.step();
      if (!row) {
        return std::move(row).error();
      }
      if (!*row) {
        break;
      }
      if (page.items.size() == capped) {
        more = true;
        break;
      }
      auto message = read_message(use, db_.path());
      if (!message) {
        return std::move(message).error();
      }
      page.items.push_back(std::move(*message));
    }
  }

  for (auto& message : page.items) {
    CANDOR_RETURN_IF_ERROR(load_history(message));
  }
  CANDOR_RETURN_IF_ERROR(transaction->commit());
  if (more) {
    auto const& last = page.items.back();
    page.next_cursor = encode_cursor(to_unix_ms(last.created_at), last.id);
  }
  return page;
}

// Store ---------------------------------------------------------------------

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(std::string const& path, StoreOptions options) {
  std::optional<OwnerLock> owner;
  if (options.owner && path != ":memory:") {
    auto taken = OwnerLock::take(path);
    if (!taken) {
      return std::move(taken).error();
    }
    owner.emplace(std::move(*taken));
  }
  auto db = Database::open(path);
  if (!db) {
    return std::move(db).error();
  }

  // The busy timeout comes first so that the pragmas below already wait for a
  // lock held by another process instead of failing.
  sqlite3_busy_timeout(db->handle(), options.busy_timeout_ms);
  CANDOR_RETURN_IF_ERROR(use_wal(*db, path));
  CANDOR_RETURN_IF_ERROR(db->exec("PRAGMA foreign_keys = ON"));
  CANDOR_RETURN_IF_ERROR(db->exec(options.synchronous_full ? "PRAGMA synchronous = FULL"
                                                           : "PRAGMA synchronous = NORMAL"));
  // PRAGMA takes no bound parameters; the value is a number from the options.
  CANDOR_RETURN_IF_ERROR(
      db->exec(fmt::format("PRAGMA cache_size = {}", -std::max(options.cache_size_kib, 64))));
  CANDOR_RETURN_IF_ERROR(migrate(*db));

  auto impl = std::make_unique<Impl>(std::move(*db));
  impl->owner_ = std::move(owner);
  CANDOR_RETURN_IF_ERROR(impl->prepare_all());
  log::get("store").info("opened path={} schema_version={} synchronous={}", path,
                         latest_schema_version(), options.synchronous_full ? "full" : "normal");
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

int Store::schema_version() const {
  std::lock_guard lock(impl_->mutex_);
  auto const version = read_schema_version(impl_->db_);
  return version ? *version : -1;
}

Status Store::upsert_candidates(std::span<domain::Candidate const> candidates) {
  std::lock_guard lock(impl_->mutex_);
  auto transaction = Transaction::begin(impl_->db_, Transaction::Mode::kWrite);
  if (!transaction) {
    return std::move(transaction).error();
  }

  for (auto const& c : candidates) {
    std::optional<std::int64_t> last_contacted;
    if (c.last_contacted) {
      last_contacted = to_unix_ms(*c.last_contacted);
    }
    auto use = impl_->upsert_candidate_.use();
    use.bind(1, c.id)
        .bind(2, c.candidate_number)
        .bind(3, c.first_name)
        .bind(4, c.last_name)
        .bind(5, c.email)
        .bind(6, c.phone)
        .bind(7, c.sms_opt_out ? 1 : 0)
        .bind(8, last_contacted);
    CANDOR_RETURN_IF_ERROR(use.run());
  }
  return transaction->commit();
}

Result<std::optional<domain::Candidate>> Store::find_candidate(domain::CandidateId id) {
  std::lock_guard lock(impl_->mutex_);
  auto use = impl_->select_candidate_.use();
  use.bind(1, id);
  auto row = use.step();
  if (!row) {
    return std::move(row).error();
  }
  if (!*row) {
    return std::optional<domain::Candidate>();
  }
  return std::optional(read_candidate(use));
}

Result<std::vector<domain::Candidate>> Store::candidates_by_phone(std::string_view e164) {
  std::lock_guard lock(impl_->mutex_);
  std::vector<domain::Candidate> found;
  auto use = impl_->candidates_by_phone_.use();
  use.bind(1, e164);
  for (;;) {
    auto row = use.step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return found;
    }
    found.push_back(read_candidate(use));
  }
}

Result<std::int64_t> Store::set_opt_out(std::string_view e164, bool opted_out) {
  std::lock_guard lock(impl_->mutex_);
  auto use = impl_->set_opt_out_.use();
  use.bind(1, e164).bind(2, opted_out ? 1 : 0);
  CANDOR_RETURN_IF_ERROR(use.run());
  return impl_->db_.changes();
}

Status Store::touch_last_contacted(domain::CandidateId id, clock::TimePoint at) {
  std::lock_guard lock(impl_->mutex_);
  auto use = impl_->touch_last_contacted_.use();
  use.bind(1, id).bind(2, to_unix_ms(at));
  CANDOR_RETURN_IF_ERROR(use.run());
  if (impl_->db_.changes() == 0) {
    return make_error(Errc::kNotFound, fmt::format("store: no candidate with id {}", id));
  }
  return ok_status();
}

Result<std::vector<MessageId>> Store::admit(std::span<NewMessage const> messages) {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto const status = messages[i].message.status;
    if (status != domain::Status::kQueued && status != domain::Status::kBlocked) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("store: admit: message #{} has status '{}'; only queued or "
                                    "blocked messages can be admitted",
                                    i, domain::to_string(status)));
    }
  }

  std::lock_guard lock(impl_->mutex_);
  auto transaction = Transaction::begin(impl_->db_, Transaction::Mode::kWrite);
  if (!transaction) {
    return std::move(transaction).error();
  }

  // Counters are summed per key first: one upsert per key instead of one per
  // message keeps large batches fast.
  std::map<std::tuple<std::int64_t, policy::QuotaScope, std::string>, std::int64_t> increments;
  std::vector<MessageId> ids;
  ids.reserve(messages.size());
  for (auto const& entry : messages) {
    auto const& m = entry.message;
    bool const queued = m.status == domain::Status::kQueued;
    auto id = impl_->insert_message(m, m.status, domain::Direction::kOutbound);
    if (!id) {
      return std::move(id).error();
    }
    CANDOR_RETURN_IF_ERROR(impl_->insert_history(*id, m, queued ? "admitted" : "blocked"));
    ids.push_back(*id);
    if (!queued) {
      continue;
    }

    auto use = impl_->insert_outbox_.use();
    use.bind(1, *id).bind(2, to_unix_ms(m.created_at));
    CANDOR_RETURN_IF_ERROR(use.run());
    if (entry.quota_day) {
      auto const day = *entry.quota_day;
      ++increments[{day, policy::QuotaScope::kApplication, std::string()}];
      if (!entry.quota_phone.empty()) {
        ++increments[{day, policy::QuotaScope::kPhone, entry.quota_phone}];
      }
      if (!entry.quota_candidate_number.empty()) {
        ++increments[{day, policy::QuotaScope::kCandidate, entry.quota_candidate_number}];
      }
    }
  }

  for (auto const& [key, count] : increments) {
    auto const& [day, scope, name] = key;
    auto use = impl_->bump_quota_.use();
    use.bind(1, day).bind(2, scope_name(scope)).bind(3, name).bind(4, count);
    CANDOR_RETURN_IF_ERROR(use.run());
  }
  CANDOR_RETURN_IF_ERROR(transaction->commit());
  return ids;
}

Result<std::vector<policy::QuotaCount>> Store::quota_counts(std::int64_t day) {
  std::lock_guard lock(impl_->mutex_);
  std::vector<policy::QuotaCount> counts;
  auto use = impl_->quota_counts_.use();
  use.bind(1, day);
  for (;;) {
    auto row = use.step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return counts;
    }
    auto const name = use.text(0);
    auto const scope = parse_scope(name);
    if (!scope) {
      return damaged(impl_->db_.path(), "quota_counters", day, "scope", name);
    }
    counts.push_back({.scope = *scope, .key = use.text(1), .count = use.int64(2)});
  }
}

Result<std::vector<OutboxEntry>> Store::pending_outbox(std::size_t limit) {
  std::lock_guard lock(impl_->mutex_);
  auto const capped = static_cast<std::int64_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
  std::vector<OutboxEntry> entries;
  auto use = impl_->pending_outbox_.use();
  use.bind(1, capped);
  for (;;) {
    auto row = use.step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return entries;
    }

    auto message = read_message(use, impl_->db_.path());
    if (!message) {
      return std::move(message).error();
    }
    entries.push_back({.message_id = message->id,
                       .attempts = static_cast<int>(use.int64(kMessageColumnCount)),
                       .next_attempt_at = from_unix_ms(use.int64(kMessageColumnCount + 1)),
                       .message = std::move(*message)});
  }
}

Status Store::Impl::record_attempt_one(AttemptStart const& attempt) {
  auto const id = attempt.message_id;
  {
    auto use = record_attempt_.use();
    use.bind(1, id).bind(2, attempt.attempt);
    CANDOR_RETURN_IF_ERROR(use.run());
  }
  if (db_.changes() == 0) {
    return make_error(Errc::kNotFound,
                      fmt::format("store: record_attempt: message {} is not in the outbox", id));
  }

  auto state = message_state(id);
  if (!state) {
    return std::move(state).error();
  }
  CANDOR_RETURN_IF_ERROR(insert_event(id, {.at = attempt.at,
                                           .raw_status = "attempt",
                                           .status = (*state)->first,
                                           .detail = fmt::format("attempt {}", attempt.attempt)}));
  auto use = touch_message_.use();
  use.bind(1, id).bind(2, to_unix_ms(attempt.at));
  return use.run();
}

Status Store::record_attempt(MessageId id, int attempt, clock::TimePoint at) {
  std::lock_guard lock(impl_->mutex_);
  auto transaction = Transaction::begin(impl_->db_, Transaction::Mode::kWrite);
  if (!transaction) {
    return std::move(transaction).error();
  }
  CANDOR_RETURN_IF_ERROR(
      impl_->record_attempt_one({.message_id = id, .attempt = attempt, .at = at}));
  return transaction->commit();
}

Result<std::vector<MessageId>> Store::record_attempts(std::span<AttemptStart const> attempts) {
  std::lock_guard lock(impl_->mutex_);
  auto transaction = Transaction::begin(impl_->db_, Transaction::Mode::kWrite);
  if (!transaction) {
    return std::move(transaction).error();
  }
  std::vector<MessageId> skipped;
  for (auto const& attempt : attempts) {
    auto recorded = impl_->record_attempt_one(attempt);
    if (!recorded && recorded.error().code == Errc::kNotFound) {
      skipped.push_back(attempt.message_id);
    } else if (!recorded) {
      return std::move(recorded).error();
    }
  }
  CANDOR_RETURN_IF_ERROR(transaction->commit());
  return skipped;
}

Status Store::schedule_retry(MessageId id, int attempts, clock::TimePoint next_at,
                             domain::StatusEvent const& event) {
  std::lock_guard lock(impl_->mutex_);
  auto transaction = Transaction::begin(impl_->db_, Transaction::Mode::kWrite);
  if (!transaction) {
    return std::move(transaction).error();
  }

  {
    auto use = impl_->schedule_retry_.use();
    use.bind(1, id).bind(2, attempts).bind(3, to_unix_ms(next_at));
    CANDOR_RETURN_IF_ERROR(use.run());
  }
  if (impl_->db_.changes() == 0) {
    return make_error(Errc::kNotFound,
                      fmt::format("store: schedule_retry: message {} is not in the outbox", id));
  }

  // The message waits in the outbox, so its shown status is unchanged whatever
  // the caller put in the event.
  auto state = impl_->message_state(id);
  if (!state) {
    return std::move(state).error();
  }
  auto stored = event;
  stored.status = (*state)->first;
  CANDOR_RETURN_IF_ERROR(impl_->insert_event(id, stored));
  {
    auto use = impl_->touch_message_.use();
    use.bind(1, id).bind(2, to_unix_ms(event.at));
    CANDOR_RETURN_IF_ERROR(use.run());
  }
  return transaction->commit();
}

Result<std::vector<ApplyOutcome>> Store::Impl::complete_one(MessageId id,
                                                            CompletedSend const& send) {
  auto state = message_state(id);
  if (!state) {
    return std::move(state).error();
  }
  if (!*state) {
    return make_error(Errc::kNotFound, fmt::format("store: complete_send: no message {}", id));
  }
  auto const [before, provider] = **state;
  auto const after = domain::next_status(before, send.status);

  {
    auto use = delete_outbox_.use();
    use.bind(1, id);
    CANDOR_RETURN_IF_ERROR(use.run());
  }
  {
    auto use = complete_message_.use();
    use.bind(1, id)
        .bind(2, domain::to_string(after))
        .bind(3, send.provider_message_id)
        .bind(4, send.error_code)
        .bind(5, send.error_message)
        .bind(6, to_unix_ms(send.event.at));
    CANDOR_RETURN_IF_ERROR(use.run());
  }
  auto event = send.event;
  event.status = after;
  CANDOR_RETURN_IF_ERROR(insert_event(id, event));
  if (send.last_contacted) {
    auto use = touch_last_contacted_.use();
    use.bind(1, *send.last_contacted).bind(2, to_unix_ms(send.event.at));
    CANDOR_RETURN_IF_ERROR(use.run());
  }

  // Callbacks that raced ahead of the provider's answer are applied now, in the
  // order they arrived, through the same dedupe and forward-only rules.
  std::vector<ApplyOutcome> outcomes;
  if (!send.provider_message_id.empty()) {
    std::vector<domain::StatusUpdate> parked;
    {
      auto use = parked_for_.use();
      use.bind(1, provider).bind(2, send.provider_message_id);
      for (;;) {
        auto row = use.step();
        if (!row) {
          return std::move(row).error();
        }
        if (!*row) {
          break;
        }
        auto const kind_name = use.text(1);
        auto const kind = domain::parse_provider_kind(kind_name);
        if (!kind) {
          return damaged(db_.path(), "parked_callbacks", use.int64(0), "provider kind", kind_name);
        }
        parked.push_back({.provider = provider,
                          .kind = *kind,
                          .provider_message_id = send.provider_message_id,
                          .raw_status = use.text(2),
                          .error_code = use.text(3),
                          .detail = use.text(4),
                          .at = from_unix_ms(use.int64(5))});
      }
    }
    if (!parked.empty()) {
      auto use = delete_parked_.use();
      use.bind(1, provider).bind(2, send.provider_message_id);
      CANDOR_RETURN_IF_ERROR(use.run());
    }
    for (auto const& update : parked) {
      auto outcome = apply_one(update);
      if (!outcome) {
        return std::move(outcome).error();
      }
      outcomes.push_back(*outcome);
    }
  }

  return outcomes;
}

Result<std::vector<ApplyOutcome>> Store::complete_send(MessageId id, CompletedSend const& send) {
  CANDOR_RETURN_IF_ERROR(check_completion(id, send));
  std::lock_guard lock(impl_->mutex_);
  auto transaction = Transaction::begin(impl_->db_, Transaction::Mode::kWrite);
  if (!transaction) {
    return std::move(transaction).error();
  }
  auto outcomes = impl_->complete_one(id, send);
  if (!outcomes) {
    return std::move(outcomes).error();
  }
  CANDOR_RETURN_IF_ERROR(transaction->commit());
  return outcomes;
}

Result<std::vector<MessageId>> Store::complete_sends(std::span<Completion const> completions) {
  for (auto const& completion : completions) {
    CANDOR_RETURN_IF_ERROR(check_completion(completion.message_id, completion.send));
  }
  std::lock_guard lock(impl_->mutex_);
  auto transaction = Transaction::begin(impl_->db_, Transaction::Mode::kWrite);
  if (!transaction) {
    return std::move(transaction).error();
  }
  std::vector<MessageId> skipped;
  for (auto const& completion : completions) {
    auto completed = impl_->complete_one(completion.message_id, completion.send);
    if (!completed && completed.error().code == Errc::kNotFound) {
      skipped.push_back(completion.message_id);
    } else if (!completed) {
      return std::move(completed).error();
    }
  }
  CANDOR_RETURN_IF_ERROR(transaction->commit());
  return skipped;
}

Result<ApplyOutcome> Store::apply_status(domain::StatusUpdate const& update) {
  auto outcomes = apply_statuses(std::span(&update, 1));
  if (!outcomes) {
    return std::move(outcomes).error();
  }
  return outcomes->front();
}

Result<std::vector<ApplyOutcome>> Store::apply_statuses(
    std::span<domain::StatusUpdate const> updates) {
  std::lock_guard lock(impl_->mutex_);
  auto transaction = Transaction::begin(impl_->db_, Transaction::Mode::kWrite);
  if (!transaction) {
    return std::move(transaction).error();
  }

  std::vector<ApplyOutcome> outcomes;
  outcomes.reserve(updates.size());
  for (auto const& update : updates) {
    auto outcome = impl_->apply_one(update);
    if (!outcome) {
      return std::move(outcome).error();
    }
    outcomes.push_back(*outcome);
  }
  CANDOR_RETURN_IF_ERROR(transaction->commit());
  return outcomes;
}

Result<InboundRecord> Store::record_inbound(domain::Message const& inbound) {
  std::lock_guard lock(impl_->mutex_);
  auto transaction = Transaction::begin(impl_->db_, Transaction::Mode::kWrite);
  if (!transaction) {
    return std::move(transaction).error();
  }

  // Without a provider id there is nothing to recognise a repeat by.
  if (!inbound.provider_message_id.empty()) {
    auto use = impl_->find_inbound_.use();
    use.bind(1, inbound.provider)
        .bind(2, inbound.provider_message_id)
        .bind(3, inbound.candidate_id);
    auto row = use.step();
    if (!row) {
      return std::move(row).error();
    }
    if (*row) {
      return InboundRecord{.id = use.int64(0), .repeat = true};
    }
  }

  auto received = inbound;
  received.status = domain::Status::kReceived;
  auto id = impl_->insert_message(received, domain::Status::kReceived, domain::Direction::kInbound);
  if (!id) {
    return std::move(id).error();
  }
  CANDOR_RETURN_IF_ERROR(impl_->insert_history(*id, received, "received"));
  CANDOR_RETURN_IF_ERROR(transaction->commit());
  return InboundRecord{.id = *id};
}

Result<std::optional<domain::Message>> Store::find_message(MessageId id) {
  std::lock_guard lock(impl_->mutex_);
  return impl_->load_one(impl_->select_message_, [&](Statement::Use& use) { use.bind(1, id); });
}

Result<std::optional<domain::Message>> Store::find_by_provider_id(
    std::string_view provider, std::string_view provider_message_id) {
  std::lock_guard lock(impl_->mutex_);
  return impl_->load_one(impl_->select_by_provider_id_, [&](Statement::Use& use) {
    use.bind(1, provider).bind(2, provider_message_id);
  });
}

Result<Page> Store::messages_tab(domain::CandidateId id, std::string_view cursor,
                                 std::size_t limit) {
  std::lock_guard lock(impl_->mutex_);
  return impl_->page(impl_->tab_first_, impl_->tab_after_, id, cursor, limit);
}

Result<Page> Store::text_messages(domain::CandidateId id, std::string_view cursor,
                                  std::size_t limit) {
  std::lock_guard lock(impl_->mutex_);
  return impl_->page(impl_->text_first_, impl_->text_after_, id, cursor, limit);
}

Result<std::vector<domain::Message>> Store::all_messages() {
  std::lock_guard lock(impl_->mutex_);
  auto transaction = Transaction::begin(impl_->db_, Transaction::Mode::kRead);
  if (!transaction) {
    return std::move(transaction).error();
  }

  std::vector<domain::Message> messages;
  {
    auto use = impl_->all_messages_.use();
    for (;;) {
      auto row = use.step();
      if (!row) {
        return std::move(row).error();
      }
      if (!*row) {
        break;
      }
      auto message = read_message(use, impl_->db_.path());
      if (!message) {
        return std::move(message).error();
      }
      messages.push_back(std::move(*message));
    }
  }

  // Both lists are in message id order, so the events are merged in one pass.
  {
    auto use = impl_->all_events_.use();
    std::size_t at = 0;
    for (;;) {
      auto row = use.step();
      if (!row) {
        return std::move(row).error();
      }
      if (!*row) {
        break;
      }
      auto const message_id = use.int64(0);
      while (at < messages.size() && messages[at].id < message_id) {
        ++at;
      }
      if (at == messages.size() || messages[at].id != message_id) {
        continue;
      }
      auto event = read_event(use, 1, impl_->db_.path());
      if (!event) {
        return std::move(event).error();
      }
      messages[at].history.push_back(std::move(*event));
    }
  }
  CANDOR_RETURN_IF_ERROR(transaction->commit());
  return messages;
}

Result<std::map<domain::Status, std::int64_t>> Store::count_by_status() {
  std::lock_guard lock(impl_->mutex_);
  return count_grouped(impl_->count_status_, domain::parse_status, impl_->db_.path(), "status");
}

Result<std::map<domain::BlockReason, std::int64_t>> Store::count_by_block_reason() {
  std::lock_guard lock(impl_->mutex_);
  return count_grouped(impl_->count_reason_, domain::parse_block_reason, impl_->db_.path(),
                       "block reason");
}

Result<std::int64_t> Store::parked_count() {
  std::lock_guard lock(impl_->mutex_);
  auto use = impl_->parked_count_.use();
  auto row = use.step();
  if (!row) {
    return std::move(row).error();
  }
  return *row ? use.int64(0) : 0;
}

}  // namespace candor::store
