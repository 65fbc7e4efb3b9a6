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
//
// Speed: parsing a number and matching the patterns cost microseconds, so each
// RuleSet remembers the verdict of checks 1, 3, 4 and 5 (and the parsed number)
// per raw phone string it has seen, in a bounded, sharded cache. A decision on a
// number seen before is a hash lookup plus the quota take. The cache belongs to
// the RuleSet, so update() starts a fresh one.
//
// Days: day_of(t) = floor((unix time of t + day_start_offset) / 24h). The offset
// is the UTC offset of the place whose midnight starts a day: -5h makes days
// start at 00:00 UTC-5, that is 05:00 UTC.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
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
  /// ISO 3166-1 alpha-2 codes ("US", "CA", "GB"), any case. Empty allows every
  /// country. A number whose region is unknown is allowed only when this is empty.
  std::vector<std::string> allowed_countries;
  /// Numbers in E.164 ("+18005550100"); other spellings are normalised with
  /// default_region. Matched exactly against the E.164 form of the number.
  std::vector<std::string> blocked_numbers;
  /// RE2 expressions over the digits without '+', matched in full ("1800.*"),
  /// compiled together as one set.
  std::vector<std::string> blocked_patterns;
  /// Messages per day, counted per phone number and per candidate number;
  /// nullopt is unlimited. Must not be negative.
  std::optional<std::int64_t> candidate_daily_limit;
  /// Messages for the whole application per day; nullopt is unlimited. Must not
  /// be negative.
  std::optional<std::int64_t> application_daily_limit;
  /// The UTC offset of the place whose midnight starts a day: -5h makes days start
  /// at 00:00 UTC-5 (05:00 UTC). Default 0: days start at 00:00 UTC. Must lie
  /// strictly between -24h and +24h.
  std::chrono::minutes day_start_offset{0};
  /// Region used to read numbers written without '+' ("US").
  std::string default_region = "US";
  /// Raw phone strings whose static verdict (checks 1, 3-5) each RuleSet keeps;
  /// 0 turns the cache off. Default 2,097,152 (about 200 MB when full).
  std::size_t verdict_cache_capacity = std::size_t{1} << 21;
};

/// The compiled, immutable form of checks 1 and 3-5 (core/policy/rule_set.hpp).
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
  /// '(1800': missing ): (1800", "allowed_countries[1]: 'XX' is not a region").
  static Result<std::unique_ptr<SendPolicy>> create(PolicyConfig config);
  ~SendPolicy();
  SendPolicy(SendPolicy const&) = delete;
  SendPolicy& operator=(SendPolicy const&) = delete;

  /// Replaces the rules atomically; on error the old rules stay. Decisions
  /// running meanwhile finish on the rules they started with. The quota counters
  /// are kept; new limits apply to them from the next decision.
  Status update(PolicyConfig config);
  /// The rules in force, with region codes upper-cased.
  PolicyConfig config() const;

  /// Runs checks 1-5 only; takes nothing from the quota. Thread-safe.
  Decision check(SmsRequest const& request) const;

  /// Runs checks 1-7; an admitted message is counted at once on its day (phone,
  /// candidate number and application). Thread-safe: two callers can never both
  /// take the last slot. Blocked messages take nothing.
  Decision decide(SmsRequest const& request, clock::TimePoint now);

  /// Returns a slot taken by decide() (e.g. when storing the message failed).
  /// Does nothing for a blocked decision or one of an earlier day.
  void give_back(Decision const& decision, std::string_view candidate_number);

  /// The quota day containing `t`: floor((unix time + day_start_offset) / 24h).
  std::int64_t day_of(clock::TimePoint t) const;

  QuotaBook& quota() { return quota_; }

 private:
  explicit SendPolicy(std::shared_ptr<RuleSet const> rules);

  std::shared_ptr<RuleSet const> rules() const;

  std::atomic<std::shared_ptr<RuleSet const>> rules_;
  QuotaBook quota_;
};

/// Reads one value per line from a CSV file (blocked numbers, patterns, allowed
/// countries): a single column, values optionally in double quotes ("" escapes a
/// quote; quoted values may hold commas), spaces around a value trimmed, blank
/// lines skipped, a first value equal to `header` (any case) skipped. Errors are
/// kInvalidArgument naming "file:line: why" (unterminated quote, two columns,
/// stray quote, empty quoted value), or kNotFound when the file cannot be read.
Result<std::vector<std::string>> load_csv_values(std::string const& path,
                                                 std::string_view header = {});

}  // namespace candor::policy
