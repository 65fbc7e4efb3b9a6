#include "core/store/owner_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace candor::store {

Result<OwnerLock> OwnerLock::take(std::string const& path) {
  auto const lock_path = path + ".owner";
  int const fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(Errc::kUnavailable, fmt::format("store '{}': cannot open lock file '{}': {}",
                                                      path, lock_path, std::strerror(errno)));
  }
  OwnerLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char owner[32] = {};
    auto const size = ::pread(fd, owner, sizeof(owner) - 1, 0);
    auto const pid = size > 0 ? std::string(owner, static_cast<std::size_t>(size)) : "?";
    return make_error(Errc::kFailedPrecondition,
                      fmt::format("store '{}': in use by another process (pid {}); one process "
                                  "writes a store, because it alone keeps the daily limits",
                                  path, pid));
  }
  // The pid is only for the message above; failing to write it changes nothing.
  auto const pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) {
    (void)::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return lock;
}

OwnerLock::OwnerLock(OwnerLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

OwnerLock& OwnerLock::operator=(OwnerLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

OwnerLock::~OwnerLock() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

}  // namespace candor::store
