#include "core/store/schema.hpp"

#include <array>
#include <string_view>

#include <fmt/format.h>

namespace candor::store {
namespace {

// Enumerations are stored by their stable names (domain::to_string) so that the
// database reads on its own and survives reordering of the C++ enumerators.
// Times are Unix milliseconds.
//
// messages.candidate_id has no foreign key: inbound messages may match no
// candidate, and callers may admit messages for candidates they keep elsewhere.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE candidates (
  id INTEGER PRIMARY KEY,
  candidate_number TEXT NOT NULL,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  email TEXT NOT NULL,
  phone TEXT NOT NULL,
  sms_opt_out INTEGER NOT NULL DEFAULT 0,
  last_contacted_ms INTEGER
);
CREATE INDEX candidates_by_phone ON candidates(phone);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  candidate_id INTEGER,
  channel TEXT NOT NULL,
  direction TEXT NOT NULL,
  context_kind TEXT NOT NULL,
  context_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  to_addr TEXT NOT NULL,
  from_addr TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_message_id TEXT NOT NULL,
  status TEXT NOT NULL,
  block_reason TEXT NOT NULL,
  error_code TEXT NOT NULL,
  error_message TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX messages_by_candidate ON messages(candidate_id, created_ms DESC, id DESC);
CREATE INDEX messages_by_provider_id ON messages(provider, provider_message_id)
  WHERE provider_message_id <> '';

CREATE TABLE status_events (
  id INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  at_ms INTEGER NOT NULL,
  raw_status TEXT NOT NULL,
  status TEXT NOT NULL,
  error_code TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX status_events_by_message ON status_events(message_id, id);

CREATE TABLE outbox (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL
);

CREATE TABLE quota_counters (
  day INTEGER NOT NULL,
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (day, scope, key)
) WITHOUT ROWID;

CREATE TABLE parked_callbacks (
  id INTEGER PRIMARY KEY,
  provider TEXT NOT NULL,
  provider_message_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  raw_status TEXT NOT NULL,
  error_code TEXT NOT NULL,
  detail TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX parked_by_provider_id ON parked_callbacks(provider, provider_message_id, id);

CREATE TABLE seen_callbacks (
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  raw_status TEXT NOT NULL,
  error_code TEXT NOT NULL,
  PRIMARY KEY (message_id, raw_status, error_code)
) WITHOUT ROWID;
)sql";

// Index i holds the migration to version i + 1. Append only; never edit one that
// has shipped.
constexpr std::array<std::string_view, 1> kMigrations{kVersion1};

}  // namespace

int latest_schema_version() {
  return static_cast<int>(kMigrations.size());
}

Result<int> read_schema_version(Database& db) {
  auto version = db.query_int64("PRAGMA user_version");
  if (!version) {
    return std::move(version).error();
  }
  return static_cast<int>(version->value_or(0));
}

Status migrate(Database& db) {
  // The write lock is taken before reading the version, so two processes
  // opening a new file at once cannot both run the same migration.
  auto transaction = Transaction::begin(db, Transaction::Mode::kWrite);
  if (!transaction) {
    return std::move(transaction).error();
  }
  auto const stored = read_schema_version(db);
  if (!stored) {
    return stored.error();
  }
  int const latest = latest_schema_version();
  if (*stored > latest) {
    return make_error(Errc::kFailedPrecondition,
                      fmt::format("store '{}': schema version {} is newer than this program "
                                  "knows (latest {}); refusing to open",
                                  db.path(), *stored, latest));
  }

  for (int version = *stored + 1; version <= latest; ++version) {
    auto const applied = db.exec(kMigrations[static_cast<std::size_t>(version - 1)]);
    if (!applied) {
      return make_error(applied.error().code, fmt::format("migration to schema version {}: {}",
                                                          version, applied.error().message));
    }
    // PRAGMA takes no bound parameters; the value is a program constant.
    CANDOR_RETURN_IF_ERROR(db.exec(fmt::format("PRAGMA user_version = {}", version)));
  }
  return transaction->commit();
}

}  // namespace candor::store
