#include "core/webhooks/webhook_server.hpp"

#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "core/common/log.hpp"
#include "core/common/thread_name.hpp"
#include "core/webhooks/webhook_router.hpp"

namespace candor::webhooks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

/// Requests with larger headers are refused; webhook headers are small.
constexpr std::uint32_t kHeaderLimit = 16 * 1024;

spdlog::logger& logger() {
  static auto& log = log::get("webhooks");
  return log;
}

std::string header_text(http::request<http::string_body> const& request, http::field field) {
  auto const it = request.find(field);
  return it == request.end() ? std::string() : std::string(it->value());
}

std::optional<std::string> optional_header(http::request<http::string_body> const& request,
                                           beast::string_view name) {
  auto const it = request.find(name);
  if (it == request.end()) {
    return std::nullopt;
  }
  return std::string(it->value());
}

WebhookRequest to_webhook_request(http::request<http::string_body>&& request) {
  return WebhookRequest{
      .method = std::string(request.method_string()),
      .target = std::string(request.target()),
      .content_type = header_text(request, http::field::content_type),
      .authorization = optional_header(request, "Authorization"),
      .twilio_signature = optional_header(request, "X-Twilio-Signature"),
      .body = std::move(request.body()),
  };
}

http::response<http::string_body> to_response(WebhookReply&& reply, unsigned version,
                                              bool keep_alive) {
  http::response<http::string_body> response{static_cast<http::status>(reply.status), version};
  response.set(http::field::server, "candor-webhooks");
  if (!reply.content_type.empty()) {
    response.set(http::field::content_type, reply.content_type);
  }
  for (auto& [name, value] : reply.headers) {
    response.set(name, value);
  }
  response.body() = std::move(reply.body);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

}  // namespace

struct WebhookServer::Impl {
  WebhookServerOptions options;
  WebhookSink& sink;
  clock::Clock& clock;
  std::unique_ptr<WebhookRouter> router;
  std::string base_url;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
  std::vector<std::thread> threads;
  // Declared last so that they are destroyed first, taking pending coroutines
  // with them before the router they use.
  asio::io_context io;
  tcp::acceptor acceptor{io};

  Impl(WebhookServerOptions o, WebhookSink& s, clock::Clock& c)
      : options(std::move(o)), sink(s), clock(c), io(options.threads) {}

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(tcp::socket socket);
  /// `reason` must stay alive until the returned awaitable completes.
  asio::awaitable<void> reply_and_close(beast::tcp_stream& stream, int status,
                                        std::string const& reason);
};

asio::awaitable<void> WebhookServer::Impl::accept_loop() {
  for (;;) {
    error_code ec;
    auto socket = co_await acceptor.async_accept(asio::make_strand(io),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      logger().warn("webhook accept failed: {}", ec.message());
      continue;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(std::move(socket)), [](std::exception_ptr error) {
      if (!error) {
        return;
      }
      try {
        std::rethrow_exception(error);
      } catch (std::exception const& e) {
        logger().error("webhook connection ended by an exception: {}", e.what());
      }
    });
  }
}

asio::awaitable<void> WebhookServer::Impl::reply_and_close(beast::tcp_stream& stream, int status,
                                                           std::string const& reason) {
  router->count_bad_request();
  auto response = to_response(
      WebhookReply{.status = status, .content_type = "text/plain", .body = reason + "\n"}, 11,
      false);
  error_code ec;
  co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> WebhookServer::Impl::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(kHeaderLimit);
    stream.expires_after(options.read_timeout);

    error_code ec;
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset) {
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      co_return;
    }
    if (ec == http::error::body_limit) {
      auto const reason = fmt::format("body larger than {} bytes", options.max_body_bytes);
      co_await reply_and_close(stream, 413, reason);
      co_return;
    }
    if (ec) {
      // Anything else the parser refused is a malformed request; a broken
      // connection makes the reply fail quietly.
      auto const reason = fmt::format("malformed request: {}", ec.message());
      co_await reply_and_close(stream, 400, reason);
      co_return;
    }

    auto request = parser.release();
    auto const version = request.version();
    bool const keep_alive = request.keep_alive();
    auto reply = router->handle(to_webhook_request(std::move(request)));
    auto response = to_response(std::move(reply), version, keep_alive);

    stream.expires_after(options.read_timeout);
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep_alive) {
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      co_return;
    }
  }
}

WebhookServer::WebhookServer(WebhookServerOptions options, WebhookSink& sink, clock::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), sink, clock)) {}

WebhookServer::~WebhookServer() {
  stop();
}

Status WebhookServer::start() {
  auto& impl = *impl_;
  if (impl.started) {
    return make_error(Errc::kFailedPrecondition, "webhook server already started");
  }
  CANDOR_RETURN_IF_ERROR(check_options(impl.options));

  error_code ec;
  auto const address = asio::ip::make_address(impl.options.bind_address, ec);
  if (ec) {
    return make_error(Errc::kInvalidArgument, fmt::format("bind_address '{}': {}",
                                                          impl.options.bind_address, ec.message()));
  }
  tcp::endpoint const endpoint(address, impl.options.port);
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    impl.acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return make_error(Errc::kUnavailable,
                      fmt::format("webhook server cannot listen on {}:{}: {}",
                                  impl.options.bind_address, impl.options.port, ec.message()));
  }

  impl.port = impl.acceptor.local_endpoint().port();
  impl.base_url = impl.options.public_base_url.empty()
                      ? fmt::format("http://{}:{}", impl.options.bind_address, impl.port)
                      : impl.options.public_base_url;
  impl.router = std::make_unique<WebhookRouter>(impl.options, impl.base_url, impl.sink, impl.clock);
  impl.started = true;

  asio::co_spawn(impl.io, impl.accept_loop(), [](std::exception_ptr error) {
    if (!error) {
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (std::exception const& e) {
      logger().error("webhook accept loop ended by an exception: {}", e.what());
    }
  });
  for (int i = 0; i < impl.options.threads; ++i) {
    impl.threads.emplace_back([&impl] {
      name_this_thread("candor-webhook");
      impl.io.run();
    });
  }
  logger().info("webhook server listening on {}:{} base_url={}", impl.options.bind_address,
                impl.port, impl.base_url);
  return ok_status();
}

void WebhookServer::stop() {
  auto& impl = *impl_;
  if (!impl.started || impl.stopped) {
    return;
  }
  impl.stopped = true;

  // Connections may sit in keep-alive reads; stopping the context abandons them
  // and the context's destruction frees their coroutines.
  impl.io.stop();
  for (auto& thread : impl.threads) {
    thread.join();
  }
  impl.threads.clear();

  error_code ignored;
  impl.acceptor.close(ignored);
}

std::uint16_t WebhookServer::port() const {
  return impl_->port;
}

std::string WebhookServer::base_url() const {
  return impl_->base_url;
}

WebhookStats WebhookServer::stats() const {
  return impl_->router ? impl_->router->stats() : WebhookStats{};
}

}  // namespace candor::webhooks
