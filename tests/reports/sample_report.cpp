#include "tests/reports/sample_report.hpp"

#include <string>
#include <utility>

#include <fmt/format.h>

namespace candor::reports {
namespace {

/// A small deterministic generator: the same sequence on every platform.
class Sequence {
 public:
  explicit Sequence(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next(std::uint64_t bound) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state_ >> 33) % bound;
  }

 private:
  std::uint64_t state_;
};

MessageTimeline make_message(Sequence& random, int index, std::int64_t admitted_ms) {
  MessageTimeline t{.message_id = fmt::format("msg-{:04}", index),
                    .candidate = fmt::format("CAND-{:06}", 100 + index % 37),
                    .channel = index % 5 == 0 ? "email" : "sms",
                    .provider = index % 5 == 0 ? "smtp" : (index % 2 == 0 ? "twilio" : "syniverse"),
                    .final_status = {},
                    .block_reason = {},
                    .events = {}};

  auto const roll = random.next(100);
  if (roll < 18) {
    static constexpr char const* kReasons[] = {"country_not_allowed", "candidate_daily_limit",
                                               "number_blocked", "pattern_blocked"};
    t.provider.clear();
    t.final_status = "blocked";
    t.block_reason = kReasons[random.next(4)];
    t.events.push_back({admitted_ms, "", "blocked", ""});
    return t;
  }

  t.events.push_back({admitted_ms, "", "queued", ""});
  auto const accepted_ms = admitted_ms + 40 + static_cast<std::int64_t>(random.next(400));
  if (roll < 23) {
    t.final_status = "failed";
    t.events.push_back({accepted_ms, "400", "failed", "21211"});
    return t;
  }
  t.events.push_back({accepted_ms, "accepted", "sent", ""});
  if (t.channel == "email") {
    t.final_status = "sent";
    return t;
  }

  auto const callback_ms = accepted_ms + 500 + static_cast<std::int64_t>(random.next(20'000));
  if (roll < 33) {
    t.final_status = "failed";
    t.events.push_back({callback_ms, "undelivered", "failed", "30003"});
    return t;
  }
  t.final_status = "delivered";
  t.events.push_back({callback_ms, "delivered", "delivered", ""});
  if (roll % 4 == 0) {
    // A duplicate callback: kept in history, no transition.
    t.events.push_back({callback_ms + 250, "delivered", "delivered", ""});
  }
  return t;
}

ScenarioReport make_bulk_scenario() {
  ScenarioReport s{.name = "bulk send to a requisition",
                   .file = "scenarios/bulk_requisition.yaml",
                   .description = "Send Message to 120 candidates; delivery callbacks arrive.",
                   .passed = true,
                   .error = {},
                   .seed = 42,
                   .virtual_start_ms = kSampleStartMs,
                   .virtual_end_ms = kSampleStartMs + 10 * 60'000,
                   .wall_ms = 87};
  Sequence random(42);
  for (int i = 0; i < 120; ++i) {
    auto const admitted = kSampleStartMs + static_cast<std::int64_t>(random.next(8 * 60'000));
    s.timelines.push_back(make_message(random, i, admitted));
  }
  s.expectations = {
      {0, "no message sent twice", true, "0", "0", ""},
      {3, "delivered count at least", true, ">= 60", "79", ""},
      {4, "blocked for country_not_allowed", true, "> 0", "6", ""},
  };
  s.provider_requests = {{"twilio", 64}, {"syniverse", 58}, {"smtp", 24}};
  derive_from_timelines(s);
  return s;
}

ScenarioReport make_failing_scenario() {
  ScenarioReport s{.name = kHostileName,
                   .file = "scenarios/<odd> & \"quoted\".yaml",
                   .description = "Body: <b>Hi {{FirstName}}</b> & welcome — ünïcödé",
                   .passed = false,
                   .error = {},
                   .seed = 7,
                   .virtual_start_ms = kSampleStartMs,
                   .virtual_end_ms = kSampleStartMs + 2 * 3'600'000,
                   .wall_ms = 15};
  Sequence random(7);
  for (int i = 0; i < 40; ++i) {
    auto const admitted = kSampleStartMs + static_cast<std::int64_t>(random.next(7'000'000));
    s.timelines.push_back(make_message(random, i, admitted));
  }
  s.expectations = {
      {1, "daily limit per candidate", true, "3", "3", ""},
      {2, "blocked count <exact>", false, "12", "9", "candidate_daily_limit counted 9 & not 12"},
      {5, "status of msg-0003", false, "delivered", "failed", "error 30003 \"unreachable\""},
  };
  s.provider_requests = {{"twilio", 21}};
  derive_from_timelines(s);
  return s;
}

}  // namespace

RunReport make_sample_run() {
  RunReport run{.tool_version = "0.1.0",
                .started_at = "2024-03-01T10:15:02.123Z",
                .wall_ms = 102,
                .seed = 42,
                .scenarios = {}};
  run.scenarios.push_back(make_bulk_scenario());
  run.scenarios.push_back(make_failing_scenario());
  return run;
}

}  // namespace candor::reports
