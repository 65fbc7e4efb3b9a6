#pragma once

// QuotaBook: daily message counters per phone number, per candidate number and
// for the whole application, held in memory for fast decisions and mirrored in
// the store by the admission transaction.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/domain/types.hpp"

namespace candor::policy {

enum class QuotaScope : std::uint8_t { kPhone, kCandidate, kApplication };

std::string_view to_string(QuotaScope scope);

/// One counter of one day.
struct QuotaCount {
  QuotaScope scope = QuotaScope::kApplication;
  std::string key;  ///< E.164, candidate number, or empty for the application
  std::int64_t count = 0;
};

struct QuotaLimits {
  std::optional<std::int64_t> per_candidate;
  std::optional<std::int64_t> application;
};

/// Counters of the current day; a take on a later day drops the earlier day's
/// counters. Thread-safe.
class QuotaBook {
 public:
  /// Takes one slot for (phone, candidate number) and one for the application
  /// on `day`, or none: returns kCandidateDailyLimit or kApplicationDailyLimit
  /// when a limit is reached, kNone after taking.
  domain::BlockReason try_take(std::int64_t day, std::string_view phone,
                               std::string_view candidate_number, QuotaLimits const& limits);

  /// Undoes one successful try_take().
  void give_back(std::int64_t day, std::string_view phone, std::string_view candidate_number);

  /// Replaces the counters with those stored for `day` (after a restart).
  void load(std::int64_t day, std::vector<QuotaCount> const& counts);

  std::int64_t count(std::int64_t day, QuotaScope scope, std::string_view key) const;
  std::optional<std::int64_t> day() const;

 private:
  void roll_to(std::int64_t day);

  mutable std::mutex mutex_;
  std::optional<std::int64_t> day_;
  std::unordered_map<std::string, std::int64_t> per_phone_;
  std::unordered_map<std::string, std::int64_t> per_candidate_;
  std::int64_t application_ = 0;
};

}  // namespace candor::policy
