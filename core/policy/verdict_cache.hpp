#pragma once

// VerdictCache: the static verdict of each raw phone string a RuleSet has seen,
// so that a repeated decision skips libphonenumber and the pattern set.

#include <array>
#include <cstddef>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/domain/types.hpp"

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
  /// stays bounded and follows a changing population of numbers.
  void insert(std::string_view raw, StaticVerdict const& verdict);

  /// Entries held now.
  std::size_t size() const;

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  using Map = std::unordered_map<std::string, StaticVerdict, KeyHash, std::equal_to<>>;

  struct alignas(64) Shard {
    mutable std::shared_mutex mutex;
    Map map;
  };
  static constexpr std::size_t kShards = 64;

  Shard& shard_of(std::string_view raw) const;

  std::size_t per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace candor::policy
