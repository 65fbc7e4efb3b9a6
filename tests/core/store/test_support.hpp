#pragma once

// Helpers shared by the store tests: temporary directories and message builders.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "core/clock/clock.hpp"
#include "core/domain/types.hpp"
#include "core/store/store.hpp"

namespace candor::store::test_support {

/// A fresh directory under the system temp directory, removed with its files.
class TempDir {
 public:
  TempDir() {
    auto pattern = (std::filesystem::temp_directory_path() / "candor-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;

  std::string file(std::string const& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline clock::TimePoint at_ms(std::int64_t ms) {
  return clock::from_unix_ms(ms);
}

/// An outbound SMS to `candidate` created at `created_ms`, queued.
inline domain::Message sms(domain::CandidateId candidate, std::int64_t created_ms,
                           std::string to = "+14155550100") {
  domain::Message m;
  m.candidate_id = candidate;
  m.channel = domain::Channel::kSms;
  m.context = {.kind = domain::ContextKind::kProfile};
  m.body = "Hello";
  m.to = std::move(to);
  m.from = "MG0001";
  m.provider = "twilio";
  m.status = domain::Status::kQueued;
  m.created_at = at_ms(created_ms);
  m.updated_at = m.created_at;
  return m;
}

inline NewMessage queued(domain::Message m, std::int64_t day, std::string candidate_number) {
  auto phone = m.to;
  return NewMessage{.message = std::move(m),
                    .quota_day = day,
                    .quota_phone = std::move(phone),
                    .quota_candidate_number = std::move(candidate_number)};
}

inline NewMessage blocked(domain::Message m, domain::BlockReason reason) {
  m.status = domain::Status::kBlocked;
  m.block_reason = reason;
  return NewMessage{.message = std::move(m)};
}

inline std::unique_ptr<Store> open_or_fail(std::string const& path, StoreOptions options = {}) {
  auto store = Store::open(path, options);
  if (!store) {
    ADD_FAILURE() << store.error().to_string();
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace candor::store::test_support
