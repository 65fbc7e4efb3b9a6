#pragma once

// WorkTracker: counts work in flight so that a manual clock can wait for the
// consequences of each timer before it fires the next one.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <utility>

namespace candor::clock {

/// A counter of pending work with a wait for zero. Every component that starts
/// asynchronous work on behalf of a timer or a request (an HTTP exchange, a queued
/// callback, a retry) calls begin() before and end() after; Scope does both.
/// Thread-safe.
class WorkTracker {
 public:
  /// RAII: begin() on construction, end() on destruction. Movable.
  class Scope {
   public:
    explicit Scope(WorkTracker* tracker) : tracker_(tracker) {
      if (tracker_ != nullptr) {
        tracker_->begin();
      }
    }
    Scope(Scope&& other) noexcept : tracker_(std::exchange(other.tracker_, nullptr)) {}
    Scope& operator=(Scope&& other) noexcept {
      if (this != &other) {
        release();
        tracker_ = std::exchange(other.tracker_, nullptr);
      }
      return *this;
    }
    Scope(Scope const&) = delete;
    Scope& operator=(Scope const&) = delete;
    ~Scope() { release(); }

    void release() {
      if (tracker_ != nullptr) {
        std::exchange(tracker_, nullptr)->end();
      }
    }

   private:
    WorkTracker* tracker_;
  };

  void begin();
  void end();
  std::int64_t pending() const;

  /// Blocks until no work is pending or `timeout` passes (real time); returns
  /// whether the tracker went idle.
  [[nodiscard]] bool wait_idle(std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::int64_t pending_ = 0;
};

}  // namespace candor::clock
