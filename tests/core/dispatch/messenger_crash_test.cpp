// Crash recovery end to end: a process running a Messenger on a file store is
// killed with SIGKILL in the middle of a bulk send; a new Messenger on the same
// file resumes the outbox. Every admitted message must end Sent, and no message
// may have reached a provider more often than its history records an attempt.

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock/system_clock.hpp"
#include "core/dispatch/messenger.hpp"
#include "core/policy/send_policy.hpp"
#include "core/providers/provider.hpp"
#include "core/store/store.hpp"
#include "tests/core/store/test_support.hpp"

namespace candor::dispatch {
namespace {

using namespace std::chrono_literals;

constexpr int kCandidates = 400;

/// Accepts every message at once, after appending its id to a log file: the log
/// is what the provider has seen, whatever became of the process afterwards.
class LoggingProvider final : public providers::Provider {
 public:
  explicit LoggingProvider(int log_fd) : log_fd_(log_fd) {}

  // providers::Provider
  std::string const& name() const override { return name_; }
  domain::ProviderKind kind() const override { return domain::ProviderKind::kGeneric; }
  domain::Channel channel() const override { return domain::Channel::kSms; }
  bool has_delivery_callbacks() const override { return false; }
  void send(providers::OutboundMessage message, providers::SendCallback done) override {
    if (log_fd_ >= 0) {
      auto const line = std::to_string(message.message_id) + "\n";
      // One write of a short line to an O_APPEND file lands whole or not at all.
      if (::write(log_fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        _exit(4);
      }
    }
    done({.kind = providers::OutcomeKind::kAccepted,
          .provider_message_id = "G" + std::to_string(message.message_id),
          .raw_status = "sent"});
  }

 private:
  std::string name_ = "generic";
  int log_fd_;
};

std::vector<domain::Candidate> candidates() {
  std::vector<domain::Candidate> out;
  for (int i = 1; i <= kCandidates; ++i) {
    out.push_back({.id = i,
                   .candidate_number = "CAND-" + std::to_string(i),
                   .first_name = "C" + std::to_string(i),
                   .phone = "+1415555" + std::to_string(1000 + i)});
  }
  return out;
}

std::unique_ptr<policy::SendPolicy> open_policy() {
  auto policy = policy::SendPolicy::create({});
  return policy ? std::move(*policy) : nullptr;
}

// Runs in the child: admits one bulk send and lets it go out until killed.
[[noreturn]] void send_until_killed(std::string const& store_path, std::string const& log_path) {
  int const log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  auto store = store::Store::open(store_path);
  auto policy = open_policy();
  if (log_fd < 0 || !store || !policy) {
    _exit(2);
  }
  clock::SystemClock clock;
  LoggingProvider provider(log_fd);
  // A small window keeps most of the send in the outbox for a while.
  Messenger messenger(**store, *policy, clock, {.sms = &provider}, {.max_in_flight = 4});
  if (!messenger.start() || !messenger.upsert_candidates(candidates())) {
    _exit(3);
  }
  std::vector<domain::CandidateId> ids;
  for (int i = 1; i <= kCandidates; ++i) {
    ids.push_back(i);
  }
  if (!messenger.send_message({.context = {domain::ContextKind::kRequisition, "R-1"},
                               .body = "Hi {{FirstName}}",
                               .candidates = ids})) {
    _exit(5);
  }
  for (;;) {
    std::this_thread::sleep_for(1s);
  }
}

std::map<domain::MessageId, int> sends_in(std::string const& log_path) {
  std::map<domain::MessageId, int> sends;
  std::ifstream log(log_path);
  domain::MessageId id = 0;
  while (log >> id) {
    ++sends[id];
  }
  return sends;
}

TEST(MessengerCrash, ResumeAfterAKillMidSendLosesNothingAndRecordsEverySend) {
  store::test_support::TempDir dir;
  auto const store_path = dir.file("crash.db");
  auto const log_path = dir.file("provider.log");

  pid_t const child = fork();
  ASSERT_GE(child, 0) << "fork failed";
  if (child == 0) {
    send_until_killed(store_path, log_path);
  }
  // Kill it once some messages went out, at an unpredictable point after.
  auto const deadline = std::chrono::steady_clock::now() + 30s;
  while (sends_in(log_path).size() < 10 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, WNOHANG), 0) << "sender exited early, status " << status;
    std::this_thread::sleep_for(1ms);
  }
  std::mt19937 random(std::random_device{}());
  std::this_thread::sleep_for(
      std::chrono::microseconds(std::uniform_int_distribution<int>(0, 2'000)(random)));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "sender ended by itself, status " << status;
  auto const before_restart = sends_in(log_path).size();

  // The same store, a new process's worth of objects.
  {
    int const log_fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(log_fd, 0);
    auto store = store::test_support::open_or_fail(store_path);
    ASSERT_TRUE(store);
    auto policy = open_policy();
    ASSERT_TRUE(policy);
    clock::SystemClock clock;
    LoggingProvider provider(log_fd);
    Messenger messenger(*store, *policy, clock, {.sms = &provider});
    ASSERT_TRUE(messenger.start());
    auto const resumed = messenger.stats().resumed;
    while (messenger.stats().sent < resumed && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(messenger.stats().sent, resumed);
    ::close(log_fd);

    auto messages = store->all_messages();
    auto pending = store->pending_outbox();
    ASSERT_TRUE(messages && pending);
    EXPECT_TRUE(pending->empty());
    ASSERT_EQ(messages->size(), static_cast<std::size_t>(kCandidates))
        << "the admission is one transaction: all or nothing";
    auto const sends = sends_in(log_path);
    for (auto const& m : *messages) {
      EXPECT_EQ(m.status, domain::Status::kSent) << "message " << m.id;
      int attempts = 0;
      for (auto const& event : m.history) {
        attempts += event.raw_status == "attempt" ? 1 : 0;
      }
      auto const sent = sends.contains(m.id) ? sends.at(m.id) : 0;
      EXPECT_GE(sent, 1) << "message " << m.id << " never reached the provider";
      EXPECT_LE(sent, attempts) << "message " << m.id << " reached the provider unrecorded";
    }
  }
  EXPECT_LT(before_restart, static_cast<std::size_t>(kCandidates))
      << "the kill came after the whole send; nothing was resumed";
}

}  // namespace
}  // namespace candor::dispatch
