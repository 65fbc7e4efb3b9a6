#include "core/policy/verdict_cache.hpp"

#include <algorithm>
#include <mutex>

namespace candor::policy {

VerdictCache::VerdictCache(std::size_t capacity)
    : per_shard_(capacity == 0 ? 0 : (capacity + kShards - 1) / kShards) {}

VerdictCache::~VerdictCache() = default;

bool VerdictCache::find(std::string_view raw, StaticVerdict& out) const {
  if (per_shard_ == 0) {
    return false;
  }
  auto const hash = detail::hash_key(raw);
  auto& shard = shard_of(hash);
  std::shared_lock lock(shard.mutex);
  auto const* packed = shard.map.find(raw, hash);
  if (packed == nullptr) {
    return false;
  }
  out.reason = packed->reason;
  out.e164.assign(packed->e164, packed->e164_size);
  out.region.assign(packed->region, packed->region_size);
  return true;
}

void VerdictCache::insert(std::string_view raw, StaticVerdict const& verdict) {
  PackedVerdict packed;
  if (per_shard_ == 0 || verdict.e164.size() > sizeof(packed.e164) ||
      verdict.region.size() > sizeof(packed.region)) {
    return;
  }
  packed.reason = verdict.reason;
  packed.e164_size = static_cast<std::uint8_t>(verdict.e164.size());
  packed.region_size = static_cast<std::uint8_t>(verdict.region.size());
  std::copy(verdict.e164.begin(), verdict.e164.end(), packed.e164);
  std::copy(verdict.region.begin(), verdict.region.end(), packed.region);

  auto const hash = detail::hash_key(raw);
  auto& shard = shard_of(hash);
  std::unique_lock lock(shard.mutex);
  if (shard.map.size() >= per_shard_ && shard.map.find(raw, hash) == nullptr) {
    shard.map.clear();
  }
  shard.map.get_or_insert(raw, hash) = packed;
}

std::size_t VerdictCache::size() const {
  std::size_t total = 0;
  for (auto const& shard : shards_) {
    std::shared_lock lock(shard.mutex);
    total += shard.map.size();
  }
  return total;
}

VerdictCache::Shard& VerdictCache::shard_of(std::uint64_t hash) const {
  // High bits pick the shard; the shard's map uses the low ones.
  return shards_[(hash >> 58) % kShards];
}

}  // namespace candor::policy
