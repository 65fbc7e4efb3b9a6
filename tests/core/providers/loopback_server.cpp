#include "tests/core/providers/loopback_server.hpp"

#include <utility>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace candor::providers::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

}  // namespace

std::string RecordedRequest::header(std::string const& name) const {
  for (auto const& [key, value] : headers) {
    if (beast::iequals(key, name)) {
      return value;
    }
  }
  return {};
}

class LoopbackServer::Impl {
 public:
  explicit Impl(Script script)
      : script_(std::move(script)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    asio::post(io_, [this] {
      error_code ignored;
      acceptor_.close(ignored);
      for (auto* socket : sockets_) {
        socket->close(ignored);
      }
      for (auto* timer : held_) {
        timer->cancel();
      }
      io_.stop();
    });
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }
  int max_pending() const {
    std::lock_guard lock(mutex_);
    return max_pending_;
  }

  void release_held() {
    asio::post(io_, [this] {
      released_ = true;
      for (auto* timer : held_) {
        timer->cancel();
      }
    });
  }

  ::testing::AssertionResult wait_for_requests(std::size_t count,
                                               std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    if (changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; })) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "expected " << count << " requests, saw " << requests_.size();
  }

  ::testing::AssertionResult wait_for_connections_closed(int count,
                                                         std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    if (changed_.wait_for(lock, timeout, [&] { return closed_ >= count; })) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "expected " << count << " closed connections, saw " << closed_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      int index = 0;
      {
        std::lock_guard lock(mutex_);
        index = ++connections_;
      }
      asio::co_spawn(io_, serve(std::move(socket), index), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket, int connection) {
    sockets_.push_back(&socket);
    beast::flat_buffer buffer;
    for (;;) {
      error_code ec;
      http::request<http::string_body> request;
      co_await http::async_read(socket, buffer, request,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        break;
      }

      auto const [reply, number] = record(request, connection);
      if (reply.drop) {
        std::lock_guard lock(mutex_);
        --pending_;
        break;
      }
      if (reply.hang || reply.hold) {
        if (!co_await wait_held(reply.hang)) {
          break;
        }
      }
      {
        std::lock_guard lock(mutex_);
        --pending_;
      }

      http::response<http::string_body> response{static_cast<http::status>(reply.status), 11};
      for (auto const& [name, value] : reply.headers) {
        response.set(name, value);
      }
      response.set(http::field::content_type, "application/json");
      response.body() = reply.body;
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !request.keep_alive() || reply.close_after) {
        break;
      }
    }
    sockets_.erase(std::find(sockets_.begin(), sockets_.end(), &socket));
    error_code ignored;
    socket.close(ignored);
    {
      std::lock_guard lock(mutex_);
      ++closed_;
    }
    changed_.notify_all();
  }

  /// True when released, false when the server stops (or forever for a hang).
  asio::awaitable<bool> wait_held(bool forever) {
    if (!forever && released_) {
      co_return true;
    }
    asio::steady_timer timer(io_, std::chrono::steady_clock::time_point::max());
    held_.push_back(&timer);
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    held_.erase(std::find(held_.begin(), held_.end(), &timer));
    co_return !forever && released_;
  }

  std::pair<Reply, int> record(http::request<http::string_body> const& request, int connection) {
    RecordedRequest recorded{.method = std::string(request.method_string()),
                             .target = std::string(request.target()),
                             .body = request.body(),
                             .connection = connection};
    for (auto const& field : request) {
      recorded.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    int number = 0;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(recorded);
      number = static_cast<int>(requests_.size());
      max_pending_ = std::max(max_pending_, ++pending_);
    }
    changed_.notify_all();
    return {script_(recorded, number), number};
  }

  Script script_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::vector<tcp::socket*> sockets_;
  std::vector<asio::steady_timer*> held_;
  bool released_ = false;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<RecordedRequest> requests_;
  int connections_ = 0;
  int closed_ = 0;
  int pending_ = 0;
  int max_pending_ = 0;
};

LoopbackServer::LoopbackServer(Script script) : impl_(std::make_unique<Impl>(std::move(script))) {}
LoopbackServer::~LoopbackServer() = default;
std::uint16_t LoopbackServer::port() const {
  return impl_->port();
}
std::string LoopbackServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}
std::vector<RecordedRequest> LoopbackServer::requests() const {
  return impl_->requests();
}
int LoopbackServer::connections() const {
  return impl_->connections();
}
int LoopbackServer::max_pending() const {
  return impl_->max_pending();
}
void LoopbackServer::release_held() {
  impl_->release_held();
}
::testing::AssertionResult LoopbackServer::wait_for_requests(
    std::size_t count, std::chrono::milliseconds timeout) const {
  return impl_->wait_for_requests(count, timeout);
}

::testing::AssertionResult LoopbackServer::wait_for_connections_closed(
    int count, std::chrono::milliseconds timeout) const {
  return impl_->wait_for_connections_closed(count, timeout);
}

class IoThread::Impl {
 public:
  Impl() : guard_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~Impl() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

IoThread::IoThread() : impl_(std::make_unique<Impl>()) {}
IoThread::~IoThread() = default;
asio::io_context& IoThread::io() {
  return impl_->io_;
}

std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto const port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

::testing::AssertionResult eventually(std::function<bool()> const& condition,
                                      std::chrono::milliseconds timeout) {
  auto const give_up = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) {
      return ::testing::AssertionFailure() << "condition not met in time";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return ::testing::AssertionSuccess();
}

}  // namespace candor::providers::testing
