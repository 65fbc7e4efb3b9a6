// Decisions per second of the send policy with production-sized rules: 100,000
// blocked numbers, 1,000 blocked patterns and the counters of 1,000,000
// candidates. Run a Release build:
//   candor_policy_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "core/policy/phone_number.hpp"
#include "core/policy/quota_book.hpp"
#include "core/policy/send_policy.hpp"

namespace candor::policy {
namespace {

constexpr int kBlockedNumbers = 100'000;
constexpr int kPatterns = 1'000;
constexpr int kCandidates = 1'000'000;

clock::TimePoint const kNow = clock::from_unix_ms(1'710'028'800'000);

struct Candidate {
  std::string phone;
  std::string number;
};

// New York numbers: 212, 646 and 917 with exchanges 200-999, so each is valid
// and none is in the blocked list or matches a pattern.
std::string candidate_phone(int i) {
  static constexpr char const* kAreas[] = {"212", "646", "917"};
  auto const area = kAreas[i % 3];
  auto const rest = i / 3;
  return fmt::format("+1{}{}{:04}", area, 200 + rest / 10'000, rest % 10'000);
}

PolicyConfig production_rules(std::size_t cache_capacity) {
  PolicyConfig config{.allowed_countries = {"US", "CA", "GB"},
                      .candidate_daily_limit = 1'000'000'000,
                      .application_daily_limit = 1'000'000'000,
                      .verdict_cache_capacity = cache_capacity};

  // Toronto numbers; blocked, never asked for.
  config.blocked_numbers.reserve(kBlockedNumbers);
  for (int i = 0; i < kBlockedNumbers; ++i) {
    config.blocked_numbers.push_back(fmt::format("+1416{}{:04}", 200 + i / 10'000, i % 10'000));
  }
  // Premium-rate and toll-free shapes, none matching a New York number.
  for (int i = 0; i < kPatterns; ++i) {
    config.blocked_patterns.push_back(
        fmt::format("1(8{:02}|9{:02})555{:02}\\d\\d", i % 100, (i / 10) % 100, i % 97));
  }
  return config;
}

std::vector<Candidate> const& candidates() {
  static auto const all = [] {
    std::vector<Candidate> out;
    out.reserve(kCandidates);
    for (int i = 0; i < kCandidates; ++i) {
      out.push_back({candidate_phone(i), fmt::format("CAND-{:07}", i)});
    }
    return out;
  }();
  return all;
}

// Every candidate has been written to earlier today: the quota book holds a
// counter per phone and per candidate number.
void load_counters(SendPolicy& policy) {
  std::vector<QuotaCount> counts;
  counts.reserve(2 * kCandidates + 1);
  for (auto const& candidate : candidates()) {
    counts.push_back({.scope = QuotaScope::kPhone, .key = candidate.phone, .count = 1});
    counts.push_back({.scope = QuotaScope::kCandidate, .key = candidate.number, .count = 1});
  }
  counts.push_back({.scope = QuotaScope::kApplication, .count = kCandidates});
  policy.quota().load(policy.day_of(kNow), counts);
}

std::unique_ptr<SendPolicy> make_policy(std::size_t cache_capacity) {
  auto policy = SendPolicy::create(production_rules(cache_capacity));
  if (!policy.ok()) {
    fmt::print(stderr, "{}\n", policy.error().message);
    std::abort();
  }
  load_counters(**policy);
  return std::move(*policy);
}

// The warm policy has seen every candidate's number once, as after the first
// bulk send of a day.
SendPolicy& warm_policy() {
  static auto const policy = [] {
    auto out = make_policy(std::size_t{1} << 21);
    for (auto const& candidate : candidates()) {
      benchmark::DoNotOptimize(out->check({.phone = candidate.phone}));
    }
    return out;
  }();
  return *policy;
}

SendPolicy& cold_policy() {
  static auto const policy = make_policy(0);
  return *policy;
}

void run_decisions(benchmark::State& state, SendPolicy& policy) {
  auto const& all = candidates();
  // Threads walk the candidates from different places with a stride that is
  // prime to their count, so consecutive decisions touch unrelated counters.
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919u;
  for (auto _ : state) {
    auto const& candidate = all[i % all.size()];
    auto decision =
        policy.decide({.phone = candidate.phone, .candidate_number = candidate.number}, kNow);
    benchmark::DoNotOptimize(decision);
    i += 104'729;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SendPolicy_Decide(benchmark::State& state) {
  run_decisions(state, warm_policy());
}
BENCHMARK(BM_SendPolicy_Decide);

void BM_SendPolicy_DecideTwoThreads(benchmark::State& state) {
  run_decisions(state, warm_policy());
}
BENCHMARK(BM_SendPolicy_DecideTwoThreads)->Threads(2)->UseRealTime();

// No verdict cache: every decision parses the number and runs the pattern set.
void BM_SendPolicy_DecideColdCache(benchmark::State& state) {
  run_decisions(state, cold_policy());
}
BENCHMARK(BM_SendPolicy_DecideColdCache);

void BM_SendPolicy_CheckBlockedPattern(benchmark::State& state) {
  auto& policy = warm_policy();
  for (auto _ : state) {
    auto decision = policy.check({.phone = "+18005550342"});
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SendPolicy_CheckBlockedPattern);

void BM_QuotaBook_TryTake(benchmark::State& state) {
  auto& policy = warm_policy();
  auto const& all = candidates();
  QuotaLimits const limits{.per_candidate = 1'000'000'000};
  auto const day = policy.day_of(kNow);
  std::size_t i = 0;
  for (auto _ : state) {
    auto const& candidate = all[i % all.size()];
    benchmark::DoNotOptimize(
        policy.quota().try_take(day, candidate.phone, candidate.number, limits));
    i += 104'729;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuotaBook_TryTake);

void BM_ParsePhone(benchmark::State& state) {
  for (auto _ : state) {
    auto phone = parse_phone("+1 212 555 0142");
    benchmark::DoNotOptimize(phone);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParsePhone);

}  // namespace
}  // namespace candor::policy

BENCHMARK_MAIN();
