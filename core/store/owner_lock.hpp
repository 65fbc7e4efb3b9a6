#pragma once

// OwnerLock: at most one process (and one Store in it) writes a given store file.
//
// The daily limits are decided in memory by the process that admits messages
// (policy::QuotaBook) and only recorded by the store, so two writers on one file
// could each admit up to a limit. The owner holds an exclusive flock() on a lock
// file beside the database ("<path>.owner", holding its pid for the message of
// whoever is refused). The kernel drops the lock when the process dies, however it
// dies, so a crash never leaves a store locked.

#include <string>

#include "core/common/result.hpp"

namespace candor::store {

class OwnerLock {
 public:
  /// Takes the lock of the store at `path`. Fails with kFailedPrecondition when
  /// another owner holds it, naming that owner's pid, or kUnavailable when the
  /// lock file cannot be opened.
  static Result<OwnerLock> take(std::string const& path);

  OwnerLock(OwnerLock&& other) noexcept;
  OwnerLock& operator=(OwnerLock&& other) noexcept;
  OwnerLock(OwnerLock const&) = delete;
  OwnerLock& operator=(OwnerLock const&) = delete;
  /// Releases the lock; the file stays, for the next owner.
  ~OwnerLock();

 private:
  explicit OwnerLock(int fd) : fd_(fd) {}

  int fd_ = -1;
};

}  // namespace candor::store
