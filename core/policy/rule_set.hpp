#pragma once

// RuleSet: the compiled, immutable form of the static checks of the send policy
// (1: parse, 3: country, 4: blocked number, 5: blocked pattern), with the cache of
// verdicts it has given. SendPolicy swaps whole RuleSets; nothing in one changes
// after compile() but its cache.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/common/result.hpp"
#include "core/policy/quota_book.hpp"
#include "core/policy/send_policy.hpp"
#include "core/policy/verdict_cache.hpp"

namespace candor::policy {

class RuleSet {
 public:
  /// Validates and compiles `config`. Errors are kInvalidArgument naming the
  /// field and entry: "allowed_countries[1]: 'XX' is not a region",
  /// "blocked_numbers[0]: phone 'abc': not a phone number",
  /// "blocked_patterns[3]: '(1800': missing ): (1800".
  static Result<std::shared_ptr<RuleSet const>> compile(PolicyConfig config);
  ~RuleSet();
  RuleSet(RuleSet const&) = delete;
  RuleSet& operator=(RuleSet const&) = delete;

  /// The configuration compiled, region codes upper-cased.
  PolicyConfig const& config() const { return config_; }
  QuotaLimits const& limits() const { return limits_; }

  /// Checks 1, 3, 4 and 5 for `raw`, from the cache when `raw` was seen before.
  /// Thread-safe.
  StaticVerdict verdict(std::string_view raw) const;

  /// Checks 1, 3, 4 and 5 without the cache.
  StaticVerdict evaluate(std::string_view raw) const;

  /// Verdicts cached now.
  std::size_t cached() const { return cache_.size(); }

 private:
  class PatternSet;

  explicit RuleSet(PolicyConfig config);

  /// Clears `cacheable` when the verdict came from a failure, not the rules.
  StaticVerdict evaluate(std::string_view raw, bool& cacheable) const;
  bool allows_region(std::string_view region) const;
  /// Sets `failed` when the pattern set could not run (out of memory).
  bool matches_pattern(std::string_view digits, bool& failed) const;

  PolicyConfig config_;
  QuotaLimits limits_;
  /// Region codes as index pairs of upper-case letters ('U','S' -> 20*26+18).
  std::array<bool, 26 * 26> allowed_{};
  bool any_region_allowed_ = true;
  std::unordered_set<std::string> blocked_;
  std::unique_ptr<PatternSet> patterns_;
  /// Filled by verdict(); the only part of a RuleSet that changes after compile().
  mutable VerdictCache cache_;
};

}  // namespace candor::policy
