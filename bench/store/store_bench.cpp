// Store throughput on a file database in a temporary directory, WAL mode with
// synchronous=NORMAL (the default options). Rates are per second of real time:
// the WAL writes and checkpoints are part of the cost.

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/clock/clock.hpp"
#include "core/store/store.hpp"

namespace candor::store {
namespace {

constexpr std::int64_t kDay = 20000;

class BenchDir {
 public:
  BenchDir() {
    auto pattern = (std::filesystem::temp_directory_path() / "candor-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) {
      path_ = pattern;
    }
  }
  ~BenchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  BenchDir(BenchDir const&) = delete;
  BenchDir& operator=(BenchDir const&) = delete;

  bool ok() const { return !path_.empty(); }
  std::string file() const { return (path_ / "bench.db").string(); }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<Store> open_store(benchmark::State& state, BenchDir const& dir) {
  if (!dir.ok()) {
    state.SkipWithError("cannot create a temporary directory");
    return nullptr;
  }
  auto store = Store::open(dir.file());
  if (!store) {
    state.SkipWithError(store.error().to_string().c_str());
    return nullptr;
  }
  return std::move(*store);
}

// `count` admitted SMS to a spread of candidates and phones, like a bulk send.
std::vector<NewMessage> make_batch(std::int64_t first, std::int64_t count) {
  std::vector<NewMessage> batch;
  batch.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = first; i < first + count; ++i) {
    domain::Message m;
    m.candidate_id = i % 5000;
    m.channel = domain::Channel::kSms;
    m.context = {.kind = domain::ContextKind::kRequisition, .id = "REQ-1"};
    m.body = "Hello Ada, thanks for applying to the Staff Engineer role.";
    m.to = "+1415555" + std::to_string(1'000'000 + i % 5000).substr(1);
    m.from = "MG0001";
    m.provider = "twilio";
    m.created_at = clock::from_unix_ms(1'700'000'000'000 + i);
    m.updated_at = m.created_at;
    m.history.push_back({.at = m.created_at, .raw_status = "admitted"});
    auto phone = m.to;
    batch.push_back({.message = std::move(m),
                     .quota_day = kDay,
                     .quota_phone = std::move(phone),
                     .quota_candidate_number = "CAND-" + std::to_string(i % 5000)});
  }
  return batch;
}

std::string provider_id(domain::MessageId id) {
  return "SM" + std::to_string(id);
}

// Admits and completes `count` messages; returns their ids.
std::vector<domain::MessageId> sent_messages(benchmark::State& state, Store& store,
                                             std::int64_t first, std::int64_t count) {
  auto ids = store.admit(make_batch(first, count));
  if (!ids) {
    state.SkipWithError(ids.error().to_string().c_str());
    return {};
  }
  for (auto id : *ids) {
    auto done = store.complete_send(
        id, {.provider_message_id = provider_id(id),
             .event = {.at = clock::from_unix_ms(1'700'000'100'000), .raw_status = "queued"}});
    if (!done) {
      state.SkipWithError(done.error().to_string().c_str());
      return {};
    }
  }
  return *ids;
}

void BM_Store_Admit(benchmark::State& state) {
  BenchDir dir;
  auto store = open_store(state, dir);
  if (!store) {
    return;
  }
  auto const batch_size = state.range(0);
  std::int64_t next = 0;

  for (auto _ : state) {
    state.PauseTiming();
    auto batch = make_batch(next, batch_size);
    next += batch_size;
    state.ResumeTiming();

    auto ids = store->admit(batch);
    if (!ids) {
      state.SkipWithError(ids.error().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(ids->data());
  }
  state.SetItemsProcessed(state.iterations() * batch_size);
}
BENCHMARK(BM_Store_Admit)
    ->Arg(1)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Store_ApplyStatuses(benchmark::State& state) {
  BenchDir dir;
  auto store = open_store(state, dir);
  if (!store) {
    return;
  }
  auto const batch_size = state.range(0);
  std::int64_t next = 0;

  for (auto _ : state) {
    // Fresh messages each round: repeated statuses would only measure dedupe.
    state.PauseTiming();
    auto const ids = sent_messages(state, *store, next, batch_size);
    next += batch_size;
    std::vector<domain::StatusUpdate> updates;
    updates.reserve(ids.size());
    for (auto id : ids) {
      updates.push_back({.provider = "twilio",
                         .kind = domain::ProviderKind::kTwilio,
                         .provider_message_id = provider_id(id),
                         .raw_status = "delivered",
                         .at = clock::from_unix_ms(1'700'000'200'000)});
    }
    state.ResumeTiming();

    auto outcomes = store->apply_statuses(updates);
    if (!outcomes) {
      state.SkipWithError(outcomes.error().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(outcomes->data());
  }
  state.SetItemsProcessed(state.iterations() * batch_size);
}
BENCHMARK(BM_Store_ApplyStatuses)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Admits `count` messages for the completion benchmarks, outside the timing.
std::vector<domain::MessageId> admitted(benchmark::State& state, Store& store, std::int64_t count) {
  auto ids = store.admit(make_batch(0, count));
  if (!ids) {
    state.SkipWithError(ids.error().to_string().c_str());
    return {};
  }
  return *ids;
}

Completion accepted(domain::MessageId id) {
  return {.message_id = id,
          .send = {.provider_message_id = provider_id(id),
                   .event = {.at = clock::from_unix_ms(1'700'000'100'000),
                             .raw_status = "provider:accepted"}}};
}

// Provider answers as the Messenger's writer stores them: the attempts of a round
// in one transaction, then the answers that queued up meanwhile in another.
void BM_Store_AttemptsAndCompletions(benchmark::State& state) {
  BenchDir dir;
  auto store = open_store(state, dir);
  if (!store) {
    return;
  }
  auto const batch_size = static_cast<std::size_t>(state.range(0));
  auto const ids = admitted(state, *store, 200'000);
  std::size_t next = 0;

  for (auto _ : state) {
    if (next + batch_size > ids.size()) {
      state.SkipWithError("ran out of admitted messages");
      break;
    }
    state.PauseTiming();
    std::vector<AttemptStart> attempts;
    std::vector<Completion> completions;
    for (std::size_t i = next; i < next + batch_size; ++i) {
      attempts.push_back({.message_id = ids[i], .at = clock::from_unix_ms(1'700'000'050'000)});
      completions.push_back(accepted(ids[i]));
    }
    next += batch_size;
    state.ResumeTiming();

    auto recorded = store->record_attempts(attempts);
    auto done = store->complete_sends(completions);
    if (!recorded || !done) {
      state.SkipWithError("storing attempts or completions failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Store_AttemptsAndCompletions)
    ->Arg(1)
    ->Arg(64)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace candor::store

BENCHMARK_MAIN();
