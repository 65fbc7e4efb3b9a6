#include "core/store/sqlite.hpp"

#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "core/common/check.hpp"

namespace candor::store {
namespace {

Errc errc_of(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Errc::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Errc::kDataLoss;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return Errc::kFailedPrecondition;
    case SQLITE_CONSTRAINT:
      return Errc::kAlreadyExists;
    case SQLITE_FULL:
      return Errc::kResourceExhausted;
    default:
      return Errc::kInternal;
  }
}

// A failed bind is SQLITE_RANGE or SQLITE_NOMEM: a wrong parameter index or an
// exhausted process, never a property of the data, so it is a programmer error.
void check_bind(int rc) {
  CANDOR_CHECK(rc == SQLITE_OK, "parameter indices match the statement");
}

/// `read` of the first row of `sql`; nullopt when there is none.
template <class T, class Read>
Result<std::optional<T>> first_row(Database& db, std::string_view sql, Read const& read) {
  auto statement = Statement::prepare(db, sql);
  if (!statement) {
    return std::move(statement).error();
  }
  auto use = statement->use();
  auto row = use.step();
  if (!row) {
    return std::move(row).error();
  }
  if (!*row) {
    return std::optional<T>();
  }
  return std::optional<T>(read(use));
}

}  // namespace

// Database ------------------------------------------------------------------

Result<Database> Database::open(std::string const& path) {
  // The store keeps its own mutex and never asks SQLite for memory statistics,
  // whose bookkeeping takes a global lock on every allocation. This only works
  // before SQLite initialises; if another part of the process got there first
  // the call fails harmlessly.
  static std::once_flag configured;
  std::call_once(configured, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });

  sqlite3* db = nullptr;
  int const flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int const rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    // sqlite3_open_v2 hands back a handle even on failure, carrying the message.
    std::string const why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return make_error(errc_of(rc), fmt::format("store '{}': cannot open: {}", path, why));
  }
  sqlite3_extended_result_codes(db, 1);
  return Database(db, path);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      control_(std::exchange(other.control_, {})) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    for (auto* statement : control_) {
      sqlite3_finalize(statement);
    }
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    control_ = std::exchange(other.control_, {});
  }
  return *this;
}

Database::~Database() {
  for (auto* statement : control_) {
    sqlite3_finalize(statement);
  }
  sqlite3_close_v2(db_);
}

Status Database::run(Control control) {
  static constexpr std::array<std::string_view, 4> kSql = {"BEGIN IMMEDIATE", "BEGIN DEFERRED",
                                                           "COMMIT", "ROLLBACK"};
  auto const index = static_cast<std::size_t>(control);
  auto& statement = control_[index];
  if (statement == nullptr) {
    auto const sql = kSql[index];
    int const rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) {
      return error(rc, sql);
    }
  }
  int const rc = sqlite3_step(statement);
  sqlite3_reset(statement);
  if (rc != SQLITE_DONE) {
    return error(rc, kSql[index]);
  }
  return ok_status();
}

Status Database::exec(std::string_view sql) {
  std::string const text(sql);
  char* message = nullptr;
  int const rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) {
    return ok_status();
  }
  std::string const why = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return make_error(errc_of(rc), fmt::format("store '{}': {}: {}", path_, text.substr(0, 60), why));
}

Result<std::optional<std::string>> Database::query_text(std::string_view sql) {
  return first_row<std::string>(*this, sql, [](Statement::Use const& row) { return row.text(0); });
}

Result<std::optional<std::int64_t>> Database::query_int64(std::string_view sql) {
  return first_row<std::int64_t>(*this, sql,
                                 [](Statement::Use const& row) { return row.int64(0); });
}

Error Database::error(int code, std::string_view what) const {
  return make_error(errc_of(code),
                    fmt::format("store '{}': {}: {}", path_, what, sqlite3_errmsg(db_)));
}

// Statement -----------------------------------------------------------------

Result<Statement> Statement::prepare(Database& db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int const rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return db.error(rc, fmt::format("prepare '{}'", sql.substr(0, 60)));
  }
  return Statement(db, stmt);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement::Use::~Use() {
  sqlite3_reset(statement_->stmt_);
  sqlite3_clear_bindings(statement_->stmt_);
}

Statement::Use& Statement::Use::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(statement_->stmt_, index, value));
  return *this;
}

Statement::Use& Statement::Use::bind(int index, std::string_view value) {
  // SQLITE_STATIC saves a copy per value: the caller keeps the text alive until
  // this Use is destroyed, and the destructor unbinds before that.
  check_bind(sqlite3_bind_text64(statement_->stmt_, index, value.data(), value.size(),
                                 SQLITE_STATIC, SQLITE_UTF8));
  return *this;
}

Statement::Use& Statement::Use::bind(int index, std::optional<std::int64_t> value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement::Use& Statement::Use::bind_null(int index) {
  check_bind(sqlite3_bind_null(statement_->stmt_, index));
  return *this;
}

Result<bool> Statement::Use::step() {
  int const rc = sqlite3_step(statement_->stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  std::string_view const sql = sqlite3_sql(statement_->stmt_);
  return statement_->db_->error(rc, fmt::format("'{}'", sql.substr(0, 60)));
}

Status Statement::Use::run() {
  for (;;) {
    auto row = step();
    if (!row) {
      return std::move(row).error();
    }
    if (!*row) {
      return ok_status();
    }
  }
}

bool Statement::Use::is_null(int column) const {
  return sqlite3_column_type(statement_->stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::Use::int64(int column) const {
  return sqlite3_column_int64(statement_->stmt_, column);
}

std::string Statement::Use::text(int column) const {
  auto const* data = sqlite3_column_text(statement_->stmt_, column);
  auto const size = sqlite3_column_bytes(statement_->stmt_, column);
  if (data == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<char const*>(data), static_cast<std::size_t>(size));
}

std::optional<std::int64_t> Statement::Use::optional_int64(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return int64(column);
}

// Transaction ---------------------------------------------------------------

Result<Transaction> Transaction::begin(Database& db, Mode mode) {
  // IMMEDIATE takes the write lock up front, so a writer never fails half way
  // with SQLITE_BUSY when upgrading from a read lock held by another process.
  CANDOR_RETURN_IF_ERROR(db.run(mode == Mode::kWrite ? Database::Control::kBeginWrite
                                                     : Database::Control::kBeginRead));
  Transaction transaction(db);
  transaction.open_ = true;
  return transaction;
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(other.db_), open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
  if (open_) {
    // Nothing to report to: the caller is already returning an error.
    (void)db_->run(Database::Control::kRollback);
  }
}

Status Transaction::commit() {
  CANDOR_RETURN_IF_ERROR(db_->run(Database::Control::kCommit));
  open_ = false;
  return ok_status();
}

}  // namespace candor::store
