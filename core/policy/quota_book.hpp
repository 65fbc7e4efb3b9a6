#pragma once

// QuotaBook: daily message counters per phone number, per candidate number and
// for the whole application, held in memory for fast decisions and mirrored in
// the store by the admission transaction.
//
// Days are plain integers chosen by the caller (SendPolicy::day_of()). The book
// holds one day, the latest it has seen: a take on a later day starts every
// counter afresh, and a take that names an earlier day is counted on the book's
// day (a caller that read the clock just before midnight while another caller
// already rolled the book over).
//
// Counters are sharded by key so that concurrent takes on different candidates
// rarely wait for each other; the application counter is one atomic word.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/types.hpp"
#include "core/policy/detail/flat_string_map.hpp"

namespace candor::policy {

enum class QuotaScope : std::uint8_t { kPhone, kCandidate, kApplication };

/// "phone", "candidate", "application".
std::string_view to_string(QuotaScope scope);

/// One counter of one day.
struct QuotaCount {
  QuotaScope scope = QuotaScope::kApplication;
  std::string key;  ///< E.164, candidate number, or empty for the application
  std::int64_t count = 0;
};

struct QuotaLimits {
  /// Messages per day, counted both per phone number and per candidate number;
  /// nullopt is unlimited.
  std::optional<std::int64_t> per_candidate;
  /// Messages per day for the whole application; nullopt is unlimited. Values
  /// above 4,294,967,295 act as that value.
  std::optional<std::int64_t> application;
};

/// Counters of the current day. Thread-safe: concurrent try_take() calls at a
/// limit of N admit exactly N. Days must fit in 32 bits (any day_of() does).
class QuotaBook {
 public:
  QuotaBook();
  ~QuotaBook();
  QuotaBook(QuotaBook const&) = delete;
  QuotaBook& operator=(QuotaBook const&) = delete;

  /// Takes one slot for `phone`, one for `candidate_number` (unless empty) and
  /// one for the application on `day`, or none. A message is admitted only while
  /// count(phone) < per_candidate and count(candidate number) < per_candidate
  /// (else kCandidateDailyLimit), then only while count(application) <
  /// application (else kApplicationDailyLimit). Returns kNone after taking.
  /// `counted_day`, when given, receives the day the take was counted on (see
  /// the file comment), also when it was refused.
  domain::BlockReason try_take(std::int64_t day, std::string_view phone,
                               std::string_view candidate_number, QuotaLimits const& limits,
                               std::int64_t* counted_day = nullptr);

  /// Starts loading the counters try_take() will read for `phone` and
  /// `candidate_number`, so that other work can run while they arrive. A hint:
  /// it changes nothing.
  void prefetch(std::string_view phone, std::string_view candidate_number) const;

  /// Undoes one successful try_take() counted on `day`. Does nothing when the
  /// book has moved on to a later day since.
  void give_back(std::int64_t day, std::string_view phone, std::string_view candidate_number);

  /// Replaces every counter with `counts` for `day` (after a restart).
  void load(std::int64_t day, std::vector<QuotaCount> const& counts);

  /// The counter of `key` on `day`; 0 when `day` is not the book's day.
  std::int64_t count(std::int64_t day, QuotaScope scope, std::string_view key) const;

  /// The book's day; nullopt before the first take or load.
  std::optional<std::int64_t> day() const;

 private:
  /// A counter given back to zero keeps its entry until the next day.
  using Counters = detail::FlatStringMap<std::int64_t>;

  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::int64_t day = 0;
    Counters phones;
    Counters candidates;
  };
  static constexpr std::size_t kShards = 64;

  class ShardLocks;

  static std::size_t shard_of(std::uint64_t hash);
  std::int64_t advance_day(std::int64_t day);

  std::array<Shard, kShards> shards_;
  /// The latest day seen; every shard is on it or earlier.
  std::atomic<std::int64_t> day_;
  /// The application counter: day in the high 32 bits, count in the low 32, so
  /// that a rollover and a take are one compare-and-swap.
  std::atomic<std::uint64_t> application_;
};

}  // namespace candor::policy
