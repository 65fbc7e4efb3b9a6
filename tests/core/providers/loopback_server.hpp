#pragma once

// A small HTTP/1.1 server on 127.0.0.1 for the providers' tests, written here so
// that the tests share nothing with the fakes. Replies come from a script the
// test gives; every request is recorded with the connection it came on.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

namespace candor::providers::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// 1 for the first connection accepted.
  int connection = 0;

  /// The first header of that name (case-insensitive), or empty.
  std::string header(std::string const& name) const;
};

struct Reply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Never answer: the connection stays open and silent (timeouts).
  bool hang = false;
  /// Wait for release_held() before answering (concurrency).
  bool hold = false;
  /// Close the connection once the request is read, without answering.
  bool drop = false;
  /// Answer, then close the connection although the reply says keep-alive (a
  /// server ending an idle connection).
  bool close_after = false;
};

/// Gives the reply to request n (1-based).
using Script = std::function<Reply(RecordedRequest const& request, int n)>;

class LoopbackServer {
 public:
  explicit LoopbackServer(Script script);
  ~LoopbackServer();

  std::uint16_t port() const;
  /// "http://127.0.0.1:<port>".
  std::string base_url() const;

  std::vector<RecordedRequest> requests() const;
  int connections() const;
  /// Most requests waiting for their reply at once.
  int max_pending() const;
  /// Answers every held request.
  void release_held();

  [[nodiscard]] ::testing::AssertionResult wait_for_requests(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  /// Waits until the server has closed `count` connections.
  [[nodiscard]] ::testing::AssertionResult wait_for_connections_closed(
      int count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

/// An io_context run by one background thread until destruction.
class IoThread {
 public:
  IoThread();
  ~IoThread();
  boost::asio::io_context& io();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

/// A port on 127.0.0.1 where nothing listens.
std::uint16_t closed_port();

/// Waits (real time, bounded) until `condition` holds.
[[nodiscard]] ::testing::AssertionResult eventually(
    std::function<bool()> const& condition,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace candor::providers::testing
