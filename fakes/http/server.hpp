#pragma once

// HttpServer: the HTTP/1.1 server every fake provider is built on.
//
//   clock::ManualClock clock(start, {.tracker = &tracker});
//   fakes::http::HttpServer server(clock, {}, &tracker);
//   server.route("POST", "/2010-04-01/Accounts/{account}/Messages.json",
//                [](fakes::http::Request const& r) { return Response::json(201, "{}"); });
//   server.start();                        // binds 127.0.0.1, port 0 by default
//   std::string url = server.base_url();   // "http://127.0.0.1:41234"
//
// The server runs on its own io_context threads, keeps connections alive, answers
// unknown endpoints 501 (with a log line) unless told otherwise, records every request in a journal
// with the injected clock's time, and can be scripted to fail: request N answers a chosen status,
// drops or resets its connection, or is delayed by a clock duration.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock/clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/common/result.hpp"
#include "fakes/http/message.hpp"

namespace candor::fakes::http {

/// Answers one request. Runs on a server thread; must not block. With more than one
/// server thread, handlers may run concurrently and must guard shared state.
using Handler = std::function<Response(Request const&)>;

/// A scripted misbehaviour for one request.
struct Fault {
  enum class Kind : std::uint8_t {
    kStatus,  ///< answer `status` with `body` instead of calling the handler
    kDrop,    ///< close the connection without answering (orderly FIN)
    kReset,   ///< abort the connection without answering (TCP RST)
    kDelay,   ///< wait `delay` on the clock, then handle normally
  };
  Kind kind = Kind::kStatus;
  int status = 500;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
  clock::Duration delay{};

  static Fault with_status(int status, std::string body = {},
                           std::string content_type = "application/json; charset=utf-8");
  static Fault drop();
  static Fault reset();
  static Fault delayed(clock::Duration delay);
};

/// Text name of a fault kind: "status", "drop", "reset", "delay".
char const* fault_kind_name(Fault::Kind kind);

/// One request in the journal, with what the server did about it.
struct JournalEntry {
  std::uint64_t number = 0;
  clock::TimePoint received_at{};
  std::string method;
  std::string target;
  Fields headers;
  std::string body;
  /// Status sent back; 0 when the connection was dropped or reset instead.
  int status = 0;
  /// The fault applied ("status", "drop", "reset", "delay"), or "" for none.
  std::string fault;
  /// False when no route matched (answered 501).
  bool routed = true;
};

/// Options of an HttpServer.
struct ServerOptions {
  /// Address to bind; loopback by default.
  std::string bind_address = "127.0.0.1";
  /// Port to bind; 0 lets the system choose (read it back with port()).
  std::uint16_t port = 0;
  /// Number of io_context threads.
  std::size_t threads = 1;
  /// Largest accepted request body in bytes; larger ones are answered 413.
  std::size_t body_limit = 1024 * 1024;
  /// Logger component name, e.g. "fake.twilio".
  std::string log_name = "fake.http";
  /// Requests whose path starts with one of these are not numbered, not journaled and
  /// never faulted (the fakes' admin APIs).
  std::vector<std::string> unjournaled_prefixes = {"/__admin"};
  /// Real-time limit for reading one request once its first byte arrived, and for idle
  /// keep-alive connections.
  std::chrono::milliseconds io_timeout = std::chrono::seconds(30);
  /// Answers a request that no route matches (the server logs a line first). Empty:
  /// 501 with a plain-text body naming the method and path.
  Handler not_found;
  /// Renders the server's own error answers from their status and a one-line message:
  /// 400 for an undecodable request target, 413 for a body over `body_limit`, 500 when
  /// a handler throws. Empty: plain text.
  std::function<Response(int status, std::string const& message)> error_response;
};

/// A small HTTP/1.1 server on loopback. Routes are matched in the order added by method
/// and path pattern; a pattern is a literal path in which a whole segment, or a part of
/// a segment, may be a `{name}` placeholder ("/Messages/{sid}.json"). A placeholder
/// matches one or more characters other than '/'.
/// Thread-safe: every member may be called from any thread while the server runs.
class HttpServer {
 public:
  /// `clock` timestamps the journal and times delays; `tracker`, when given, counts each
  /// request from fully read to response written (not while a fault delay waits on the
  /// clock, so that a manual clock can settle and then advance past the delay).
  HttpServer(clock::Clock& clock, ServerOptions options = {},
             clock::WorkTracker* tracker = nullptr);
  ~HttpServer();
  HttpServer(HttpServer const&) = delete;
  HttpServer& operator=(HttpServer const&) = delete;

  /// Adds a route. Allowed before or after start().
  void route(std::string method, std::string pattern, Handler handler);

  /// Binds and starts the threads. Errors: Unavailable when the address cannot be bound,
  /// FailedPrecondition when already running.
  Status start();
  /// Stops accepting, closes every connection and joins the threads. Idempotent; start()
  /// may be called again afterwards (a port of 0 then picks a new port).
  void stop();
  bool running() const;

  /// The bound port; 0 before start().
  std::uint16_t port() const;
  /// "http://<bind_address>:<port>".
  std::string base_url() const;

  // Faults. Numbers count journaled requests from 1 and keep counting across faults.

  /// Request number `request_number` gets `fault` (replaces an earlier script for it).
  void script_fault(std::uint64_t request_number, Fault fault);
  /// Each of the next `count` journaled requests gets `fault`; queued after earlier
  /// fail_next() calls.
  void fail_next(std::size_t count, Fault fault);
  /// Every journaled request waits `latency` on the clock before it is handled.
  void set_latency(clock::Duration latency);
  /// Removes scripted faults, queued faults and latency.
  void clear_faults();

  // Journal.

  std::vector<JournalEntry> journal() const;
  std::size_t request_count() const;
  /// Connections accepted since start().
  std::size_t connection_count() const;
  void clear_journal();
  /// Blocks until at least `count` journaled requests have been answered (or dropped),
  /// or `timeout` real time passes.
  [[nodiscard]] bool wait_for_requests(std::size_t count,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace candor::fakes::http
