#include "core/policy/quota_book.hpp"

#include <algorithm>
#include <limits>

namespace candor::policy {
namespace {

constexpr std::int64_t kNoDay = std::numeric_limits<std::int32_t>::min();
constexpr std::uint64_t kCountMax = std::numeric_limits<std::uint32_t>::max();

std::uint64_t pack(std::int64_t day, std::uint64_t count) {
  auto const high = static_cast<std::uint32_t>(static_cast<std::int32_t>(day));
  return (std::uint64_t{high} << 32) | count;
}

std::int64_t day_part(std::uint64_t packed) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(packed >> 32));
}

std::uint64_t count_part(std::uint64_t packed) {
  return packed & kCountMax;
}

enum class AppTake : std::uint8_t { kTaken, kFull, kLaterDay };

template <class Map>
std::int64_t value_of(Map const& map, std::string_view key, std::uint64_t hash) {
  auto const* value = map.find(key, hash);
  return value == nullptr ? 0 : *value;
}

template <class Map>
void decrement(Map& map, std::string_view key, std::uint64_t hash) {
  auto* value = map.find(key, hash);
  if (value != nullptr && *value > 0) {
    --*value;
  }
}

}  // namespace

std::string_view to_string(QuotaScope scope) {
  switch (scope) {
    case QuotaScope::kPhone:
      return "phone";
    case QuotaScope::kCandidate:
      return "candidate";
    case QuotaScope::kApplication:
      return "application";
  }
  return "unknown";
}

// Holds the locks of the one or two shards a take touches, always in index
// order so that two takes can never wait for each other in a cycle.
class QuotaBook::ShardLocks {
 public:
  ShardLocks(std::array<Shard, kShards>& shards, std::size_t a, std::size_t b)
      : first_(shards[std::min(a, b)]), second_(a == b ? nullptr : &shards[std::max(a, b)]) {
    first_.mutex.lock();
    if (second_ != nullptr) {
      second_->mutex.lock();
    }
  }

  ~ShardLocks() {
    if (second_ != nullptr) {
      second_->mutex.unlock();
    }
    first_.mutex.unlock();
  }

  ShardLocks(ShardLocks const&) = delete;
  ShardLocks& operator=(ShardLocks const&) = delete;

  /// Moves the locked shards on to `day`, dropping older counters. Returns false
  /// when a shard is already on a later day: the caller's day is stale.
  bool roll_to(std::int64_t day) {
    return roll(first_, day) && (second_ == nullptr || roll(*second_, day));
  }

 private:
  static bool roll(Shard& shard, std::int64_t day) {
    if (shard.day > day) {
      return false;
    }
    if (shard.day < day) {
      shard.phones.clear();
      shard.candidates.clear();
      shard.day = day;
    }
    return true;
  }

  Shard& first_;
  Shard* second_;
};

QuotaBook::QuotaBook() : day_(kNoDay), application_(pack(kNoDay, 0)) {
  for (auto& shard : shards_) {
    shard.day = kNoDay;
  }
}

QuotaBook::~QuotaBook() = default;

void QuotaBook::prefetch(std::string_view phone, std::string_view candidate_number) const {
  auto const phone_hash = detail::hash_key(phone);
  shards_[shard_of(phone_hash)].phones.prefetch(phone_hash);
  if (!candidate_number.empty()) {
    auto const candidate_hash = detail::hash_key(candidate_number);
    shards_[shard_of(candidate_hash)].candidates.prefetch(candidate_hash);
  }
}

domain::BlockReason QuotaBook::try_take(std::int64_t day, std::string_view phone,
                                        std::string_view candidate_number,
                                        QuotaLimits const& limits, std::int64_t* counted_day) {
  auto const phone_hash = detail::hash_key(phone);
  auto const candidate_hash = detail::hash_key(candidate_number);
  auto const phone_shard = shard_of(phone_hash);
  auto const candidate_shard = candidate_number.empty() ? phone_shard : shard_of(candidate_hash);
  auto const app_limit =
      limits.application
          ? static_cast<std::uint64_t>(std::clamp<std::int64_t>(*limits.application, 0, kCountMax))
          : kCountMax + 1;

  // The application counter is taken last, by compare-and-swap, while the two
  // shard locks are held: either all three counters move or none does.
  auto const take_application = [&](std::int64_t on_day) {
    auto current = application_.load(std::memory_order_relaxed);
    for (;;) {
      auto const current_day = day_part(current);
      auto const current_count = count_part(current);
      if (current_day > on_day) {
        return AppTake::kLaterDay;
      }
      auto const count = current_day < on_day ? 0 : current_count;
      if (count >= app_limit) {
        return AppTake::kFull;
      }
      auto const next = pack(on_day, std::min(count + 1, kCountMax));
      if (application_.compare_exchange_weak(current, next, std::memory_order_acq_rel)) {
        return AppTake::kTaken;
      }
    }
  };

  for (;;) {
    auto const on_day = advance_day(day);
    ShardLocks locks(shards_, phone_shard, candidate_shard);
    if (!locks.roll_to(on_day)) {
      continue;
    }
    if (counted_day != nullptr) {
      *counted_day = on_day;
    }

    auto& phones = shards_[phone_shard].phones;
    auto& candidates = shards_[candidate_shard].candidates;
    if (limits.per_candidate) {
      auto const limit = *limits.per_candidate;
      if (value_of(phones, phone, phone_hash) >= limit ||
          (!candidate_number.empty() &&
           value_of(candidates, candidate_number, candidate_hash) >= limit)) {
        return domain::BlockReason::kCandidateDailyLimit;
      }
    }

    auto const app = take_application(on_day);
    if (app == AppTake::kLaterDay) {
      continue;
    }
    if (app == AppTake::kFull) {
      return domain::BlockReason::kApplicationDailyLimit;
    }

    ++phones.get_or_insert(phone, phone_hash);
    if (!candidate_number.empty()) {
      ++candidates.get_or_insert(candidate_number, candidate_hash);
    }
    return domain::BlockReason::kNone;
  }
}

void QuotaBook::give_back(std::int64_t day, std::string_view phone,
                          std::string_view candidate_number) {
  if (day != day_.load(std::memory_order_acquire)) {
    return;
  }

  auto const phone_hash = detail::hash_key(phone);
  auto const candidate_hash = detail::hash_key(candidate_number);
  auto const phone_shard = shard_of(phone_hash);
  auto const candidate_shard = candidate_number.empty() ? phone_shard : shard_of(candidate_hash);
  ShardLocks locks(shards_, phone_shard, candidate_shard);
  if (shards_[phone_shard].day == day) {
    decrement(shards_[phone_shard].phones, phone, phone_hash);
  }
  if (!candidate_number.empty() && shards_[candidate_shard].day == day) {
    decrement(shards_[candidate_shard].candidates, candidate_number, candidate_hash);
  }

  auto current = application_.load(std::memory_order_relaxed);
  while (day_part(current) == day && count_part(current) > 0) {
    if (application_.compare_exchange_weak(current, current - 1, std::memory_order_acq_rel)) {
      break;
    }
  }
}

void QuotaBook::load(std::int64_t day, std::vector<QuotaCount> const& counts) {
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(kShards);
  for (auto& shard : shards_) {
    locks.emplace_back(shard.mutex);
    shard.phones.clear();
    shard.candidates.clear();
    shard.day = day;
  }

  std::uint64_t application = 0;
  for (auto const& entry : counts) {
    if (entry.count <= 0) {
      continue;
    }
    auto const hash = detail::hash_key(entry.key);
    switch (entry.scope) {
      case QuotaScope::kPhone:
        shards_[shard_of(hash)].phones.get_or_insert(entry.key, hash) = entry.count;
        break;
      case QuotaScope::kCandidate:
        shards_[shard_of(hash)].candidates.get_or_insert(entry.key, hash) = entry.count;
        break;
      case QuotaScope::kApplication:
        application = std::min<std::uint64_t>(static_cast<std::uint64_t>(entry.count), kCountMax);
        break;
    }
  }
  application_.store(pack(day, application), std::memory_order_release);
  day_.store(day, std::memory_order_release);
}

std::int64_t QuotaBook::count(std::int64_t day, QuotaScope scope, std::string_view key) const {
  if (day != day_.load(std::memory_order_acquire)) {
    return 0;
  }
  if (scope == QuotaScope::kApplication) {
    auto const packed = application_.load(std::memory_order_acquire);
    return day_part(packed) == day ? static_cast<std::int64_t>(count_part(packed)) : 0;
  }

  auto const hash = detail::hash_key(key);
  auto const& shard = shards_[shard_of(hash)];
  std::lock_guard lock(shard.mutex);
  if (shard.day != day) {
    return 0;
  }
  return value_of(scope == QuotaScope::kPhone ? shard.phones : shard.candidates, key, hash);
}

std::optional<std::int64_t> QuotaBook::day() const {
  auto const day = day_.load(std::memory_order_acquire);
  if (day == kNoDay) {
    return std::nullopt;
  }
  return day;
}

std::size_t QuotaBook::shard_of(std::uint64_t hash) {
  // The map uses the low bits; the shard takes the high ones so that keys in one
  // shard still spread over its slots.
  return (hash >> 58) % kShards;
}

std::int64_t QuotaBook::advance_day(std::int64_t day) {
  auto current = day_.load(std::memory_order_acquire);
  while (current < day && !day_.compare_exchange_weak(current, day, std::memory_order_acq_rel)) {
  }
  return std::max(current, day);
}

}  // namespace candor::policy
