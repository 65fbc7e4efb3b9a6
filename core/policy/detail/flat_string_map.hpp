#pragma once

// FlatStringMap: an open-addressing hash map from short strings to small values,
// for the per-decision lookups of the send policy (verdicts, quota counters).
//
// Keys, their hashes and values sit in one array, so a lookup usually costs one
// cache miss where std::unordered_map costs three (bucket, previous node, node).
// It only grows and is emptied whole: the policy never erases single entries
// (a counter given back to zero stays, holding 0). Not thread-safe; callers
// shard and lock.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/detail/large_page_allocator.hpp"

namespace candor::policy::detail {

/// The hash the policy uses for every key; its high bits pick a shard and its
/// low bits a slot, so one computation serves both.
inline std::uint64_t hash_key(std::string_view key) {
  auto const hash = static_cast<std::uint64_t>(std::hash<std::string_view>{}(key));
  return hash == 0 ? 1 : hash;  // 0 marks an empty slot
}

template <class Value>
class FlatStringMap {
 public:
  FlatStringMap() = default;

  /// The value of `key`, or nullptr. `hash` is hash_key(key).
  Value* find(std::string_view key, std::uint64_t hash) {
    if (slots_.empty()) {
      return nullptr;
    }
    for (auto i = hash & mask();; i = (i + 1) & mask()) {
      auto& slot = slots_[i];
      if (slot.hash == 0) {
        return nullptr;
      }
      if (slot.hash == hash && slot.key == key) {
        return &slot.value;
      }
    }
  }

  Value const* find(std::string_view key, std::uint64_t hash) const {
    return const_cast<FlatStringMap*>(this)->find(key, hash);
  }

  /// The value of `key`, value-initialised when new.
  Value& get_or_insert(std::string_view key, std::uint64_t hash) {
    if (auto* found = find(key, hash)) {
      return *found;
    }
    // Grow at 3/4 full: linear probing stays short below that.
    if ((size_ + 1) * 4 > slots_.size() * 3) {
      grow();
    }
    auto i = hash & mask();
    while (slots_[i].hash != 0) {
      i = (i + 1) & mask();
    }
    auto& slot = slots_[i];
    slot.hash = hash;
    slot.key.assign(key);
    slot.value = Value{};
    ++size_;
    return slot.value;
  }

  /// Asks the CPU to start loading the slot where `hash` would sit, so that a
  /// lookup moments later finds it in cache. Safe from any thread, also while
  /// another one writes the map: it reads only atomics, and a prefetch of memory
  /// the map has since given up neither faults nor changes anything.
  void prefetch(std::uint64_t hash) const {
    auto const* base = prefetch_base_.load(std::memory_order_relaxed);
    if (base != nullptr) {
      __builtin_prefetch(base + (hash & prefetch_mask_.load(std::memory_order_relaxed)));
    }
  }

  /// Removes every entry; keeps the memory for the next fill.
  void clear() {
    if (size_ == 0) {
      return;
    }
    for (auto& slot : slots_) {
      slot = Slot{};
    }
    size_ = 0;
  }

  std::size_t size() const { return size_; }

  /// Calls fn(key, value) for every entry.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (auto const& slot : slots_) {
      if (slot.hash != 0) {
        fn(std::string_view(slot.key), slot.value);
      }
    }
  }

 private:
  // One cache line per slot: a lookup that hits its first slot reads one line.
  struct alignas(64) Slot {
    std::uint64_t hash = 0;
    std::string key;
    Value value{};
  };

  static constexpr std::size_t kInitialSlots = 16;

  std::uint64_t mask() const { return slots_.size() - 1; }

  void grow() {
    Slots old(slots_.empty() ? kInitialSlots : slots_.size() * 2);
    old.swap(slots_);
    for (auto& slot : old) {
      if (slot.hash == 0) {
        continue;
      }
      auto i = slot.hash & mask();
      while (slots_[i].hash != 0) {
        i = (i + 1) & mask();
      }
      slots_[i] = std::move(slot);
    }
    prefetch_mask_.store(mask(), std::memory_order_relaxed);
    prefetch_base_.store(slots_.data(), std::memory_order_relaxed);
  }

  using Slots = std::vector<Slot, LargePageAllocator<Slot>>;
  Slots slots_;
  std::size_t size_ = 0;
  /// slots_.data() and mask(), readable without the lock that guards the map.
  std::atomic<Slot const*> prefetch_base_{nullptr};
  std::atomic<std::uint64_t> prefetch_mask_{0};
};

}  // namespace candor::policy::detail
