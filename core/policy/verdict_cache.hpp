#pragma once

// VerdictCache: the static verdict of each raw phone string a RuleSet has seen,
// so that a repeated decision skips libphonenumber and the pattern set.

#include <array>
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "core/domain/types.hpp"
#include "core/policy/detail/flat_string_map.hpp"

namespace candor::policy {

/// The outcome of checks 1, 3, 4 and 5 for one raw phone string.
struct StaticVerdict {
  /// kNone, kInvalidNumber, kCountryNotAllowed, kNumberBlocked or kPatternBlocked.
  domain::BlockReason reason = domain::BlockReason::kNone;
  std::string e164;    ///< empty when the number could not be parsed
  std::string region;  ///< empty when unknown
};

/// A bounded map from raw phone string to StaticVerdict, sharded so that
/// readers on different shards never meet. Thread-safe.
class VerdictCache {
 public:
  /// Keeps at most about `capacity` entries; 0 keeps none.
  explicit VerdictCache(std::size_t capacity);
  ~VerdictCache();
  VerdictCache(VerdictCache const&) = delete;
  VerdictCache& operator=(VerdictCache const&) = delete;

  /// Copies the verdict of `raw` into `out`; false when it is not cached.
  bool find(std::string_view raw, StaticVerdict& out) const;

  /// Remembers `verdict` for `raw`. A full shard is emptied first: the cache
  /// stays bounded and follows a changing population of numbers. A verdict whose
  /// E.164 is over 16 characters or region over 3 (none libphonenumber gives) is
  /// not kept.
  void insert(std::string_view raw, StaticVerdict const& verdict);

  /// Entries held now.
  std::size_t size() const;

 private:
  /// StaticVerdict without heap strings, so that a cache slot (hash, key and
  /// verdict) fills exactly one cache line.
  struct PackedVerdict {
    domain::BlockReason reason = domain::BlockReason::kNone;
    std::uint8_t e164_size = 0;
    std::uint8_t region_size = 0;
    char region[3] = {};
    char e164[16] = {};
  };
  using Map = detail::FlatStringMap<PackedVerdict>;

  struct alignas(64) Shard {
    mutable std::shared_mutex mutex;
    Map map;
  };
  static constexpr std::size_t kShards = 64;

  Shard& shard_of(std::uint64_t hash) const;

  std::size_t per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace candor::policy
