#include "core/policy/rule_set.hpp"

#include <cctype>
#include <chrono>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <re2/re2.h>
#include <re2/set.h>

#include "core/common/log.hpp"
#include "core/policy/phone_number.hpp"

namespace candor::policy {
namespace {

// RE2's default budget (8 MiB) is too small for a thousand patterns compiled
// into one program; the DFA built while matching also lives in this budget.
constexpr std::int64_t kPatternMemory = std::int64_t{256} << 20;

Error invalid(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

std::string normalise_region(std::string_view region) {
  auto const first = region.find_first_not_of(" \t");
  auto const last = region.find_last_not_of(" \t");
  std::string out;
  if (first != std::string_view::npos) {
    out = region.substr(first, last - first + 1);
  }
  for (auto& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// Index of a two-letter upper-case region code in RuleSet::allowed_, or -1.
int region_index(std::string_view region) {
  if (region.size() != 2 || region[0] < 'A' || region[0] > 'Z' || region[1] < 'A' ||
      region[1] > 'Z') {
    return -1;
  }
  return (region[0] - 'A') * 26 + (region[1] - 'A');
}

}  // namespace

class RuleSet::PatternSet {
 public:
  PatternSet() : set_(options(), RE2::ANCHOR_BOTH) {}

  re2::RE2::Set& set() { return set_; }
  re2::RE2::Set const& set() const { return set_; }

 private:
  static RE2::Options options() {
    RE2::Options out;
    out.set_log_errors(false);
    out.set_max_mem(kPatternMemory);
    return out;
  }

  re2::RE2::Set set_;
};

RuleSet::RuleSet(PolicyConfig config)
    : config_(std::move(config)),
      limits_{.per_candidate = config_.candidate_daily_limit,
              .application = config_.application_daily_limit},
      cache_(config_.verdict_cache_capacity) {}

RuleSet::~RuleSet() = default;

Result<std::shared_ptr<RuleSet const>> RuleSet::compile(PolicyConfig config) {
  if (config.candidate_daily_limit && *config.candidate_daily_limit < 0) {
    return invalid(fmt::format("candidate_daily_limit: must not be negative, got {}",
                               *config.candidate_daily_limit));
  }
  if (config.application_daily_limit && *config.application_daily_limit < 0) {
    return invalid(fmt::format("application_daily_limit: must not be negative, got {}",
                               *config.application_daily_limit));
  }
  if (std::chrono::abs(config.day_start_offset) >= std::chrono::hours(24)) {
    return invalid(fmt::format("day_start_offset: must lie between -24h and +24h, got {} minutes",
                               config.day_start_offset.count()));
  }

  config.default_region = normalise_region(config.default_region);
  if (!config.default_region.empty() && !is_known_region(config.default_region)) {
    return invalid(fmt::format("default_region: '{}' is not a region", config.default_region));
  }

  std::shared_ptr<RuleSet> rules(new RuleSet(std::move(config)));
  auto& cfg = rules->config_;

  for (std::size_t i = 0; i < cfg.allowed_countries.size(); ++i) {
    auto region = normalise_region(cfg.allowed_countries[i]);
    auto const index = region_index(region);
    if (index < 0 || !is_known_region(region)) {
      return invalid(
          fmt::format("allowed_countries[{}]: '{}' is not a region", i, cfg.allowed_countries[i]));
    }
    rules->allowed_[static_cast<std::size_t>(index)] = true;
    rules->any_region_allowed_ = false;
    cfg.allowed_countries[i] = std::move(region);
  }

  rules->blocked_.reserve(cfg.blocked_numbers.size());
  for (std::size_t i = 0; i < cfg.blocked_numbers.size(); ++i) {
    auto parsed = parse_phone(cfg.blocked_numbers[i], cfg.default_region);
    if (!parsed) {
      return invalid(fmt::format("blocked_numbers[{}]: {}", i, parsed.error().message));
    }
    rules->blocked_.insert(std::move(parsed->e164));
  }

  // All patterns go into one RE2::Set so that a number is matched against every
  // pattern in a single pass, however many there are.
  if (!cfg.blocked_patterns.empty()) {
    auto patterns = std::make_unique<PatternSet>();
    for (std::size_t i = 0; i < cfg.blocked_patterns.size(); ++i) {
      std::string error;
      if (patterns->set().Add(cfg.blocked_patterns[i], &error) < 0) {
        return invalid(
            fmt::format("blocked_patterns[{}]: '{}': {}", i, cfg.blocked_patterns[i], error));
      }
    }
    if (!patterns->set().Compile()) {
      return invalid(fmt::format("blocked_patterns: the {} patterns need more than {} MiB compiled",
                                 cfg.blocked_patterns.size(), kPatternMemory >> 20));
    }
    rules->patterns_ = std::move(patterns);
  }
  return std::shared_ptr<RuleSet const>(std::move(rules));
}

StaticVerdict RuleSet::verdict(std::string_view raw) const {
  StaticVerdict out;
  if (cache_.find(raw, out)) {
    return out;
  }

  bool cacheable = true;
  out = evaluate(raw, cacheable);
  if (cacheable) {
    cache_.insert(raw, out);
  }
  return out;
}

StaticVerdict RuleSet::evaluate(std::string_view raw) const {
  bool cacheable = true;
  return evaluate(raw, cacheable);
}

StaticVerdict RuleSet::evaluate(std::string_view raw, bool& cacheable) const {
  StaticVerdict out;
  auto parsed = parse_phone(raw, config_.default_region);
  if (!parsed) {
    out.reason = domain::BlockReason::kInvalidNumber;
    return out;
  }
  out.e164 = std::move(parsed->e164);
  out.region = std::move(parsed->region);

  if (!allows_region(out.region)) {
    out.reason = domain::BlockReason::kCountryNotAllowed;
    return out;
  }
  if (blocked_.contains(out.e164)) {
    out.reason = domain::BlockReason::kNumberBlocked;
    return out;
  }
  bool failed = false;
  if (matches_pattern(parsed->digits, failed)) {
    out.reason = domain::BlockReason::kPatternBlocked;
  }
  cacheable = !failed;
  return out;
}

bool RuleSet::allows_region(std::string_view region) const {
  if (any_region_allowed_) {
    return true;
  }
  auto const index = region_index(region);
  return index >= 0 && allowed_[static_cast<std::size_t>(index)];
}

bool RuleSet::matches_pattern(std::string_view digits, bool& failed) const {
  if (!patterns_) {
    return false;
  }
  RE2::Set::ErrorInfo info{RE2::Set::kNoError};
  if (patterns_->set().Match(digits, nullptr, &info)) {
    return true;
  }
  if (info.kind == RE2::Set::kNoError) {
    return false;
  }

  // The set's DFA ran out of memory, so it could not tell. Blocking is the safe
  // answer: a message held back can be sent later, one sent cannot be recalled.
  failed = true;
  log::get("policy").error("blocked pattern match failed (re2 error {}) for {}; blocking",
                           static_cast<int>(info.kind), log::mask_phone("+" + std::string(digits)));
  return true;
}

}  // namespace candor::policy
