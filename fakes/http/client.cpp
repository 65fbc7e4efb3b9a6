#include "fakes/http/client.hpp"

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/common/log.hpp"
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

  /// Runs one exchange. `scope` lives in the frame, so the work ends after `done`.
  asio::awaitable<void> exchange(ClientRequest request, ClientCallback done,
                                 [[maybe_unused]] clock::WorkTracker::Scope scope) {
    ClientResult result;
    result.sent_at = clock.now();
    auto fail = [&](Error error) {
      log.debug("request to {} failed: {}", request.url, error.message);
      result.error = std::move(error);
      finish(done, result);
    };

    auto url = parse_url(request.url);
    if (!url) {
      fail(url.error());
      co_return;
    }
    if (url->scheme != "http") {
      // Limitation: no TLS — the fakes only ever call loopback receivers over http.
      fail(make_error(Errc::kInvalidArgument,
                      fmt::format("url '{}': only http:// is supported", request.url)));
      co_return;
    }
    auto const verb = bhttp::string_to_verb(request.method);
    if (verb == bhttp::verb::unknown) {
      fail(make_error(Errc::kInvalidArgument, fmt::format("unknown method '{}'", request.method)));
      co_return;
    }

    auto const executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    beast::tcp_stream stream(executor);
    beast::error_code ec;
    auto const endpoints = co_await resolver.async_resolve(
        url->host, std::to_string(url->port), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      fail(transport_error(ec, request.url, "resolve"));
      co_return;
    }

    // One deadline covers connect, write and read together.
    stream.expires_after(request.timeout);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      fail(transport_error(ec, request.url, "connect"));
      co_return;
    }

    bhttp::request<bhttp::string_body> out{verb, url->target, 11};
    out.set(bhttp::field::host, fmt::format("{}:{}", url->host, url->port));
    out.set(bhttp::field::user_agent, "candor-fake/1.0");
    if (!request.content_type.empty()) {
      out.set(bhttp::field::content_type, request.content_type);
    }
    for (auto const& [name, value] : request.headers) {
      out.insert(name, value);
    }
    out.body() = std::move(request.body);
    out.keep_alive(false);
    out.prepare_payload();
    co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      fail(transport_error(ec, request.url, "write"));
      co_return;
    }

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kResponseBodyLimit);
    co_await bhttp::async_read(stream, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      fail(transport_error(ec, request.url, "read"));
      co_return;
    }

    auto const& response = parser.get();
    result.status = static_cast<int>(response.result_int());
    for (auto const& field : response) {
      result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    result.body = response.body();
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    finish(done, result);
  }
};

HttpClient::HttpClient(clock::Clock& clock, clock::WorkTracker* tracker, ClientOptions options)
    : impl_(std::make_shared<Impl>(clock, tracker, std::move(options))) {
  impl_->thread = std::thread([raw = impl_.get()] { raw->ioc->run(); });
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
      asio::co_spawn(*impl.ioc,
                     impl.exchange(std::move(request), std::move(done), std::move(scope)),
                     [raw = &impl](std::exception_ptr error) {
                       if (!error) {
                         return;
                       }
                       try {
                         std::rethrow_exception(error);
                       } catch (std::exception const& e) {
                         raw->log.error("request ended with exception: {}", e.what());
                       } catch (...) {
                         raw->log.error("request ended with an unknown exception");
                       }
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

  // Destroying the io_context frees the abandoned exchanges and ends their work scopes.
  impl.ioc.reset();
  std::lock_guard lock(impl.mutex);
  impl.in_flight = 0;
}

}  // namespace candor::fakes::http
