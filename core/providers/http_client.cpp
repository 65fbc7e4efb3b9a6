#include "core/providers/http_client.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <random>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/common/log.hpp"
#include "core/providers/http_util.hpp"
#include "core/providers/token_bucket.hpp"

namespace candor::providers {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kAwait = asio::use_awaitable;

/// One keep-alive connection, plain or TLS.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

/// A wait on the injected clock, woken through the strand.
struct ClockWait {
  explicit ClockWait(Strand const& strand) : timer(strand, SteadyClock::time_point::max()) {}

  asio::steady_timer timer;
  bool fired = false;
  /// Taken by the clock's timer callback so that a manual clock, after firing
  /// it, waits until the send has resumed and finished its next step.
  clock::WorkTracker::Scope scope{nullptr};
};

std::uint64_t split_mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

bool is_stale_connection_error(error_code const& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::partial_message;
}

std::optional<clock::Duration> parse_retry_after(std::string const& value) {
  unsigned seconds = 0;
  auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds);
}

char const* exchange_label(HttpResult const& result) {
  if (!result.response) {
    return "no_response";
  }
  auto const status = result.response->status;
  return status >= 200 && status < 300 ? "ok" : "error_status";
}

}  // namespace

std::string_view to_string(HttpFailure failure) {
  switch (failure) {
    case HttpFailure::kNone:
      return "none";
    case HttpFailure::kBadRequest:
      return "bad_request";
    case HttpFailure::kConnect:
      return "connect";
    case HttpFailure::kTimeout:
      return "timeout";
    case HttpFailure::kConnection:
      return "connection";
    case HttpFailure::kStopped:
      return "stopped";
  }
  return "unknown";
}

std::string HttpResponse::header(std::string_view name) const {
  for (auto const& [key, value] : headers) {
    if (beast::iequals(key, beast::string_view(name.data(), name.size()))) {
      return value;
    }
  }
  return {};
}

bool is_retryable_status(int status) {
  return status == 429 || (status >= 500 && status < 600);
}

clock::Duration backoff_delay(HttpClientOptions const& options, domain::MessageId message_id,
                              int retry) {
  using std::chrono::microseconds;
  auto const base = std::chrono::duration_cast<microseconds>(options.backoff_base).count();
  auto const cap = std::chrono::duration_cast<microseconds>(options.backoff_cap).count();
  auto const shift = std::clamp(retry - 1, 0, 30);
  auto const ceiling = std::min<std::int64_t>(cap, base << shift);
  if (ceiling <= 0) {
    return clock::Duration(0);
  }

  // The draw depends on the message and the retry number only, so the same
  // scenario gives the same waits whatever order messages arrive in.
  auto const key =
      split_mix(options.jitter_seed ^ split_mix(static_cast<std::uint64_t>(message_id)) ^
                split_mix(static_cast<std::uint64_t>(retry) + 0x51ED));
  std::mt19937_64 generator(key);
  std::uniform_int_distribution<std::int64_t> draw(0, ceiling);
  return clock::Duration(draw(generator));
}

/// State shared by the client and its pending sends, all touched on strand_
/// except the atomics and clock_waits_ (guarded by waits_mutex_).
class HttpClient::Impl : public std::enable_shared_from_this<HttpClient::Impl> {
 public:
  Impl(asio::io_context& io, clock::Clock& clock, HttpClientOptions options)
      : strand_(asio::make_strand(io)),
        clock_(clock),
        options_(std::move(options)),
        bucket_({.per_second = options_.max_per_second, .burst = options_.burst}),
        ssl_(asio::ssl::context::tls_client),
        log_(log::get("provider." + options_.provider)) {
    options_.max_attempts = std::max(options_.max_attempts, 1);
    options_.max_in_flight = std::max(options_.max_in_flight, 1);
    ssl_.set_default_verify_paths();
    if (!options_.ca_file.empty()) {
      ssl_.load_verify_file(options_.ca_file);
    }
    ssl_.set_verify_mode(asio::ssl::verify_peer);
  }

  void send(HttpRequest request, domain::MessageId message_id, HttpCallback done) {
    // The work is counted before anything is queued, so a manual clock that
    // settles right after send() waits for this exchange.
    clock::WorkTracker::Scope work(options_.tracker);
    auto self = shared_from_this();
    asio::co_spawn(strand_,
                   run(self, std::move(request), message_id, std::move(done), std::move(work)),
                   [self](std::exception_ptr error) {
                     if (!error) {
                       return;
                     }
                     try {
                       std::rethrow_exception(error);
                     } catch (std::exception const& e) {
                       self->log_.error("send task failed provider={} error={}",
                                        self->options_.provider, e.what());
                     } catch (...) {
                       // Nothing may escape into io_context::run().
                       self->log_.error(
                           "send task failed provider={} with a non-standard "
                           "exception",
                           self->options_.provider);
                     }
                   });
  }

  void stop() {
    stopped_ = true;

    // Waits on the clock will never fire now; wake them so their sends end.
    std::map<clock::TimerId, std::weak_ptr<ClockWait>> waits;
    {
      std::lock_guard lock(waits_mutex_);
      waits.swap(clock_waits_);
    }
    for (auto const& [id, weak] : waits) {
      if (!clock_.cancel(id)) {
        continue;
      }
      if (auto wait = weak.lock()) {
        asio::post(strand_, [wait] { wait->timer.cancel(); });
      }
    }
  }

  HttpClientStats stats() const {
    return {.exchanges = exchanges_,
            .retries = retries_,
            .connections = connections_,
            .reused = reused_,
            .queued = queued_};
  }

  HttpClientOptions const& options() const { return options_; }

 private:
  static asio::awaitable<void> run(std::shared_ptr<Impl> self, HttpRequest request,
                                   domain::MessageId message_id, HttpCallback done,
                                   clock::WorkTracker::Scope work) {
    HttpResult result;
    try {
      result = co_await self->attempts(request, message_id, work);
    } catch (std::exception const& e) {
      result = HttpResult{.failure = HttpFailure::kConnection,
                          .error_message = fmt::format("unexpected error: {}", e.what())};
    }
    done(std::move(result));
  }

  asio::awaitable<HttpResult> attempts(HttpRequest const& request, domain::MessageId message_id,
                                       clock::WorkTracker::Scope& work) {
    auto url = parse_url(request.url);
    if (!url) {
      co_return HttpResult{.failure = HttpFailure::kBadRequest,
                           .error_message = url.error().message};
    }
    auto const deadline = options_.total_timeout.count() > 0 ? clock_.now() + options_.total_timeout
                                                             : clock::TimePoint::max();

    HttpResult result;
    for (int attempt = 1;; ++attempt) {
      if (!co_await pace(work)) {
        co_return stopped_result(attempt - 1);
      }

      co_await acquire_slot();
      auto const started = SteadyClock::now();
      result = co_await exchange(*url, request);
      release_slot();
      result.attempts = attempt;
      auto const duration_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started)
              .count();
      ++exchanges_;

      bool const retryable = result.response
                                 ? is_retryable_status(result.response->status)
                                 : !result.written && (result.failure == HttpFailure::kConnect ||
                                                       result.failure == HttpFailure::kTimeout ||
                                                       result.failure == HttpFailure::kConnection);
      if (!retryable || attempt >= options_.max_attempts) {
        log_exchange(message_id, result, duration_ms,
                     retryable ? "exhausted" : exchange_label(result));
        co_return result;
      }
      // Drawn only for a retry: most exchanges succeed at once.
      auto delay = backoff_delay(options_, message_id, attempt);
      if (result.retry_after) {
        delay = std::max(delay, *result.retry_after);
      }
      if (clock_.now() + delay >= deadline) {
        log_exchange(message_id, result, duration_ms, "deadline");
        co_return result;
      }

      auto const retries = ++retries_;
      log_.warn(
          "exchange provider={} message_id={} attempt={} http_status={} duration_ms={} "
          "outcome=retry error={} backoff_ms={} retries_total={}",
          options_.provider, message_id, attempt, status_of(result), duration_ms,
          to_string(result.failure),
          std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(), retries);
      if (!co_await wait_until(clock_.now() + delay, work)) {
        co_return stopped_result(attempt);
      }
    }
  }

  /// Waits for a token of the bucket; false when the client stopped.
  asio::awaitable<bool> pace(clock::WorkTracker::Scope& work) {
    if (stopped_) {
      co_return false;
    }
    if (bucket_.unlimited()) {
      co_return true;
    }
    co_return co_await wait_until(bucket_.reserve(clock_.now()), work);
  }

  /// Waits until the injected clock reaches `when`; false when the client
  /// stopped. While waiting, the clock's timer stands for the send, so the
  /// send's own work scope is released and taken back from the timer.
  asio::awaitable<bool> wait_until(clock::TimePoint when, clock::WorkTracker::Scope& work) {
    if (stopped_) {
      co_return false;
    }
    if (when <= clock_.now()) {
      co_return true;
    }

    auto wait = std::make_shared<ClockWait>(strand_);
    std::weak_ptr<ClockWait> weak = wait;
    auto const id = clock_.call_at(when, [weak, strand = strand_, tracker = options_.tracker] {
      auto target = weak.lock();
      if (!target) {
        return;
      }
      clock::WorkTracker::Scope scope(tracker);
      asio::post(strand, [target, scope = std::move(scope)]() mutable {
        target->fired = true;
        target->scope = std::move(scope);
        target->timer.cancel();
      });
    });
    {
      std::lock_guard lock(waits_mutex_);
      clock_waits_.emplace(id, weak);
    }
    work.release();

    error_code ec;
    co_await wait->timer.async_wait(asio::redirect_error(kAwait, ec));
    {
      std::lock_guard lock(waits_mutex_);
      clock_waits_.erase(id);
    }
    if (!wait->fired) {
      co_return false;
    }
    work = std::move(wait->scope);
    co_return true;
  }

  /// Takes a place among the requests in flight, waiting in arrival order.
  asio::awaitable<void> acquire_slot() {
    if (in_flight_ < options_.max_in_flight) {
      ++in_flight_;
      co_return;
    }
    ++queued_;
    asio::steady_timer turn(strand_, SteadyClock::time_point::max());
    slot_waiters_.push_back(&turn);
    error_code ec;
    co_await turn.async_wait(asio::redirect_error(kAwait, ec));
  }

  /// Hands the place to the next waiter, or frees it.
  void release_slot() {
    if (slot_waiters_.empty()) {
      --in_flight_;
      return;
    }
    auto* next = slot_waiters_.front();
    slot_waiters_.pop_front();
    next->cancel();
  }

  /// One attempt: a pooled or new connection, one request, one response.
  asio::awaitable<HttpResult> exchange(Url const& url, HttpRequest const& request) {
    HttpResult result;
    auto const verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) {
      result.failure = HttpFailure::kBadRequest;
      result.error_message = fmt::format("unknown HTTP method '{}'", request.method);
      co_return result;
    }

    http::request<http::string_body> message{verb, url.target, 11};
    message.set(http::field::host, url.port == (url.tls() ? 443 : 80)
                                       ? url.host
                                       : fmt::format("{}:{}", url.host, url.port));
    message.set(http::field::user_agent, options_.user_agent);
    for (auto const& [name, value] : request.headers) {
      message.set(name, value);
    }
    message.body() = request.body;
    message.keep_alive(true);
    message.prepare_payload();

    auto const origin = url.origin();
    auto connection = take_idle(origin);
    bool const reused = connection != nullptr;
    if (!connection) {
      connection = co_await connect(url, result);
      if (!connection) {
        co_return result;
      }
    } else {
      ++reused_;
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    auto trip = co_await round_trip(*connection, message, parser);

    // A pooled connection the server closed before the request could be written
    // says nothing about the server: try once on a fresh connection.
    if (trip.ec && !trip.written && reused && is_stale_connection_error(trip.ec)) {
      connection = co_await connect(url, result);
      if (!connection) {
        co_return result;
      }
      http::response_parser<http::string_body> fresh;
      fresh.body_limit(options_.max_response_bytes);
      trip = co_await round_trip(*connection, message, fresh);
      if (!trip.ec) {
        co_return finish(origin, std::move(connection), fresh.release());
      }
    }
    if (trip.ec) {
      result.failure =
          trip.ec == beast::error::timeout ? HttpFailure::kTimeout : HttpFailure::kConnection;
      result.written = trip.written;
      result.error_message =
          fmt::format("{} {}: {}{}", request.method, origin, trip.ec.message(),
                      trip.written ? " (after the request was sent; it may have been taken)" : "");
      co_return result;
    }
    co_return finish(origin, std::move(connection), parser.release());
  }

  HttpResult finish(std::string const& origin, std::unique_ptr<Connection> connection,
                    http::response<http::string_body> response) {
    HttpResult result;
    HttpResponse& out = result.response.emplace();
    out.status = static_cast<int>(response.result_int());
    for (auto const& field : response) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(response.body());
    result.retry_after = parse_retry_after(out.header("Retry-After"));

    if (response.keep_alive()) {
      give_back(origin, std::move(connection));
    }
    return result;
  }

  /// How one request and response went.
  struct Trip {
    error_code ec;
    /// The request was written in full; a later failure leaves its fate unknown.
    bool written = false;
  };

  template <class Stream>
  static asio::awaitable<Trip> write_and_read(Stream& stream, beast::flat_buffer& buffer,
                                              http::request<http::string_body>& message,
                                              http::response_parser<http::string_body>& parser) {
    Trip trip;
    co_await http::async_write(stream, message, asio::redirect_error(kAwait, trip.ec));
    if (trip.ec) {
      co_return trip;
    }
    trip.written = true;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(kAwait, trip.ec));
    co_return trip;
  }

  asio::awaitable<Trip> round_trip(Connection& connection,
                                   http::request<http::string_body>& message,
                                   http::response_parser<http::string_body>& parser) {
    connection.lowest().expires_after(options_.read_timeout);
    Trip trip;
    if (connection.tls) {
      trip = co_await write_and_read(*connection.tls, connection.buffer, message, parser);
    } else {
      trip = co_await write_and_read(*connection.plain, connection.buffer, message, parser);
    }
    connection.lowest().expires_never();
    co_return trip;
  }

  /// Opens a connection; on failure returns null and fills `result`.
  asio::awaitable<std::unique_ptr<Connection>> connect(Url const& url, HttpResult& result) {
    auto fail = [&](HttpFailure failure, error_code const& ec, char const* step) {
      result.failure = ec == beast::error::timeout || ec == asio::error::operation_aborted
                           ? HttpFailure::kTimeout
                           : failure;
      result.error_message = fmt::format("{} {}: {}", step, url.origin(), ec.message());
      return std::unique_ptr<Connection>();
    };

    // The resolver has no deadline of its own; a timer cancels it.
    auto resolver = std::make_shared<tcp::resolver>(strand_);
    asio::steady_timer guard(strand_, options_.connect_timeout);
    guard.async_wait([resolver](error_code const& ec) {
      if (!ec) {
        resolver->cancel();
      }
    });
    error_code ec;
    auto const endpoints = co_await resolver->async_resolve(url.host, std::to_string(url.port),
                                                            asio::redirect_error(kAwait, ec));
    guard.cancel();
    if (ec) {
      co_return fail(HttpFailure::kConnect, ec, "resolve");
    }

    auto connection = std::make_unique<Connection>();
    beast::tcp_stream stream(strand_);
    stream.expires_after(options_.connect_timeout);
    co_await stream.async_connect(endpoints, asio::redirect_error(kAwait, ec));
    if (ec) {
      co_return fail(HttpFailure::kConnect, ec, "connect");
    }
    stream.socket().set_option(tcp::no_delay(true), ec);
    ++connections_;

    if (!url.tls()) {
      stream.expires_never();
      connection->plain = std::make_unique<beast::tcp_stream>(std::move(stream));
      co_return connection;
    }

    // SNI and host name verification, then the handshake under the same deadline.
    connection->tls =
        std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(stream), ssl_);
    if (SSL_set_tlsext_host_name(connection->tls->native_handle(), url.host.c_str()) != 1) {
      co_return fail(
          HttpFailure::kConnect,
          error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()),
          "tls sni");
    }
    connection->tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    co_await connection->tls->async_handshake(asio::ssl::stream_base::client,
                                              asio::redirect_error(kAwait, ec));
    if (ec) {
      co_return fail(HttpFailure::kConnect, ec, "tls handshake");
    }
    connection->lowest().expires_never();
    co_return connection;
  }

  std::unique_ptr<Connection> take_idle(std::string const& origin) {
    auto const found = pools_.find(origin);
    if (found == pools_.end()) {
      return nullptr;
    }
    auto& idle = found->second;
    auto const oldest_allowed = SteadyClock::now() - options_.idle_timeout;
    while (!idle.empty()) {
      auto connection = std::move(idle.back());
      idle.pop_back();
      if (connection->idle_since >= oldest_allowed && still_open(*connection)) {
        return connection;
      }
    }
    return nullptr;
  }

  /// Whether an idle connection may carry a request: the server has neither
  /// closed it nor sent anything unasked (a TLS close_notify included). Checked
  /// before the write, because a request written to a connection that then turns
  /// out closed can no longer be sent again safely.
  static bool still_open(Connection& connection) {
    auto& socket = connection.lowest().socket();
    error_code ec;
    socket.non_blocking(true, ec);
    char byte = 0;
    socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    error_code restored;
    socket.non_blocking(false, restored);
    return ec == asio::error::would_block;
  }

  void give_back(std::string const& origin, std::unique_ptr<Connection> connection) {
    auto& idle = pools_[origin];
    if (stopped_ || static_cast<int>(idle.size()) >= options_.max_idle_per_origin) {
      return;
    }
    connection->idle_since = SteadyClock::now();
    idle.push_back(std::move(connection));
  }

  static int status_of(HttpResult const& result) {
    return result.response ? result.response->status : 0;
  }

  HttpResult stopped_result(int attempts_made) const {
    return HttpResult{.failure = HttpFailure::kStopped,
                      .error_message = "the HTTP client was stopped before the send finished",
                      .attempts = attempts_made};
  }

  void log_exchange(domain::MessageId message_id, HttpResult const& result,
                    std::int64_t duration_ms, char const* outcome) {
    if (!log_.should_log(spdlog::level::debug)) {
      return;
    }
    log_.debug(
        "exchange provider={} message_id={} attempt={} http_status={} duration_ms={} outcome={} "
        "error={}",
        options_.provider, message_id, result.attempts, status_of(result), duration_ms, outcome,
        to_string(result.failure));
  }

  Strand strand_;
  clock::Clock& clock_;
  HttpClientOptions options_;
  TokenBucket bucket_;
  asio::ssl::context ssl_;
  spdlog::logger& log_;

  std::map<std::string, std::vector<std::unique_ptr<Connection>>> pools_;
  int in_flight_ = 0;
  std::deque<asio::steady_timer*> slot_waiters_;

  std::atomic<bool> stopped_{false};
  std::mutex waits_mutex_;
  std::map<clock::TimerId, std::weak_ptr<ClockWait>> clock_waits_;

  std::atomic<std::int64_t> exchanges_{0};
  std::atomic<std::int64_t> retries_{0};
  std::atomic<std::int64_t> connections_{0};
  std::atomic<std::int64_t> reused_{0};
  std::atomic<std::int64_t> queued_{0};
};

HttpClient::HttpClient(boost::asio::io_context& io, clock::Clock& clock, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(io, clock, std::move(options))) {}

HttpClient::~HttpClient() {
  impl_->stop();
}

void HttpClient::send(HttpRequest request, domain::MessageId message_id, HttpCallback done) {
  impl_->send(std::move(request), message_id, std::move(done));
}

HttpClientStats HttpClient::stats() const {
  return impl_->stats();
}

HttpClientOptions const& HttpClient::options() const {
  return impl_->options();
}

}  // namespace candor::providers
