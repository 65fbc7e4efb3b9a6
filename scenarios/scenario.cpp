#include "scenarios/scenario.hpp"

#include <fmt/format.h>

namespace candor::scenarios {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

std::string SourceMark::to_string() const {
  if (line <= 0) {
    return file;
  }
  return fmt::format("{}:{}:{}", file, line, column);
}

bool CountCheck::holds(std::int64_t actual) const {
  if (exactly && actual != *exactly) {
    return false;
  }
  if (at_least && actual < *at_least) {
    return false;
  }
  return !(at_most && actual > *at_most);
}

std::string CountCheck::describe() const {
  if (exactly) {
    return fmt::format("{}", *exactly);
  }
  if (at_least && at_most) {
    return fmt::format("between {} and {}", *at_least, *at_most);
  }
  if (at_least) {
    return fmt::format(">= {}", *at_least);
  }
  if (at_most) {
    return fmt::format("<= {}", *at_most);
  }
  return "any";
}

std::string step_kind(StepBody const& body) {
  return std::visit(Overloaded{
                        [](SendMessageStep const&) { return "send_message"; },
                        [](ComposeStep const&) { return "compose"; },
                        [](InboundStep const&) { return "inbound"; },
                        [](AdvanceStep const&) { return "advance"; },
                        [](SetPolicyStep const&) { return "set_policy"; },
                        [](SetFaultsStep const&) { return "set_faults"; },
                        [](RestartStep const&) { return "restart"; },
                        [](ExpectStep const&) { return "expect"; },
                    },
                    body);
}

policy::PolicyConfig apply_policy(policy::PolicyConfig base, PolicySpec const& patch) {
  if (patch.allowed_countries) {
    base.allowed_countries = *patch.allowed_countries;
  }
  if (patch.blocked_numbers) {
    base.blocked_numbers = *patch.blocked_numbers;
  }
  if (patch.blocked_patterns) {
    base.blocked_patterns = *patch.blocked_patterns;
  }
  if (patch.candidate_daily_limit) {
    base.candidate_daily_limit = *patch.candidate_daily_limit;
  }
  if (patch.application_daily_limit) {
    base.application_daily_limit = *patch.application_daily_limit;
  }
  if (patch.default_region) {
    base.default_region = *patch.default_region;
  }
  return base;
}

}  // namespace candor::scenarios
