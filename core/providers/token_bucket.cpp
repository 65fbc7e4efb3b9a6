#include "core/providers/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace candor::providers {

TokenBucket::TokenBucket(TokenBucketOptions options) {
  if (options.per_second <= 0) {
    return;
  }
  auto const micros = std::llround(1e6 / options.per_second);
  interval_ = clock::Duration(std::max<long long>(micros, 1));
  burst_allowance_ = interval_ * (std::max(options.burst, 1) - 1);
}

clock::TimePoint TokenBucket::reserve(clock::TimePoint now) {
  if (unlimited()) {
    return now;
  }

  // Each token pushes full_at_ one interval later; a caller may go as soon as
  // full_at_ is no further ahead than the burst allows.
  std::lock_guard lock(mutex_);
  full_at_ = std::max(full_at_, now);
  auto const start = std::max(now, full_at_ - burst_allowance_);
  full_at_ += interval_;
  return start;
}

}  // namespace candor::providers
