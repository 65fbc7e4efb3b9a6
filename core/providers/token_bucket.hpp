#pragma once

// TokenBucket: paces sends to a rate, in whatever time the caller's clock keeps.

#include <mutex>

#include "core/clock/clock.hpp"

namespace candor::providers {

struct TokenBucketOptions {
  /// Sustained rate in tokens per second; 0 or less means unlimited.
  double per_second = 0;
  /// Tokens that may be taken at once after a quiet period; at least 1.
  int burst = 1;
};

/// A token bucket that hands out reservations instead of refusals: each call
/// books the earliest instant at which one more token is available, so callers
/// that wait until their instant never exceed the rate. It reads no clock of its
/// own; the caller passes now(), which keeps it exact under a manual clock.
/// Thread-safe.
class TokenBucket {
 public:
  explicit TokenBucket(TokenBucketOptions options);

  /// Books one token and returns when it may be used: `now` when one is free,
  /// otherwise a later instant. Never earlier than `now`.
  clock::TimePoint reserve(clock::TimePoint now);

  bool unlimited() const { return interval_.count() == 0; }

 private:
  std::mutex mutex_;
  clock::Duration interval_{0};
  clock::Duration burst_allowance_{0};
  /// The instant at which the bucket would be full again if nothing else came.
  clock::TimePoint full_at_{};
};

}  // namespace candor::providers
