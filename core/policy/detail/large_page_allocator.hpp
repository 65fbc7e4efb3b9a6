#pragma once

// LargePageAllocator: a std::allocator for the policy's big hash tables that asks
// the kernel for transparent huge pages once a table reaches 2 MiB.
//
// A decision looks up three tables of up to millions of 64-byte slots at random;
// with 4 KiB pages nearly every lookup also misses the TLB and walks the page
// tables, which costs about as much as the cache miss itself. Where transparent
// huge pages are enabled only on request ("madvise", Debian's default), asking
// makes one TLB entry cover 2 MiB. Where the kernel refuses, the memory is
// ordinary memory and only the speed differs.

#include <cstddef>
#include <cstdlib>
#include <new>

#include <sys/mman.h>

namespace candor::policy::detail {

template <class T>
class LargePageAllocator {
 public:
  // The allocator requirements of the standard library spell it so.
  using value_type = T;  // NOLINT(readability-identifier-naming)

  /// Below this size a table gets ordinary memory.
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  LargePageAllocator() = default;
  template <class U>
  explicit LargePageAllocator(LargePageAllocator<U> const&) noexcept {}

  T* allocate(std::size_t n) {
    auto const bytes = n * sizeof(T);
    if (bytes < kHugePage) {
      return static_cast<T*>(::operator new (bytes, std::align_val_t{alignof(T)}));
    }
    // Whole huge pages, aligned to one, so that the kernel can back all of it.
    auto const rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* memory = std::aligned_alloc(kHugePage, rounded);
    if (memory == nullptr) {
      throw std::bad_alloc();
    }
    ::madvise(memory, rounded, MADV_HUGEPAGE);
    return static_cast<T*>(memory);
  }

  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kHugePage) {
      ::operator delete (p, std::align_val_t{alignof(T)});
      return;
    }
    std::free(p);
  }

  template <class U>
  friend bool operator==(LargePageAllocator const&, LargePageAllocator<U> const&) noexcept {
    return true;
  }
};

}  // namespace candor::policy::detail
