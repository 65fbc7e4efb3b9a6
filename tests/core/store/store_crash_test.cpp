// Crash recovery: a process killed in the middle of admitting batches leaves a
// database that reopens consistent. The writer is a real forked process killed
// with SIGKILL, so nothing of it gets a chance to clean up.

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/store/store.hpp"
#include "tests/core/store/test_support.hpp"

namespace candor::store {
namespace {

using test_support::TempDir;

constexpr std::int64_t kDay = 20000;
constexpr int kQueuedPerBatch = 8;
constexpr int kBlockedPerBatch = 2;
constexpr int kBatch = kQueuedPerBatch + kBlockedPerBatch;
constexpr int kPhones = 3;

std::string phone_of(int n) {
  return "+1415555010" + std::to_string(n % kPhones);
}
std::string candidate_number_of(domain::CandidateId id) {
  return "CAND-" + std::to_string(id);
}

std::vector<NewMessage> make_batch(int batch) {
  std::vector<NewMessage> entries;
  for (int i = 0; i < kBatch; ++i) {
    int const n = batch * kBatch + i;
    domain::CandidateId const candidate = n % 4 + 1;
    auto m = test_support::sms(candidate, 1000 + n, phone_of(n));
    if (i < kQueuedPerBatch) {
      entries.push_back(test_support::queued(std::move(m), kDay, candidate_number_of(candidate)));
    } else {
      entries.push_back(test_support::blocked(std::move(m), domain::BlockReason::kOptedOut));
    }
  }
  return entries;
}

// Runs in the child: admits batches until killed. Never returns into the test
// framework; exit codes tell the parent what went wrong.
[[noreturn]] void admit_until_killed(std::string const& path, int first_batch) {
  auto store = Store::open(path);
  if (!store) {
    _exit(2);
  }
  for (int batch = first_batch; batch < first_batch + 1'000'000; ++batch) {
    if (!(*store)->admit(make_batch(batch))) {
      _exit(3);
    }
  }
  _exit(0);
}

std::int64_t message_count(Store& store) {
  auto counts = store.count_by_status();
  if (!counts) {
    return -1;
  }
  std::int64_t total = 0;
  for (auto const& [status, count] : *counts) {
    total += count;
  }
  return total;
}

// Kills one writer at a random moment after it committed at least one batch.
void run_and_kill_writer(std::string const& path, int first_batch, std::mt19937& random) {
  auto const before = [&] {
    auto store = test_support::open_or_fail(path);
    return store ? message_count(*store) : -1;
  }();
  ASSERT_GE(before, 0);

  pid_t const child = fork();
  ASSERT_GE(child, 0) << "fork failed";
  if (child == 0) {
    admit_until_killed(path, first_batch);
  }

  // Polls with a separate connection, as another process would, until the
  // child's first batch is visible. The child owns the store; this only reads.
  {
    auto watcher = test_support::open_or_fail(path, {.owner = false});
    ASSERT_TRUE(watcher);
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (message_count(*watcher) <= before && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      ASSERT_EQ(waitpid(child, &status, WNOHANG), 0) << "writer exited early, status " << status;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_GT(message_count(*watcher), before) << "writer committed nothing";
  }

  // The point of the test is an unpredictable kill point, so here a real delay
  // is the input, not a wait for a condition.
  std::uniform_int_distribution<int> delay_us(0, 20'000);
  std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status)) << "writer ended by itself, status " << status;
}

void expect_consistent(std::string const& path) {
  auto store = test_support::open_or_fail(path);
  ASSERT_TRUE(store);
  auto messages = store->all_messages();
  auto outbox = store->pending_outbox();
  auto counts = store->quota_counts(kDay);
  ASSERT_TRUE(messages && outbox && counts);

  ASSERT_FALSE(messages->empty());
  EXPECT_EQ(messages->size() % kBatch, 0u) << "a partial batch survived";

  std::set<domain::MessageId> queued_ids;
  std::map<std::pair<policy::QuotaScope, std::string>, std::int64_t> expected;
  std::size_t blocked = 0;
  for (auto const& m : *messages) {
    EXPECT_EQ(m.history.size(), 1u) << "message " << m.id;
    if (m.status == domain::Status::kBlocked) {
      ++blocked;
      continue;
    }
    ASSERT_EQ(m.status, domain::Status::kQueued) << "message " << m.id;
    queued_ids.insert(m.id);
    ++expected[{policy::QuotaScope::kApplication, ""}];
    ++expected[{policy::QuotaScope::kPhone, m.to}];
    ++expected[{policy::QuotaScope::kCandidate, candidate_number_of(*m.candidate_id)}];
  }
  EXPECT_EQ(blocked * kQueuedPerBatch, queued_ids.size() * kBlockedPerBatch);

  std::set<domain::MessageId> outbox_ids;
  for (auto const& entry : *outbox) {
    EXPECT_TRUE(outbox_ids.insert(entry.message_id).second) << "two outbox rows";
  }
  EXPECT_EQ(outbox_ids, queued_ids);

  std::map<std::pair<policy::QuotaScope, std::string>, std::int64_t> stored;
  for (auto const& c : *counts) {
    stored[{c.scope, c.key}] = c.count;
  }
  EXPECT_EQ(stored, expected);
}

TEST(StoreCrash, ReopenAfterKillMidBatchIsConsistent) {
  TempDir dir;
  auto const path = dir.file("crash.db");
  std::mt19937 random(std::random_device{}());

  // Several rounds on the same file: each reopens what the previous kill left.
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    run_and_kill_writer(path, round * 1'000'000, random);
    expect_consistent(path);
    if (::testing::Test::HasFatalFailure()) {
      return;
    }
  }
}

}  // namespace
}  // namespace candor::store
