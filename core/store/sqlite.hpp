#pragma once

// Thin RAII ownership of the sqlite3 C API: one connection, prepared statements
// that reset themselves after use, and transactions that roll back unless
// committed. Errors become candor::Error values naming the database path.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <sqlite3.h>

#include "core/common/result.hpp"

namespace candor::store {

/// Owns one sqlite3 connection. Not thread-safe: the Store serialises access.
class Database {
 public:
  /// Opens or creates `path`; ":memory:" gives a private in-memory database.
  static Result<Database> open(std::string const& path);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(Database const&) = delete;
  Database& operator=(Database const&) = delete;
  ~Database();

  /// Runs one or more statements that take no parameters (pragmas, DDL).
  Status exec(std::string_view sql);

  /// The first column of the first row of `sql`, a statement without parameters
  /// such as a pragma, as text or as an integer; nullopt when it gives no row.
  /// Rows after the first are not read.
  Result<std::optional<std::string>> query_text(std::string_view sql);
  Result<std::optional<std::int64_t>> query_int64(std::string_view sql);

  /// The statements that start and end a transaction.
  enum class Control : std::uint8_t { kBeginWrite, kBeginRead, kCommit, kRollback };
  /// Runs one of them, compiled once per connection: a store opens a transaction
  /// for nearly every call, and parsing its text each time showed in profiles.
  Status run(Control control);

  /// An error of `code` for the failed step `what`, with the path and SQLite's
  /// own message.
  Error error(int code, std::string_view what) const;

  sqlite3* handle() const { return db_; }
  std::string const& path() const { return path_; }
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_ = nullptr;
  std::string path_;
  /// Prepared on first use, indexed by Control.
  std::array<sqlite3_stmt*, 4> control_{};
};

/// A prepared statement, compiled once and reused. Parameters are 1-based as in
/// SQLite. Call use() for each execution: the returned guard resets the
/// statement and clears its bindings when it goes out of scope.
class Statement {
 public:
  Statement() = default;
  static Result<Statement> prepare(Database& db, std::string_view sql);

  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(Statement const&) = delete;
  Statement& operator=(Statement const&) = delete;
  ~Statement();

  class Use {
   public:
    explicit Use(Statement& statement) : statement_(&statement) {}
    Use(Use const&) = delete;
    Use& operator=(Use const&) = delete;
    ~Use();

    Use& bind(int index, std::int64_t value);
    Use& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    /// Binds text without copying it: `value` must stay alive until this Use is
    /// destroyed.
    Use& bind(int index, std::string_view value);
    Use& bind(int index, std::optional<std::int64_t> value);
    Use& bind_null(int index);

    /// True when a row is ready, false when the statement has finished.
    Result<bool> step();
    /// Steps to completion, expecting no rows.
    Status run();

    bool is_null(int column) const;
    std::int64_t int64(int column) const;
    std::string text(int column) const;
    std::optional<std::int64_t> optional_int64(int column) const;

   private:
    Statement* statement_;
  };

  Use use() { return Use(*this); }

 private:
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}

  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

/// BEGIN IMMEDIATE (for writes) or BEGIN DEFERRED (for reads) on construction,
/// ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  enum class Mode : std::uint8_t { kRead, kWrite };

  static Result<Transaction> begin(Database& db, Mode mode);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(Transaction const&) = delete;
  Transaction& operator=(Transaction const&) = delete;
  ~Transaction();

  Status commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}

  Database* db_ = nullptr;
  bool open_ = false;
};

}  // namespace candor::store
