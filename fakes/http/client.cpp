#include "fakes/http/client.hpp"

#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/common/log.hpp"
#include "core/common/thread_name.hpp"
#include "fakes/http/codec.hpp"

namespace candor::fakes::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

/// Largest response body the client reads; callback receivers answer with little.
constexpr std::size_t kResponseBodyLimit = 8 * 1024 * 1024;

Error transport_error(beast::error_code const& ec, std::string const& url, char const* step) {
  auto const code = ec == beast::error::timeout ? Errc::kDeadlineExceeded : Errc::kUnavailable;
  return make_error(code, fmt::format("{} {}: {}", step, url, ec.message()));
}

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<Impl> {
  using Stream = std::unique_ptr<beast::tcp_stream>;

  /// A request waiting for a connection. `scope` keeps the clock from settling.
  struct Pending {
    ClientRequest request;
    Url url;
    bhttp::verb verb = bhttp::verb::post;
    ClientCallback done;
    clock::WorkTracker::Scope scope;
  };

  /// The connections of one origin. Only the io thread touches it.
  struct Origin {
    std::deque<Pending> queue;
    std::vector<Stream> idle;
    std::size_t workers = 0;  ///< connections busy working through `queue`
  };

  Impl(clock::Clock& c, clock::WorkTracker* t, ClientOptions o)
      : clock(c), tracker(t), options(std::move(o)), log(candor::log::get(options.log_name)) {}

  clock::Clock& clock;
  clock::WorkTracker* const tracker;
  ClientOptions const options;
  spdlog::logger& log;

  std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>();
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{
      ioc->get_executor()};
  std::thread thread;
  std::map<std::string, Origin> origins;

  mutable std::mutex mutex;
  bool stopped = false;
  std::size_t in_flight = 0;

  void finish(ClientCallback const& done, ClientResult& result) {
    result.completed_at = clock.now();
    {
      std::lock_guard lock(mutex);
      --in_flight;
    }
    try {
      done(result);
    } catch (std::exception const& e) {
      log.error("completion callback threw: {}", e.what());
    }
  }

  void fail(Pending& pending, ClientResult& result, Error error) {
    log.debug("request to {} failed: {}", pending.request.url, error.message);
    result.error = std::move(error);
    finish(pending.done, result);
  }

  /// On the io thread: checks the request, then queues it on its origin, starting
  /// a worker when the origin has a connection to spare.
  void enqueue(ClientRequest request, ClientCallback done, clock::WorkTracker::Scope scope) {
    Pending pending{
        .request = std::move(request), .done = std::move(done), .scope = std::move(scope)};
    ClientResult result;
    result.sent_at = clock.now();

    auto url = parse_url(pending.request.url);
    if (!url) {
      fail(pending, result, url.error());
      return;
    }
    if (url->scheme != "http") {
      // Limitation: no TLS — the fakes only ever call loopback receivers over http.
      fail(pending, result,
           make_error(Errc::kInvalidArgument,
                      fmt::format("url '{}': only http:// is supported", pending.request.url)));
      return;
    }
    pending.verb = bhttp::string_to_verb(pending.request.method);
    if (pending.verb == bhttp::verb::unknown) {
      fail(pending, result,
           make_error(Errc::kInvalidArgument,
                      fmt::format("unknown method '{}'", pending.request.method)));
      return;
    }
    pending.url = std::move(*url);

    auto const key = fmt::format("{}:{}", pending.url.host, pending.url.port);
    Origin& origin = origins[key];
    origin.queue.push_back(std::move(pending));
    if (origin.workers < std::max<std::size_t>(options.max_connections_per_origin, 1)) {
      ++origin.workers;
      asio::co_spawn(*ioc, work(origin),
                     [self = this](std::exception_ptr error) { self->log_exception(error); });
    }
  }

  /// One connection's turn at an origin: takes an idle connection (or opens one
  /// when needed) and sends queued requests on it until the queue is empty.
  asio::awaitable<void> work(Origin& origin) {
    Stream stream;
    while (!stream && !origin.idle.empty()) {
      stream = std::move(origin.idle.back());
      origin.idle.pop_back();
      if (!alive(*stream)) {
        stream.reset();
      }
    }
    while (!origin.queue.empty()) {
      Pending pending = std::move(origin.queue.front());
      origin.queue.pop_front();
      stream = co_await exchange(pending, std::move(stream));
    }
    if (stream) {
      origin.idle.push_back(std::move(stream));
    }
    --origin.workers;
  }

  /// Sends one request on `stream` (a fresh connection when null) and returns the
  /// connection when it may carry another request.
  asio::awaitable<Stream> exchange(Pending& pending, Stream stream) {
    ClientResult result;
    result.sent_at = clock.now();
    auto answer = co_await attempt(pending, stream);
    if (!answer) {
      fail(pending, result, answer.error());
      co_return nullptr;
    }

    auto const& response = *answer;
    result.status = static_cast<int>(response.result_int());
    for (auto const& field : response) {
      result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    result.body = response.body();
    bool const keep = response.keep_alive();
    finish(pending.done, result);

    if (!keep) {
      beast::error_code ec;
      stream->socket().shutdown(tcp::socket::shutdown_both, ec);
      co_return nullptr;
    }
    stream->expires_never();
    co_return stream;
  }

  using Response = bhttp::response<bhttp::string_body>;

  /// Connects when `stream` is null, then writes the request and reads the answer,
  /// all within the request's deadline. On error `stream` is left closed.
  asio::awaitable<Result<Response>> attempt(Pending const& pending, Stream& stream) {
    auto const& request = pending.request;
    auto const& url = pending.url;
    beast::error_code ec;
    if (!stream) {
      auto const executor = co_await asio::this_coro::executor;
      tcp::resolver resolver(executor);
      auto const endpoints = co_await resolver.async_resolve(
          url.host, std::to_string(url.port), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return transport_error(ec, request.url, "resolve");
      }
      stream = std::make_unique<beast::tcp_stream>(executor);
      stream->expires_after(request.timeout);
      co_await stream->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        stream.reset();
        co_return transport_error(ec, request.url, "connect");
      }
    } else {
      stream->expires_after(request.timeout);
    }

    bhttp::request<bhttp::string_body> out{pending.verb, url.target, 11};
    out.set(bhttp::field::host, fmt::format("{}:{}", url.host, url.port));
    out.set(bhttp::field::user_agent, "candor-fake/1.0");
    if (!request.content_type.empty()) {
      out.set(bhttp::field::content_type, request.content_type);
    }
    for (auto const& [name, value] : request.headers) {
      out.insert(name, value);
    }
    out.body() = request.body;
    out.keep_alive(true);
    out.prepare_payload();
    co_await bhttp::async_write(*stream, out, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      stream.reset();
      co_return transport_error(ec, request.url, "write");
    }

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kResponseBodyLimit);
    co_await bhttp::async_read(*stream, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      stream.reset();
      co_return transport_error(ec, request.url, "read");
    }
    co_return parser.release();
  }

  /// Whether an idle connection may carry a request: its peer has neither closed it
  /// nor sent anything unasked. Checked before reuse rather than by sending again
  /// after a failure, which would hide a reset the receiver meant.
  static bool alive(beast::tcp_stream& stream) {
    auto& socket = stream.socket();
    beast::error_code ec;
    socket.non_blocking(true, ec);
    char byte = 0;
    socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    beast::error_code restore;
    socket.non_blocking(false, restore);
    return ec == asio::error::would_block;
  }

  void log_exception(std::exception_ptr error) {
    if (!error) {
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (std::exception const& e) {
      log.error("request ended with exception: {}", e.what());
    } catch (...) {
      log.error("request ended with an unknown exception");
    }
  }
};

HttpClient::HttpClient(clock::Clock& clock, clock::WorkTracker* tracker, ClientOptions options)
    : impl_(std::make_shared<Impl>(clock, tracker, std::move(options))) {
  impl_->thread = std::thread([raw = impl_.get()] {
    name_this_thread(raw->options.log_name);
    raw->ioc->run();
  });
}

HttpClient::~HttpClient() {
  stop();
}

void HttpClient::send(ClientRequest request, ClientCallback done) {
  auto& impl = *impl_;
  clock::WorkTracker::Scope scope(impl.tracker);
  {
    std::lock_guard lock(impl.mutex);
    if (!impl.stopped) {
      ++impl.in_flight;
      asio::post(*impl.ioc, [raw = &impl, request = std::move(request), done = std::move(done),
                             scope = std::move(scope)]() mutable {
        raw->enqueue(std::move(request), std::move(done), std::move(scope));
      });
      return;
    }
  }

  ClientResult result;
  result.sent_at = result.completed_at = impl.clock.now();
  result.error = make_error(Errc::kUnavailable, "http client stopped");
  done(result);
}

void HttpClient::post_form(std::string url, Fields const& fields, Fields headers,
                           ClientCallback done) {
  send(ClientRequest{.method = "POST",
                     .url = std::move(url),
                     .headers = std::move(headers),
                     .body = encode_form(fields),
                     .content_type = "application/x-www-form-urlencoded; charset=utf-8"},
       std::move(done));
}

void HttpClient::post_json(std::string url, std::string json, Fields headers, ClientCallback done) {
  send(ClientRequest{.method = "POST",
                     .url = std::move(url),
                     .headers = std::move(headers),
                     .body = std::move(json),
                     .content_type = "application/json"},
       std::move(done));
}

std::size_t HttpClient::in_flight() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->in_flight;
}

void HttpClient::stop() {
  auto& impl = *impl_;
  {
    std::lock_guard lock(impl.mutex);
    if (impl.stopped) {
      return;
    }
    impl.stopped = true;
  }
  impl.guard.reset();
  impl.ioc->stop();
  if (impl.thread.joinable()) {
    impl.thread.join();
  }

  // Queued requests and idle connections go first, while their io_context lives;
  // destroying it then frees the abandoned exchanges and ends their work scopes.
  impl.origins.clear();
  impl.ioc.reset();
  std::lock_guard lock(impl.mutex);
  impl.in_flight = 0;
}

}  // namespace candor::fakes::http
