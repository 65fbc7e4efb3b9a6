#include "core/policy/verdict_cache.hpp"

#include <mutex>

namespace candor::policy {

VerdictCache::VerdictCache(std::size_t capacity)
    : per_shard_(capacity == 0 ? 0 : (capacity + kShards - 1) / kShards) {}

VerdictCache::~VerdictCache() = default;

bool VerdictCache::find(std::string_view raw, StaticVerdict& out) const {
  if (per_shard_ == 0) {
    return false;
  }
  auto& shard = shard_of(raw);
  std::shared_lock lock(shard.mutex);
  auto const it = shard.map.find(raw);
  if (it == shard.map.end()) {
    return false;
  }
  out = it->second;
  return true;
}

void VerdictCache::insert(std::string_view raw, StaticVerdict const& verdict) {
  if (per_shard_ == 0) {
    return;
  }
  auto& shard = shard_of(raw);
  std::unique_lock lock(shard.mutex);
  if (shard.map.size() >= per_shard_ && shard.map.find(raw) == shard.map.end()) {
    shard.map.clear();
  }
  shard.map.try_emplace(std::string(raw), verdict);
}

std::size_t VerdictCache::size() const {
  std::size_t total = 0;
  for (auto const& shard : shards_) {
    std::shared_lock lock(shard.mutex);
    total += shard.map.size();
  }
  return total;
}

VerdictCache::Shard& VerdictCache::shard_of(std::string_view raw) const {
  // High bits pick the shard; the shard's map uses the low ones.
  return shards_[(KeyHash{}(raw) >> 32) % kShards];
}

}  // namespace candor::policy
