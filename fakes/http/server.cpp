#include "fakes/http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
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

/// One segment of a route pattern: a literal, or prefix{name}suffix.
struct PatternSegment {
  std::string prefix;
  std::string name;
  std::string suffix;
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::vector<PatternSegment> compile_pattern(std::string_view pattern) {
  std::vector<PatternSegment> segments;
  for (auto const part : split_path(pattern)) {
    auto const open = part.find('{');
    auto const close = part.find('}');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
      segments.push_back({std::string(part), {}, {}});
      continue;
    }
    segments.push_back({std::string(part.substr(0, open)),
                        std::string(part.substr(open + 1, close - open - 1)),
                        std::string(part.substr(close + 1))});
  }
  return segments;
}

bool match_pattern(std::vector<PatternSegment> const& pattern, std::string_view path,
                   std::map<std::string, std::string>& params) {
  auto const parts = split_path(path);
  if (parts.size() != pattern.size()) {
    return false;
  }
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto const& segment = pattern[i];
    auto const part = parts[i];
    if (segment.name.empty()) {
      if (part != segment.prefix) {
        return false;
      }
      continue;
    }
    auto const fixed = segment.prefix.size() + segment.suffix.size();
    if (part.size() <= fixed || !part.starts_with(segment.prefix) ||
        !part.ends_with(segment.suffix)) {
      return false;
    }
    found[segment.name] = std::string(part.substr(segment.prefix.size(), part.size() - fixed));
  }
  params = std::move(found);
  return true;
}

struct Route {
  std::string method;
  std::vector<PatternSegment> pattern;
  Handler handler;
};

/// What the server decided to do with one request.
struct Decision {
  std::optional<Fault> fault;
  clock::Duration latency{};
};

/// A coroutine's wait on the injected clock. The clock's timer posts to the session's
/// strand, so `fired` and the timer are only touched there; the posted handler hands
/// its work scope to the coroutine so that the tracker never reads idle in between.
struct ClockWaiter {
  explicit ClockWaiter(asio::any_io_executor const& executor)
      : timer(executor, asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
  bool fired = false;
  clock::WorkTracker::Scope scope{nullptr};
};

}  // namespace

Fault Fault::with_status(int status, std::string body, std::string content_type) {
  return Fault{.kind = Kind::kStatus,
               .status = status,
               .body = std::move(body),
               .content_type = std::move(content_type)};
}
Fault Fault::drop() {
  return Fault{.kind = Kind::kDrop};
}
Fault Fault::reset() {
  return Fault{.kind = Kind::kReset};
}
Fault Fault::delayed(clock::Duration delay) {
  return Fault{.kind = Kind::kDelay, .delay = delay};
}

char const* fault_kind_name(Fault::Kind kind) {
  switch (kind) {
    case Fault::Kind::kStatus:
      return "status";
    case Fault::Kind::kDrop:
      return "drop";
    case Fault::Kind::kReset:
      return "reset";
    case Fault::Kind::kDelay:
      return "delay";
  }
  return "unknown";
}

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(clock::Clock& c, ServerOptions o, clock::WorkTracker* t)
      : clock(c), options(std::move(o)), tracker(t), log(candor::log::get(options.log_name)) {}

  clock::Clock& clock;
  ServerOptions const options;
  clock::WorkTracker* const tracker;
  spdlog::logger& log;

  // Lifecycle: `alive` says the io_context may receive posts; it is only changed, and
  // only read for posting, under run_mutex.
  mutable std::mutex run_mutex;
  bool alive = false;
  std::unique_ptr<asio::io_context> ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::uint16_t bound_port = 0;

  // Routes, faults and journal.
  mutable std::mutex mutex;
  std::condition_variable journal_changed;
  std::atomic<std::size_t> connections{0};
  std::vector<Route> routes;
  std::map<std::uint64_t, Fault> scripted;
  std::deque<std::pair<std::size_t, Fault>> queued;
  clock::Duration latency{};
  std::uint64_t next_number = 1;
  std::vector<JournalEntry> entries;

  template <class Fn>
  void post_if_alive(asio::any_io_executor const& executor, Fn fn) {
    std::lock_guard lock(run_mutex);
    if (alive) {
      asio::post(executor, std::move(fn));
    }
  }

  bool journaled(std::string const& path) const {
    return std::none_of(options.unjournaled_prefixes.begin(), options.unjournaled_prefixes.end(),
                        [&](std::string const& prefix) { return path.starts_with(prefix); });
  }

  /// Numbers a journaled request and picks its fault.
  Decision admit(Request& request) {
    std::lock_guard lock(mutex);
    request.number = next_number++;
    Decision decision{.latency = latency};
    if (auto const it = scripted.find(request.number); it != scripted.end()) {
      decision.fault = it->second;
      scripted.erase(it);
      return decision;
    }
    if (!queued.empty()) {
      decision.fault = queued.front().second;
      if (--queued.front().first == 0) {
        queued.pop_front();
      }
    }
    return decision;
  }

  void record(Request const& request, int status, std::string fault, bool routed) {
    {
      std::lock_guard lock(mutex);
      entries.push_back(JournalEntry{.number = request.number,
                                     .received_at = request.received_at,
                                     .method = request.method,
                                     .target = request.target,
                                     .headers = request.headers,
                                     .body = request.body,
                                     .status = status,
                                     .fault = std::move(fault),
                                     .routed = routed});
    }
    journal_changed.notify_all();
  }

  /// Calls the matching handler; 501 when none matches, 500 when it throws.
  std::pair<Response, bool> dispatch(Request& request) {
    Handler handler;
    {
      std::lock_guard lock(mutex);
      for (auto const& route : routes) {
        if ((route.method == request.method || route.method == "*") &&
            match_pattern(route.pattern, request.path, request.path_params)) {
          handler = route.handler;
          break;
        }
      }
    }
    bool const routed = static_cast<bool>(handler);
    if (!routed) {
      if (!options.not_found) {
        log.warn("no route for {} {}; answering 501", request.method, request.path);
        return {
            Response::text(501, fmt::format("no route for {} {}\n", request.method, request.path)),
            false};
      }
      log.info("no route for {} {}", request.method, request.path);
      handler = options.not_found;
    }

    try {
      return {handler(request), routed};
    } catch (std::exception const& e) {
      log.error("handler for {} {} threw: {}", request.method, request.path, e.what());
      return {error_response(500, "handler failed"), routed};
    }
  }

  /// The server's own error answer, as the options render it.
  Response error_response(int status, std::string const& message) const {
    if (options.error_response) {
      return options.error_response(status, message);
    }
    return Response::text(status, message + "\n");
  }

  asio::awaitable<void> wait_on_clock(clock::Duration delay) {
    auto const executor = co_await asio::this_coro::executor;
    auto waiter = std::make_shared<ClockWaiter>(executor);
    std::weak_ptr<ClockWaiter> weak_waiter = waiter;
    std::weak_ptr<Impl> weak_self = weak_from_this();
    auto* const work = tracker;
    clock.call_after(delay, [weak_self, weak_waiter, executor, work] {
      auto self = weak_self.lock();
      if (!self) {
        return;
      }
      self->post_if_alive(executor,
                          [weak_waiter, scope = clock::WorkTracker::Scope(work)]() mutable {
                            if (auto w = weak_waiter.lock()) {
                              w->fired = true;
                              w->scope = std::move(scope);
                              w->timer.cancel();
                            }
                          });
    });

    if (!waiter->fired) {
      beast::error_code ec;
      co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  static Result<Request> to_request(bhttp::request<bhttp::string_body> const& raw) {
    Request request;
    request.method = std::string(raw.method_string());
    request.target = std::string(raw.target());
    for (auto const& field : raw) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = raw.body();

    std::string_view const target = request.target;
    auto const question = target.find('?');
    auto path = percent_decode(target.substr(0, question), false);
    if (!path) {
      return make_error(Errc::kInvalidArgument, "request path: " + path.error().message);
    }
    request.path = std::move(*path);
    if (question != std::string_view::npos) {
      auto query = parse_form(target.substr(question + 1));
      if (!query) {
        return make_error(Errc::kInvalidArgument, "query string: " + query.error().message);
      }
      request.query = std::move(*query);
    }
    return request;
  }

  static void abort_connection(beast::tcp_stream& stream, bool reset) {
    beast::error_code ec;
    if (reset) {
      // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
      stream.socket().set_option(asio::socket_base::linger(true, 0), ec);
    } else {
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    }
    stream.socket().close(ec);
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.body_limit);
      stream.expires_after(options.io_timeout);
      beast::error_code ec;
      co_await bhttp::async_read(stream, buffer, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec == bhttp::error::body_limit) {
        log.warn("request body over {} bytes; answering 413", options.body_limit);
        co_await write(
            stream,
            error_response(413, fmt::format("request body over {} bytes", options.body_limit)), 11,
            false);
        co_await drain(stream);
        co_return;
      }
      if (ec) {
        // end_of_stream, timeouts and resets are the client's business, not an error here.
        log.debug("connection closed: {}", ec.message());
        co_return;
      }
      stream.expires_never();

      auto const& raw = parser.get();
      bool const keep_alive = raw.keep_alive();
      auto const version = raw.version();
      auto parsed = to_request(raw);
      if (!parsed) {
        log.warn("bad request target: {}", parsed.error().message);
        co_await write(stream, error_response(400, parsed.error().message), version, false);
        co_return;
      }
      Request request = std::move(*parsed);
      request.received_at = clock.now();

      if (!co_await serve(stream, request, version, keep_alive)) {
        co_return;
      }
    }
  }

  /// Handles one request; returns whether the connection stays open.
  asio::awaitable<bool> serve(beast::tcp_stream& stream, Request& request, unsigned version,
                              bool keep_alive) {
    bool const is_journaled = journaled(request.path);
    Decision decision;
    if (is_journaled) {
      decision = admit(request);
    }

    if (decision.latency > clock::Duration::zero()) {
      co_await wait_on_clock(decision.latency);
    }
    auto const& fault = decision.fault;
    if (fault && fault->kind == Fault::Kind::kDelay) {
      co_await wait_on_clock(fault->delay);
    }
    clock::WorkTracker::Scope scope(tracker);

    if (fault && (fault->kind == Fault::Kind::kDrop || fault->kind == Fault::Kind::kReset)) {
      log.info("request {} {} {}: fault {}", request.number, request.method, request.path,
               fault_kind_name(fault->kind));
      record(request, 0, fault_kind_name(fault->kind), true);
      abort_connection(stream, fault->kind == Fault::Kind::kReset);
      co_return false;
    }

    Response response;
    bool routed = true;
    if (fault && fault->kind == Fault::Kind::kStatus) {
      log.info("request {} {} {}: fault status {}", request.number, request.method, request.path,
               fault->status);
      response = Response{.status = fault->status,
                          .headers = {{"Content-Type", fault->content_type}},
                          .body = fault->body};
    } else {
      std::tie(response, routed) = dispatch(request);
    }
    if (is_journaled) {
      record(request, response.status, fault ? fault_kind_name(fault->kind) : "", routed);
    }

    co_return co_await write(stream, response, version, keep_alive);
  }

  /// Reads and drops what the client still sends after an early answer (413), for a
  /// bounded time and size: closing a socket with unread data resets the connection,
  /// and the reset can destroy the answer before the client has read it.
  asio::awaitable<void> drain(beast::tcp_stream& stream) {
    constexpr std::size_t kMaxDrained = 64 * 1024 * 1024;
    std::array<char, 16 * 1024> sink{};
    std::size_t drained = 0;
    beast::error_code ec;
    stream.expires_after(
        std::min<std::chrono::milliseconds>(options.io_timeout, std::chrono::seconds(5)));
    while (!ec && drained < kMaxDrained) {
      drained += co_await stream.async_read_some(asio::buffer(sink),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  /// Writes `response`; returns whether the connection stays open.
  asio::awaitable<bool> write(beast::tcp_stream& stream, Response const& response, unsigned version,
                              bool keep_alive) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
    out.set(bhttp::field::server, "candor-fake");
    for (auto const& [name, value] : response.headers) {
      out.insert(name, value);
    }
    out.body() = response.body;
    out.keep_alive(keep_alive);
    out.prepare_payload();

    beast::error_code ec;
    stream.expires_after(options.io_timeout);
    co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    stream.expires_never();
    if (ec) {
      log.debug("write failed: {}", ec.message());
      co_return false;
    }
    if (!keep_alive) {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto strand = asio::make_strand(*ioc);
      tcp::socket socket(strand);
      beast::error_code ec;
      co_await acceptor->async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) {
        co_return;
      }
      if (ec) {
        log.warn("accept failed: {}", ec.message());
        continue;
      }
      connections.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(strand, session(std::move(socket)),
                     [this](std::exception_ptr error) { report_exception(error, "session"); });
    }
  }

  void report_exception(std::exception_ptr error, char const* what) {
    if (!error) {
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (std::exception const& e) {
      log.error("{} ended with exception: {}", what, e.what());
    } catch (...) {
      log.error("{} ended with an unknown exception", what);
    }
  }
};

HttpServer::HttpServer(clock::Clock& clock, ServerOptions options, clock::WorkTracker* tracker)
    : impl_(std::make_shared<Impl>(clock, std::move(options), tracker)) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::route(std::string method, std::string pattern, Handler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->routes.push_back(Route{std::move(method), compile_pattern(pattern), std::move(handler)});
}

Status HttpServer::start() {
  auto& impl = *impl_;
  std::lock_guard lock(impl.run_mutex);
  if (impl.alive) {
    return make_error(Errc::kFailedPrecondition, "server already running");
  }

  auto ioc = std::make_unique<asio::io_context>();
  auto acceptor = std::make_unique<tcp::acceptor>(*ioc);
  beast::error_code ec;
  auto const address = asio::ip::make_address(impl.options.bind_address, ec);
  if (ec) {
    return make_error(Errc::kInvalidArgument, fmt::format("bind address '{}': {}",
                                                          impl.options.bind_address, ec.message()));
  }
  tcp::endpoint const endpoint(address, impl.options.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor->bind(endpoint, ec);
  }
  if (!ec) {
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return make_error(Errc::kUnavailable,
                      fmt::format("cannot listen on {}:{}: {}", impl.options.bind_address,
                                  impl.options.port, ec.message()));
  }

  impl.bound_port = acceptor->local_endpoint().port();
  impl.ioc = std::move(ioc);
  impl.acceptor = std::move(acceptor);
  impl.alive = true;
  asio::co_spawn(*impl.ioc, impl.accept_loop(), [raw = &impl](std::exception_ptr error) {
    raw->report_exception(error, "accept loop");
  });
  for (std::size_t i = 0; i < std::max<std::size_t>(1, impl.options.threads); ++i) {
    impl.threads.emplace_back([raw = &impl] {
      name_this_thread(raw->options.log_name);
      raw->ioc->run();
    });
  }
  impl.log.info("listening on {}",
                fmt::format("http://{}:{}", impl.options.bind_address, impl.bound_port));
  return ok_status();
}

void HttpServer::stop() {
  auto& impl = *impl_;
  {
    std::lock_guard lock(impl.run_mutex);
    if (!impl.alive) {
      return;
    }
    impl.alive = false;
  }

  // Stopping the io_context abandons every session; destroying it below frees their
  // coroutine frames and with them the sockets, which closes the connections.
  impl.ioc->stop();
  for (auto& thread : impl.threads) {
    thread.join();
  }
  impl.threads.clear();
  impl.acceptor.reset();
  impl.ioc.reset();
  impl.log.info("stopped");
}

bool HttpServer::running() const {
  std::lock_guard lock(impl_->run_mutex);
  return impl_->alive;
}

std::uint16_t HttpServer::port() const {
  std::lock_guard lock(impl_->run_mutex);
  return impl_->bound_port;
}

std::string HttpServer::base_url() const {
  return fmt::format("http://{}:{}", impl_->options.bind_address, port());
}

void HttpServer::script_fault(std::uint64_t request_number, Fault fault) {
  std::lock_guard lock(impl_->mutex);
  impl_->scripted[request_number] = std::move(fault);
}

void HttpServer::fail_next(std::size_t count, Fault fault) {
  if (count == 0) {
    return;
  }
  std::lock_guard lock(impl_->mutex);
  impl_->queued.emplace_back(count, std::move(fault));
}

void HttpServer::set_latency(clock::Duration latency) {
  std::lock_guard lock(impl_->mutex);
  impl_->latency = latency;
}

void HttpServer::clear_faults() {
  std::lock_guard lock(impl_->mutex);
  impl_->scripted.clear();
  impl_->queued.clear();
  impl_->latency = clock::Duration::zero();
}

std::vector<JournalEntry> HttpServer::journal() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->entries;
}

std::size_t HttpServer::request_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->entries.size();
}

std::size_t HttpServer::connection_count() const {
  return impl_->connections.load(std::memory_order_relaxed);
}

void HttpServer::clear_journal() {
  std::lock_guard lock(impl_->mutex);
  impl_->entries.clear();
}

bool HttpServer::wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->journal_changed.wait_for(lock, timeout,
                                         [&] { return impl_->entries.size() >= count; });
}

}  // namespace candor::fakes::http
