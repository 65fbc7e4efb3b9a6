#include "core/policy/send_policy.hpp"

#include <utility>

#include "core/common/log.hpp"
#include "core/policy/rule_set.hpp"

namespace candor::policy {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("policy");
  return log;
}

Decision static_decision(RuleSet const& rules, SmsRequest const& request) {
  auto verdict = rules.verdict(request.phone);

  Decision out;
  out.reason = verdict.reason;
  out.e164 = std::move(verdict.e164);
  out.region = std::move(verdict.region);

  // Opting out is a property of the candidate, not of the number, so it is not
  // in the cached verdict; it ranks after an unreadable number and before the rest.
  if (request.opted_out && out.reason != domain::BlockReason::kInvalidNumber) {
    out.reason = domain::BlockReason::kOptedOut;
  }
  return out;
}

std::int64_t day_with_offset(clock::TimePoint t, std::chrono::minutes offset) {
  return std::chrono::floor<std::chrono::days>(t + offset).time_since_epoch().count();
}

}  // namespace

SendPolicy::SendPolicy(std::shared_ptr<RuleSet const> rules) : rules_(std::move(rules)) {}

SendPolicy::~SendPolicy() = default;

Result<std::unique_ptr<SendPolicy>> SendPolicy::create(PolicyConfig config) {
  auto rules = RuleSet::compile(std::move(config));
  if (!rules) {
    return std::move(rules).error();
  }
  return std::unique_ptr<SendPolicy>(new SendPolicy(std::move(*rules)));
}

Status SendPolicy::update(PolicyConfig config) {
  auto rules = RuleSet::compile(std::move(config));
  if (!rules) {
    // The error may quote a configured phone number; the caller gets it whole.
    logger().warn("policy update refused, old rules stay ({})", errc_name(rules.error().code));
    return std::move(rules).error();
  }

  auto const& cfg = (*rules)->config();
  logger().info("policy updated: {} allowed countries, {} blocked numbers, {} blocked patterns",
                cfg.allowed_countries.size(), cfg.blocked_numbers.size(),
                cfg.blocked_patterns.size());
  rules_.store(std::move(*rules), std::memory_order_release);
  return ok_status();
}

PolicyConfig SendPolicy::config() const {
  return rules()->config();
}

Decision SendPolicy::check(SmsRequest const& request) const {
  return static_decision(*rules(), request);
}

Decision SendPolicy::decide(SmsRequest const& request, clock::TimePoint now) {
  // Stored phones are E.164 already, so the counters to read are known before the
  // verdict is: their cache misses overlap the verdict's.
  quota_.prefetch(request.phone, request.candidate_number);
  auto const rules = this->rules();
  auto out = static_decision(*rules, request);
  if (!out.admitted()) {
    return out;
  }

  std::int64_t counted_day = 0;
  auto const day = day_with_offset(now, rules->config().day_start_offset);
  out.reason =
      quota_.try_take(day, out.e164, request.candidate_number, rules->limits(), &counted_day);
  if (out.admitted()) {
    out.day = counted_day;
  }
  return out;
}

void SendPolicy::give_back(Decision const& decision, std::string_view candidate_number) {
  if (!decision.admitted()) {
    return;
  }
  quota_.give_back(decision.day, decision.e164, candidate_number);
}

std::int64_t SendPolicy::day_of(clock::TimePoint t) const {
  return day_with_offset(t, rules()->config().day_start_offset);
}

std::shared_ptr<RuleSet const> SendPolicy::rules() const {
  return rules_.load(std::memory_order_acquire);
}

}  // namespace candor::policy
