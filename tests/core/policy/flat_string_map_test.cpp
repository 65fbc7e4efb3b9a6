#include "core/policy/detail/flat_string_map.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "core/policy/detail/large_page_allocator.hpp"

namespace candor::policy::detail {
namespace {

TEST(FlatStringMap, FindsWhatWasInsertedAcrossGrowth) {
  FlatStringMap<int> map;
  for (int i = 0; i < 10'000; ++i) {
    auto const key = "+1212555" + std::to_string(i);
    map.get_or_insert(key, hash_key(key)) = i;
  }

  EXPECT_EQ(map.size(), 10'000u);
  for (int i = 0; i < 10'000; ++i) {
    auto const key = "+1212555" + std::to_string(i);
    auto const* value = map.find(key, hash_key(key));
    ASSERT_NE(value, nullptr) << key;
    EXPECT_EQ(*value, i);
  }
  EXPECT_EQ(map.find("absent", hash_key("absent")), nullptr);
}

TEST(FlatStringMap, KeepsKeysApartWhenTheirHashesCollide) {
  FlatStringMap<int> map;
  map.get_or_insert("a", 42) = 1;
  map.get_or_insert("b", 42) = 2;
  map.get_or_insert(std::string(40, 'c'), 42) = 3;

  EXPECT_EQ(*map.find("a", 42), 1);
  EXPECT_EQ(*map.find("b", 42), 2);
  EXPECT_EQ(*map.find(std::string(40, 'c'), 42), 3);
  EXPECT_EQ(map.find("d", 42), nullptr);
  EXPECT_EQ(map.size(), 3u);
}

TEST(FlatStringMap, GetOrInsertStartsAtZeroAndKeepsExisting) {
  FlatStringMap<long> map;
  EXPECT_EQ(++map.get_or_insert("k", hash_key("k")), 1);
  EXPECT_EQ(++map.get_or_insert("k", hash_key("k")), 2);
  EXPECT_EQ(map.size(), 1u);
}

TEST(FlatStringMap, ClearEmptiesAndStaysUsable) {
  FlatStringMap<int> map;
  map.get_or_insert("k", hash_key("k")) = 5;
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.find("k", hash_key("k")), nullptr);
  map.get_or_insert("k", hash_key("k")) = 6;
  EXPECT_EQ(*map.find("k", hash_key("k")), 6);
}

TEST(FlatStringMap, VisitsEveryEntry) {
  FlatStringMap<int> map;
  map.get_or_insert("a", hash_key("a")) = 1;
  map.get_or_insert("b", hash_key("b")) = 2;
  int sum = 0;
  map.for_each([&](std::string_view, int value) { sum += value; });
  EXPECT_EQ(sum, 3);
}

TEST(HashKey, NeverGivesTheEmptyMarker) {
  EXPECT_NE(hash_key(""), 0u);
}

TEST(LargePageAllocator, AlignsLargeTablesToAHugePage) {
  LargePageAllocator<std::uint64_t> allocator;
  constexpr std::size_t kLarge = (std::size_t{3} << 20) / sizeof(std::uint64_t);

  auto* large = allocator.allocate(kLarge);
  auto* small = allocator.allocate(16);
  large[0] = 1;
  large[kLarge - 1] = 2;
  small[15] = 3;

  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large) % (std::size_t{2} << 20), 0u);
  EXPECT_EQ(large[0] + large[kLarge - 1] + small[15], 6u);
  allocator.deallocate(large, kLarge);
  allocator.deallocate(small, 16);
}

TEST(FlatStringMap, GrowsPastAHugePageAndKeepsEveryKey) {
  FlatStringMap<int> map;
  constexpr int kKeys = 100'000;  // 262,144 slots of 64 bytes: 16 MiB
  for (int i = 0; i < kKeys; ++i) {
    auto const key = "+1415" + std::to_string(5'000'000 + i);
    map.get_or_insert(key, hash_key(key)) = i;
  }

  EXPECT_EQ(map.size(), static_cast<std::size_t>(kKeys));
  for (int i = 0; i < kKeys; i += 997) {
    auto const key = "+1415" + std::to_string(5'000'000 + i);
    auto const* value = map.find(key, hash_key(key));
    ASSERT_NE(value, nullptr) << key;
    EXPECT_EQ(*value, i);
  }
}

TEST(FlatStringMap, PrefetchChangesNothingAndIsSafeDuringGrowth) {
  FlatStringMap<int> map;
  map.prefetch(hash_key("+14155550100"));  // empty: nothing to load

  // One thread grows the map while another prefetches without a lock, as
  // SendPolicy::decide does beside a QuotaBook writer.
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::uint64_t key = 0;
    while (!done.load()) {
      map.prefetch(hash_key(std::to_string(key++)));
    }
  });
  for (int i = 0; i < 50'000; ++i) {
    auto const key = std::to_string(i);
    map.get_or_insert(key, hash_key(key)) = i;
  }
  done = true;
  reader.join();

  EXPECT_EQ(map.size(), 50'000u);
  auto const* value = map.find("49999", hash_key("49999"));
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(*value, 49'999);
}

}  // namespace
}  // namespace candor::policy::detail
