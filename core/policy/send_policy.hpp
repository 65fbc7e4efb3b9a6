#pragma once

// The SMS send policy: which messages may go out, and if not, why.
//
// Checks run in a fixed order and the first that fails names the block reason:
//   1. the number cannot be parsed            -> kInvalidNumber
//   2. the candidate opted out                -> kOptedOut
//   3. the number's country is not allowed    -> kCountryNotAllowed
//   4. the number is in the blocked list      -> kNumberBlocked
//   5. the digits match a blocked pattern     -> kPatternBlocked
//   6. the candidate's daily limit is reached, counted per phone number and per
//      candidate number (either one blocks)  -> kCandidateDailyLimit
//   7. the application's daily limit is reached -> kApplicationDailyLimit
// Checks 1-5 are pure and read an immutable, compiled RuleSet; checks 6-7 read and
// take from the QuotaBook. Rules can be replaced while running (update()); a
// decision sees either the old rules or the new ones, never a mix.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock/clock.hpp"
#include "core/common/result.hpp"
#include "core/domain/types.hpp"
#include "core/policy/phone_number.hpp"
#include "core/policy/quota_book.hpp"

namespace candor::policy {

/// The rules, as configured. Validated once by RuleSet::compile().
struct PolicyConfig {
  /// ISO 3166-1 alpha-2 codes ("US", "CA", "GB"). Empty allows every country.
  std::vector<std::string> allowed_countries;
  /// Numbers in E.164 ("+18005550100"); other spellings are normalised.
  std::vector<std::string> blocked_numbers;
  /// RE2 expressions over the digits without '+', matched in full ("1800.*").
  std::vector<std::string> blocked_patterns;
  /// Messages per candidate per day; nullopt is unlimited.
  std::optional<std::int64_t> candidate_daily_limit;
  /// Messages for the whole application per day; nullopt is unlimited.
  std::optional<std::int64_t> application_daily_limit;
  /// Days start at 00:00 UTC plus this offset (e.g. -5h for 00:00 at UTC-5).
  std::chrono::minutes day_start_offset{0};
  /// Region used to read numbers written without '+' ("US").
  std::string default_region = "US";
};

/// The compiled, immutable form of checks 3-5.
class RuleSet;

/// One SMS to decide on.
struct SmsRequest {
  std::string_view phone;             ///< as stored or typed
  std::string_view candidate_number;  ///< limits are counted on it as well
  bool opted_out = false;
};

struct Decision {
  domain::BlockReason reason = domain::BlockReason::kNone;
  /// The number in E.164 when it could be parsed.
  std::string e164;
  /// ISO region of the number ("US", "CA"); empty when unknown.
  std::string region;
  /// The quota day the message was counted on; set only when admitted.
  std::int64_t day = 0;

  bool admitted() const { return reason == domain::BlockReason::kNone; }
};

class SendPolicy {
 public:
  /// Fails with kInvalidArgument naming the field and entry ("blocked_patterns[3]:
  /// missing ')'", "allowed_countries[1]: 'XX' is not a region").
  static Result<std::unique_ptr<SendPolicy>> create(PolicyConfig config);
  ~SendPolicy();

  /// Replaces the rules atomically; on error the old rules stay.
  Status update(PolicyConfig config);
  PolicyConfig config() const;

  /// Runs checks 1-5 only; takes nothing from the quota.
  Decision check(SmsRequest const& request) const;

  /// Runs checks 1-7; an admitted message is counted at once on its day (phone,
  /// candidate number and application). Thread-safe: two callers can never both
  /// take the last slot.
  Decision decide(SmsRequest const& request, clock::TimePoint now);

  /// Returns a slot taken by decide() (e.g. when storing the message failed).
  void give_back(Decision const& decision, std::string_view candidate_number);

  /// The quota day containing `t`, counted from the Unix epoch with the offset.
  std::int64_t day_of(clock::TimePoint t) const;

  QuotaBook& quota() { return quota_; }

 private:
  explicit SendPolicy(std::shared_ptr<RuleSet const> rules);

  std::shared_ptr<RuleSet const> rules() const;

  mutable std::mutex rules_mutex_;
  std::shared_ptr<RuleSet const> rules_;
  QuotaBook quota_;
};

/// Reads one value per line from a CSV file (blocked numbers, patterns, allowed
/// countries): a single column, values optionally in double quotes ("" escapes a
/// quote), blank lines skipped, an optional header named `header` skipped.
/// Errors name file and line.
Result<std::vector<std::string>> load_csv_values(std::string const& path,
                                                 std::string_view header = {});

}  // namespace candor::policy
