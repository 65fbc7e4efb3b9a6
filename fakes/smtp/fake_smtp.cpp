#include "fakes/smtp/fake_smtp.hpp"

#include <array>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/common/check.hpp"
#include "core/common/log.hpp"
#include "core/common/thread_name.hpp"
#include "fakes/http/server.hpp"
#include "fakes/smtp/admin_api.hpp"
#include "fakes/smtp/smtp_text.hpp"

namespace candor::fakes::smtp {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;
using clock::WorkTracker;

spdlog::logger& logger() {
  static auto& instance = log::get("fake.smtp");
  return instance;
}

constexpr auto kUseAwaitable = asio::use_awaitable;

struct CompiledRule {
  SmtpRejectRule rule;
  std::optional<std::regex> pattern;
};

CompiledRule compile_rule(SmtpRejectRule rule) {
  CompiledRule compiled{.rule = std::move(rule)};
  compiled.rule.domain = to_lower(compiled.rule.domain);
  if (compiled.rule.address_pattern.empty()) {
    return compiled;
  }
  try {
    compiled.pattern.emplace(compiled.rule.address_pattern, std::regex::ECMAScript);
  } catch (std::regex_error const& e) {
    throw std::invalid_argument(fmt::format("fake smtp: reject rule address_pattern '{}': {}",
                                            compiled.rule.address_pattern, e.what()));
  }
  return compiled;
}

bool rule_matches(CompiledRule const& compiled, std::string const& lower_address) {
  if (!compiled.rule.domain.empty()) {
    auto const at = lower_address.rfind('@');
    if (at == std::string::npos || lower_address.substr(at + 1) != compiled.rule.domain) {
      return false;
    }
  }
  return !compiled.pattern || std::regex_match(lower_address, *compiled.pattern);
}

// Clock timers may fire on another thread after the server stopped; they check this
// gate before touching the io_context.
struct ClockGate {
  std::mutex mutex;
  bool closed = false;
};

/// What one connection was dealt when it was accepted.
struct SessionFaults {
  std::optional<int> temporary_code;
  std::optional<DropPoint> drop;
};

class Session;

/// `line` as journaled: AUTH keeps only its mechanism, never credentials.
std::string masked(std::string const& verb, std::string const& line) {
  if (verb != "auth") {
    return line;
  }
  auto const mechanism_end = line.find(' ', 5);
  return mechanism_end == std::string::npos ? line : line.substr(0, mechanism_end) + " ***";
}

char const* drop_point_name(DropPoint point) {
  switch (point) {
    case DropPoint::kOnConnect:
      return "drop:on_connect";
    case DropPoint::kAfterMailFrom:
      return "drop:after_mail_from";
    case DropPoint::kAfterData:
      return "drop:after_data";
  }
  return "drop";
}

struct ServerState {
  ServerState(FakeSmtpConfig c, clock::Clock& k, WorkTracker* t)
      : config(std::move(c)), clock(k), tracker(t) {}

  FakeSmtpConfig const config;
  clock::Clock& clock;
  WorkTracker* const tracker;

  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::shared_ptr<ClockGate> gate = std::make_shared<ClockGate>();
  /// Live sessions by number; touched only on the io thread.
  std::map<std::uint64_t, std::weak_ptr<Session>> live;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<SmtpMessage> messages;
  std::map<std::uint64_t, SmtpSession> sessions;
  std::vector<CompiledRule> rules;
  int temporary_sessions = 0;
  int temporary_code = 451;
  int drop_sessions = 0;
  DropPoint drop_point = DropPoint::kOnConnect;
  clock::Duration reply_latency{0};
  clock::Duration data_latency{0};
  SmtpStats stats;
  std::uint64_t sessions_started = 0;
  std::uint64_t queued = 0;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

/// One SMTP conversation. Runs on the io thread only.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerState& server, tcp::socket socket, std::uint64_t number, SessionFaults faults)
      : server_(server),
        socket_(std::move(socket)),
        wake_(socket_.get_executor()),
        number_(number),
        faults_(faults) {}

  awaitable<void> run();

  void close() {
    closed_ = true;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    wake_.cancel();
  }

 private:
  struct Line {
    std::string text;
    bool too_long = false;
    /// Ended by LF without the CR before it.
    bool bare_lf = false;
  };

  awaitable<std::optional<Line>> read_line();
  awaitable<bool> wait_clock(clock::Duration delay, std::optional<WorkTracker::Scope>& work);
  awaitable<bool> reply(std::string text, clock::Duration extra = clock::Duration::zero());
  awaitable<bool> handle(std::string const& verb, std::string_view argument);
  awaitable<bool> on_hello(std::string_view argument, bool extended);
  awaitable<bool> on_auth(std::string_view argument);
  awaitable<bool> on_mail(std::string_view argument);
  awaitable<bool> on_rcpt(std::string_view argument);
  awaitable<bool> on_data(std::string_view argument);
  awaitable<std::optional<std::string>> auth_response(std::string challenge,
                                                      std::string_view initial);
  std::optional<std::string> rejection(std::string const& address, RejectStage stage) const;
  void store(std::string data, std::string const& queue_id);
  void count(std::uint64_t SmtpStats::*counter) {
    std::lock_guard lock(server_.mutex);
    ++(server_.stats.*counter);
  }

  void reset_transaction() {
    mail_from_.reset();
    recipients_.clear();
  }

  /// Runs `change` on this session's journal entry, if it is still kept.
  template <class Fn>
  void update_journal(Fn change) {
    std::lock_guard lock(server_.mutex);
    if (auto const it = server_.sessions.find(number_); it != server_.sessions.end()) {
      change(it->second);
    }
  }

  /// Journals the current command with `reply` ("" when the connection is dropped).
  void journal(std::string const& reply) {
    auto const now = server_.clock.now();
    update_journal([&](SmtpSession& session) {
      if (session.transcript.size() >= kMaxTranscript) {
        session.truncated = true;
        return;
      }
      session.transcript.push_back({.command = command_, .reply = reply, .at = now});
    });
  }

  ServerState& server_;
  tcp::socket socket_;
  asio::steady_timer wake_;
  std::uint64_t const number_;
  SessionFaults const faults_;
  bool closed_ = false;

  std::string buffer_;
  bool discarding_ = false;
  /// The command being answered, as journaled.
  std::string command_;

  std::string helo_;
  bool extended_ = false;
  std::optional<std::string> auth_user_;
  std::optional<std::string> mail_from_;
  std::vector<std::string> recipients_;
};

awaitable<void> Session::run() {
  if (faults_.drop == DropPoint::kOnConnect) {
    count(&SmtpStats::dropped_sessions);
    close();
    co_return;
  }
  if (faults_.temporary_code == 421) {
    count(&SmtpStats::temporary_failures);
    co_await reply(fmt::format("421 4.3.2 {} Service not available, closing transmission channel",
                               server_.config.hostname));
    close();
    co_return;
  }

  if (!co_await reply(fmt::format("220 {} ESMTP candor fake", server_.config.hostname))) {
    close();
    co_return;
  }

  while (!closed_) {
    auto line = co_await read_line();
    if (!line) {
      break;
    }
    auto const space = line->text.find(' ');
    auto const verb = to_lower(std::string_view(line->text).substr(0, space));
    auto const argument = space == std::string::npos
                              ? std::string_view()
                              : std::string_view(line->text).substr(space + 1);
    command_ = masked(verb, line->text);
    if (line->too_long) {
      command_ = "<line too long>";
      if (!co_await reply("500 5.5.2 Line too long")) {
        break;
      }
      continue;
    }
    if (line->bare_lf) {
      if (!co_await reply("500 5.5.2 Bare LF received: lines must end with CRLF")) {
        break;
      }
      continue;
    }
    if (!co_await handle(verb, argument)) {
      break;
    }
  }
  close();
}

// A line ends at LF; the CR before it is removed, and a line without one is marked
// bare so that the caller refuses it (RFC 5321 2.3.8 allows CRLF only). Over-long
// lines are skipped up to their end and reported once, so a client cannot make the
// fake buffer without bound.
awaitable<std::optional<Session::Line>> Session::read_line() {
  auto const max = server_.config.max_line_length;
  for (;;) {
    auto const newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      Line line{.text = buffer_.substr(0, newline), .too_long = discarding_ || newline + 1 > max};
      buffer_.erase(0, newline + 1);
      discarding_ = false;
      if (!line.text.empty() && line.text.back() == '\r') {
        line.text.pop_back();
      } else {
        line.bare_lf = true;
      }
      if (line.too_long) {
        line.text.clear();
        line.bare_lf = false;
      }
      co_return line;
    }
    if (buffer_.size() >= max) {
      discarding_ = true;
      buffer_.clear();
    }

    std::array<char, 4096> chunk{};
    error_code ec;
    auto const n = co_await socket_.async_read_some(asio::buffer(chunk),
                                                    asio::redirect_error(kUseAwaitable, ec));
    if (ec) {
      co_return std::nullopt;
    }
    buffer_.append(chunk.data(), n);
  }
}

// The clock decides when a delayed reply goes out. Its timer may fire on any thread,
// so it only posts a wake-up to this session's executor, carrying a WorkTracker scope
// that the session keeps until the reply is written.
awaitable<bool> Session::wait_clock(clock::Duration delay,
                                    std::optional<WorkTracker::Scope>& work) {
  if (delay <= clock::Duration::zero()) {
    co_return !closed_;
  }

  auto woken = std::make_shared<std::optional<WorkTracker::Scope>>();
  auto const timer_id = server_.clock.call_after(
      delay, [gate = server_.gate, tracker = server_.tracker, weak = weak_from_this(), woken,
              executor = wake_.get_executor()] {
        WorkTracker::Scope scope(tracker);
        std::lock_guard lock(gate->mutex);
        if (gate->closed) {
          return;
        }
        asio::post(executor, [weak, woken, scope = std::move(scope)]() mutable {
          if (auto self = weak.lock()) {
            *woken = std::move(scope);
            self->wake_.cancel();
          }
        });
      });

  wake_.expires_at(asio::steady_timer::time_point::max());
  error_code ec;
  co_await wake_.async_wait(asio::redirect_error(kUseAwaitable, ec));
  if (!woken->has_value()) {
    server_.clock.cancel(timer_id);
    co_return false;
  }
  work = std::move(*woken);
  co_return !closed_;
}

awaitable<bool> Session::reply(std::string text, clock::Duration extra) {
  clock::Duration latency;
  {
    std::lock_guard lock(server_.mutex);
    latency = server_.reply_latency + extra;
  }
  std::optional<WorkTracker::Scope> work;
  if (!co_await wait_clock(latency, work)) {
    co_return false;
  }

  journal(text);
  text += "\r\n";
  error_code ec;
  co_await asio::async_write(socket_, asio::buffer(text), asio::redirect_error(kUseAwaitable, ec));
  co_return !ec;
}

awaitable<bool> Session::handle(std::string const& verb, std::string_view argument) {
  if (verb == "helo" || verb == "ehlo") {
    co_return co_await on_hello(argument, verb == "ehlo");
  }
  if (verb == "auth") {
    co_return co_await on_auth(argument);
  }
  if (verb == "mail") {
    co_return co_await on_mail(argument);
  }
  if (verb == "rcpt") {
    co_return co_await on_rcpt(argument);
  }
  if (verb == "data") {
    co_return co_await on_data(argument);
  }
  if (verb == "rset") {
    if (!argument.empty()) {
      co_return co_await reply("501 5.5.4 Syntax: RSET");
    }
    reset_transaction();
    co_return co_await reply("250 2.0.0 Ok");
  }
  if (verb == "noop") {
    co_return co_await reply("250 2.0.0 Ok");
  }
  if (verb == "quit") {
    co_await reply("221 2.0.0 Bye");
    co_return false;
  }
  co_return co_await reply("500 5.5.2 Syntax error, command unrecognized");
}

awaitable<bool> Session::on_hello(std::string_view argument, bool extended) {
  if (argument.empty() || argument.find(' ') != std::string_view::npos) {
    co_return co_await reply(extended ? "501 5.5.4 Syntax: EHLO hostname"
                                      : "501 5.5.4 Syntax: HELO hostname");
  }
  helo_ = std::string(argument);
  extended_ = extended;
  reset_transaction();
  update_journal([this](SmtpSession& session) { session.helo = helo_; });
  if (!extended) {
    co_return co_await reply(fmt::format("250 {}", server_.config.hostname));
  }

  std::vector<std::string> lines{
      fmt::format("{} greets {}", server_.config.hostname, helo_),
      "PIPELINING",
      fmt::format("SIZE {}", server_.config.max_message_size),
      "8BITMIME",
      "ENHANCEDSTATUSCODES",
  };
  if (server_.config.auth) {
    lines.emplace_back("AUTH PLAIN LOGIN");
  }
  std::string text;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto const last = i + 1 == lines.size();
    text += fmt::format("250{}{}{}", last ? ' ' : '-', lines[i], last ? "" : "\r\n");
  }
  co_return co_await reply(std::move(text));
}

// Sends a 334 challenge unless the client gave an initial response; returns the
// client's answer, or nullopt when the connection is gone.
awaitable<std::optional<std::string>> Session::auth_response(std::string challenge,
                                                             std::string_view initial) {
  if (!initial.empty()) {
    co_return std::string(initial);
  }
  if (!co_await reply("334 " + challenge)) {
    co_return std::nullopt;
  }
  auto line = co_await read_line();
  if (!line) {
    co_return std::nullopt;
  }
  command_ = "***";
  // An over-long or badly ended answer is replaced by text that is not base64, so the
  // caller answers 501.
  co_return line->too_long || line->bare_lf ? std::string("!") : line->text;
}

awaitable<bool> Session::on_auth(std::string_view argument) {
  auto const& credentials = server_.config.auth;
  if (!credentials) {
    co_return co_await reply("502 5.5.1 AUTH not supported");
  }
  if (!extended_) {
    co_return co_await reply("503 5.5.1 Send EHLO first");
  }
  if (auth_user_) {
    co_return co_await reply("503 5.5.1 Already authenticated");
  }
  if (mail_from_) {
    co_return co_await reply("503 5.5.1 AUTH not allowed during a mail transaction");
  }

  auto const space = argument.find(' ');
  auto const mechanism = to_lower(argument.substr(0, space));
  auto const initial =
      space == std::string_view::npos ? std::string_view() : argument.substr(space + 1);
  std::string user;
  std::string password;
  if (mechanism == "plain") {
    auto response = co_await auth_response("", initial);
    if (!response) {
      co_return false;
    }
    if (*response == "*") {
      co_return co_await reply("501 5.7.0 Authentication cancelled");
    }
    // RFC 4616: authzid NUL authcid NUL passwd.
    auto decoded = base64_decode(*response);
    auto const first = decoded ? decoded->find('\0') : std::string::npos;
    auto const second = first == std::string::npos ? first : decoded->find('\0', first + 1);
    if (second == std::string::npos) {
      co_return co_await reply("501 5.5.2 Cannot decode AUTH PLAIN response");
    }
    user = decoded->substr(first + 1, second - first - 1);
    password = decoded->substr(second + 1);
  } else if (mechanism == "login") {
    auto user_answer = co_await auth_response(base64_encode("Username:"), initial);
    if (!user_answer) {
      co_return false;
    }
    if (*user_answer == "*") {
      co_return co_await reply("501 5.7.0 Authentication cancelled");
    }
    auto password_answer = co_await auth_response(base64_encode("Password:"), {});
    if (!password_answer) {
      co_return false;
    }
    if (*password_answer == "*") {
      co_return co_await reply("501 5.7.0 Authentication cancelled");
    }
    auto decoded_user = base64_decode(*user_answer);
    auto decoded_password = base64_decode(*password_answer);
    if (!decoded_user || !decoded_password) {
      co_return co_await reply("501 5.5.2 Cannot decode AUTH LOGIN response");
    }
    user = std::move(*decoded_user);
    password = std::move(*decoded_password);
  } else {
    co_return co_await reply("504 5.5.4 Unrecognized authentication type");
  }

  if (user != credentials->username || password != credentials->password) {
    count(&SmtpStats::auth_failures);
    co_return co_await reply("535 5.7.8 Authentication credentials invalid");
  }
  auth_user_ = user;
  update_journal([&user](SmtpSession& session) { session.auth_user = user; });
  co_return co_await reply("235 2.7.0 Authentication successful");
}

awaitable<bool> Session::on_mail(std::string_view argument) {
  if (helo_.empty()) {
    co_return co_await reply("503 5.5.1 Send HELO/EHLO first");
  }
  if (server_.config.auth && !auth_user_) {
    co_return co_await reply("530 5.7.0 Authentication required");
  }
  if (mail_from_) {
    co_return co_await reply("503 5.5.1 Nested MAIL command");
  }
  auto path = parse_path_argument(argument, "FROM", /*allow_empty=*/true);
  if (!path) {
    co_return co_await reply("501 5.5.4 Syntax: MAIL FROM:<address> (" + path.error().message +
                             ")");
  }

  for (auto const& param : path->params) {
    auto const lower = to_lower(param);
    if (lower.starts_with("size=")) {
      std::size_t size = 0;
      auto const digits = std::string_view(lower).substr(5);
      auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
      if (ec != std::errc() || end != digits.data() + digits.size()) {
        co_return co_await reply("501 5.5.4 Bad SIZE parameter");
      }
      if (size > server_.config.max_message_size) {
        co_return co_await reply("552 5.3.4 Message size exceeds fixed maximum message size");
      }
    } else if (!lower.starts_with("body=") && !lower.starts_with("auth=") && lower != "smtputf8") {
      co_return co_await reply(fmt::format("555 5.5.4 Unsupported option: {}", param));
    }
  }

  if (faults_.drop == DropPoint::kAfterMailFrom) {
    count(&SmtpStats::dropped_sessions);
    journal("");
    co_return false;
  }
  if (faults_.temporary_code == 451) {
    count(&SmtpStats::temporary_failures);
    co_return co_await reply("451 4.3.0 Temporary failure, try again later");
  }
  mail_from_ = std::move(path->address);
  co_return co_await reply("250 2.1.0 Ok");
}

std::optional<std::string> Session::rejection(std::string const& address, RejectStage stage) const {
  auto const lower = to_lower(address);
  std::lock_guard lock(server_.mutex);
  for (auto const& compiled : server_.rules) {
    if (compiled.rule.stage != stage || !rule_matches(compiled, lower)) {
      continue;
    }
    auto const at_rcpt = stage == RejectStage::kRcpt;
    auto const code = compiled.rule.code != 0 ? compiled.rule.code : (at_rcpt ? 550 : 554);
    if (!compiled.rule.text.empty()) {
      return fmt::format("{} {}", code, compiled.rule.text);
    }
    return at_rcpt ? fmt::format("{} {}.1.1 <{}>: Recipient address rejected", code, code / 100,
                                 address)
                   : fmt::format("{} {}.7.1 Message rejected for <{}>", code, code / 100, address);
  }
  return std::nullopt;
}

awaitable<bool> Session::on_rcpt(std::string_view argument) {
  if (!mail_from_) {
    co_return co_await reply("503 5.5.1 Need MAIL command");
  }
  auto path = parse_path_argument(argument, "TO", /*allow_empty=*/false);
  if (!path) {
    co_return co_await reply("501 5.5.4 Syntax: RCPT TO:<address> (" + path.error().message + ")");
  }
  if (recipients_.size() >= server_.config.max_recipients) {
    co_return co_await reply("452 4.5.3 Too many recipients");
  }
  if (auto refused = rejection(path->address, RejectStage::kRcpt)) {
    count(&SmtpStats::rejected_recipients);
    co_return co_await reply(std::move(*refused));
  }
  recipients_.push_back(std::move(path->address));
  co_return co_await reply("250 2.1.5 Ok");
}

awaitable<bool> Session::on_data(std::string_view argument) {
  if (!argument.empty()) {
    co_return co_await reply("501 5.5.4 Syntax: DATA");
  }
  if (!mail_from_) {
    co_return co_await reply("503 5.5.1 Need MAIL command");
  }
  if (recipients_.empty()) {
    co_return co_await reply("503 5.5.1 Need RCPT command");
  }
  if (!co_await reply("354 End data with <CR><LF>.<CR><LF>")) {
    co_return false;
  }

  // Read to the lone "." even when the message is already refused, so that the
  // conversation stays in step with the client.
  std::string data;
  std::size_t octets = 0;
  bool too_big = false;
  bool too_long = false;
  bool bare_lf = false;
  for (;;) {
    auto line = co_await read_line();
    if (!line) {
      co_return false;
    }
    if (line->too_long) {
      too_long = true;
      continue;
    }
    bare_lf = bare_lf || line->bare_lf;
    // A "." ended by a bare LF ends the data too: the message is refused either way,
    // and the connection is closed after the reply, so nothing after it is read as a
    // command (the ambiguity SMTP smuggling exploits).
    if (line->text == ".") {
      break;
    }
    octets += line->text.size() + 2;
    // RFC 5321 4.5.2: a leading dot was doubled by the client.
    auto text = std::string_view(line->text);
    if (text.starts_with('.')) {
      text.remove_prefix(1);
    }
    if (too_big) {
      continue;
    }
    if (data.size() + text.size() + 2 > server_.config.max_message_size) {
      too_big = true;
      data.clear();
      continue;
    }
    data.append(text);
    data.append("\r\n");
  }

  clock::Duration data_latency;
  {
    std::lock_guard lock(server_.mutex);
    data_latency = server_.data_latency;
  }
  command_ = fmt::format("<message data: {} octets>", octets);
  if (bare_lf) {
    count(&SmtpStats::rejected_messages);
    reset_transaction();
    co_await reply("554 5.5.2 Bare LF in message data: lines must end with CRLF", data_latency);
    co_return false;
  }
  std::optional<std::string> refused;
  if (too_big) {
    refused = "552 5.3.4 Message size exceeds fixed maximum message size";
  } else if (too_long) {
    refused = "500 5.5.2 Line too long";
  }
  for (auto it = recipients_.begin(); !refused && it != recipients_.end(); ++it) {
    refused = rejection(*it, RejectStage::kData);
  }
  if (refused) {
    count(&SmtpStats::rejected_messages);
    reset_transaction();
    co_return co_await reply(std::move(*refused), data_latency);
  }

  std::string queue_id;
  {
    std::lock_guard lock(server_.mutex);
    queue_id = fmt::format("{:010X}", ++server_.queued);
  }
  store(std::move(data), queue_id);
  reset_transaction();
  if (faults_.drop == DropPoint::kAfterData) {
    count(&SmtpStats::dropped_sessions);
    journal("");
    co_return false;
  }
  co_return co_await reply(fmt::format("250 2.0.0 Ok: queued as {}", queue_id), data_latency);
}

void Session::store(std::string data, std::string const& queue_id) {
  auto parsed = parse_message(data);
  auto header = [&parsed](std::string_view name) {
    return decode_header_text(find_header(parsed, name).value_or(""));
  };
  auto body = decode_body(parsed);
  SmtpMessage message{
      .queue_id = queue_id,
      .mail_from = *mail_from_,
      .recipients = recipients_,
      .raw = std::move(data),
      .subject = header("Subject"),
      .from = header("From"),
      .to = header("To"),
      .message_id = find_header(parsed, "Message-ID").value_or(""),
      .body = std::move(body),
      .raw_body = std::move(parsed.body),
      .helo = helo_,
      .auth_user = auth_user_.value_or(""),
      .session = number_,
      .received_at = server_.clock.now(),
  };
  message.headers = std::move(parsed.headers);
  logger().debug("accepted queue_id={} from={} recipients={} size={}", queue_id,
                 log::mask_email(message.mail_from), message.recipients.size(), message.raw.size());

  {
    std::lock_guard lock(server_.mutex);
    if (auto const it = server_.sessions.find(number_); it != server_.sessions.end()) {
      it->second.queue_ids.push_back(queue_id);
    }
    server_.messages.push_back(std::move(message));
    ++server_.stats.messages;
  }
  server_.changed.notify_all();
}

awaitable<void> run_session(std::shared_ptr<Session> session) {
  co_await session->run();
}

/// Numbers a new connection, deals it the faults due and opens its journal entry.
std::pair<std::uint64_t, SessionFaults> open_session(ServerState& server) {
  SessionFaults faults;
  std::lock_guard lock(server.mutex);
  auto const number = ++server.sessions_started;
  ++server.stats.sessions;
  if (server.temporary_sessions > 0) {
    --server.temporary_sessions;
    faults.temporary_code = server.temporary_code;
  }
  if (server.drop_sessions > 0) {
    --server.drop_sessions;
    faults.drop = server.drop_point;
  }

  SmtpSession session{.number = number, .opened_at = server.clock.now()};
  if (faults.drop) {
    session.fault = drop_point_name(*faults.drop);
  } else if (faults.temporary_code) {
    session.fault = std::to_string(*faults.temporary_code);
  }
  server.sessions.emplace(number, std::move(session));
  while (server.sessions.size() > kMaxJournaledSessions) {
    server.sessions.erase(server.sessions.begin());
  }
  return {number, faults};
}

awaitable<void> accept_loop(ServerState& server) {
  for (;;) {
    error_code ec;
    auto socket = co_await server.acceptor.async_accept(asio::redirect_error(kUseAwaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !server.acceptor.is_open()) {
        co_return;
      }
      logger().warn("accept failed: {}", ec.message());
      continue;
    }

    auto const opened = open_session(server);
    auto const number = opened.first;
    auto session = std::make_shared<Session>(server, std::move(socket), number, opened.second);
    server.live.emplace(number, session);
    asio::co_spawn(server.io, run_session(session), [&server, number](std::exception_ptr e) {
      server.live.erase(number);
      {
        std::lock_guard lock(server.mutex);
        if (auto const it = server.sessions.find(number); it != server.sessions.end()) {
          it->second.closed_at = server.clock.now();
        }
      }
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (std::exception const& error) {
          logger().error("session {} failed: {}", number, error.what());
        }
      }
    });
  }
}

}  // namespace

struct FakeSmtp::Impl : ServerState {
  using ServerState::ServerState;

  std::unique_ptr<http::HttpServer> admin;
};

FakeSmtp::FakeSmtp(FakeSmtpConfig config, clock::Clock& clock, clock::WorkTracker* tracker)
    : impl_(std::make_unique<Impl>(std::move(config), clock, tracker)) {
  impl_->reply_latency = impl_->config.reply_latency;
  impl_->data_latency = impl_->config.data_latency;
  for (auto const& rule : impl_->config.reject_rules) {
    impl_->rules.push_back(compile_rule(rule));
  }
}

FakeSmtp::~FakeSmtp() {
  stop();
}

Status FakeSmtp::start() {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    if (s.started) {
      return make_error(Errc::kFailedPrecondition, "fake smtp: already started");
    }
    s.started = true;
  }

  error_code ec;
  auto const address = asio::ip::make_address(s.config.bind_address, ec);
  if (ec) {
    return make_error(Errc::kInvalidArgument, fmt::format("fake smtp: bind_address '{}': {}",
                                                          s.config.bind_address, ec.message()));
  }
  tcp::endpoint const endpoint(address, s.config.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    s.acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return make_error(Errc::kUnavailable,
                      fmt::format("fake smtp: cannot listen on {}:{}: {}", s.config.bind_address,
                                  s.config.port, ec.message()));
  }

  {
    std::lock_guard lock(s.mutex);
    s.port = s.acceptor.local_endpoint().port();
  }
  asio::co_spawn(s.io, accept_loop(s), [](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (std::exception const& error) {
        logger().error("accept loop failed: {}", error.what());
      }
    }
  });
  s.thread = std::thread([&s] {
    name_this_thread("fake.smtp");
    s.io.run();
  });
  logger().info("listening on {}", url());

  if (s.config.admin_api) {
    s.admin = std::make_unique<http::HttpServer>(s.clock,
                                                 http::ServerOptions{
                                                     .bind_address = s.config.bind_address,
                                                     .port = s.config.admin_port,
                                                     .log_name = "fake.smtp.admin",
                                                 },
                                                 s.tracker);
    install_admin_routes(*this, *s.admin);
    if (auto started = s.admin->start(); !started) {
      stop();
      return make_error(started.error().code,
                        fmt::format("fake smtp: admin API: {}", started.error().message));
    }
    logger().info("admin API on {}", admin_url());
  }
  return ok_status();
}

void FakeSmtp::stop() {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.gate->mutex);
    s.gate->closed = true;
  }
  {
    std::lock_guard lock(s.mutex);
    if (s.stopped) {
      return;
    }
    s.stopped = true;
  }

  // Closing the listener and every socket lets each coroutine finish, after which
  // io_context::run() runs out of work and returns.
  asio::post(s.io, [&s] {
    error_code ignored;
    s.acceptor.close(ignored);
    for (auto& [number, weak] : s.live) {
      if (auto session = weak.lock()) {
        session->close();
      }
    }
  });
  if (s.thread.joinable()) {
    s.thread.join();
  }
  if (s.admin) {
    s.admin->stop();
  }
  s.changed.notify_all();
}

void FakeSmtp::wait_until_stopped() {
  auto& s = *impl_;
  std::unique_lock lock(s.mutex);
  s.changed.wait(lock, [&s] { return s.stopped; });
}

std::uint16_t FakeSmtp::port() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->port;
}

std::string FakeSmtp::url() const {
  return fmt::format("smtp://{}:{}", impl_->config.bind_address, port());
}

std::uint16_t FakeSmtp::admin_port() const {
  return impl_->admin ? impl_->admin->port() : 0;
}

std::string FakeSmtp::admin_url() const {
  return impl_->admin ? impl_->admin->base_url() : "";
}

FakeSmtpConfig const& FakeSmtp::config() const {
  return impl_->config;
}

std::vector<SmtpMessage> FakeSmtp::messages() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->messages;
}

std::optional<SmtpMessage> FakeSmtp::find_message(std::string const& queue_id) const {
  std::lock_guard lock(impl_->mutex);
  for (auto const& message : impl_->messages) {
    if (message.queue_id == queue_id) {
      return message;
    }
  }
  return std::nullopt;
}

bool FakeSmtp::wait_for_messages(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout,
                                 [this, count] { return impl_->messages.size() >= count; });
}

SmtpStats FakeSmtp::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

std::vector<SmtpSession> FakeSmtp::sessions() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<SmtpSession> out;
  out.reserve(impl_->sessions.size());
  for (auto const& [number, session] : impl_->sessions) {
    out.push_back(session);
  }
  return out;
}

void FakeSmtp::clear() {
  std::lock_guard lock(impl_->mutex);
  impl_->messages.clear();
  impl_->sessions.clear();
  impl_->stats = {};
}

void FakeSmtp::add_reject_rule(SmtpRejectRule rule) {
  auto compiled = compile_rule(std::move(rule));
  std::lock_guard lock(impl_->mutex);
  impl_->rules.push_back(std::move(compiled));
}

void FakeSmtp::clear_reject_rules() {
  std::lock_guard lock(impl_->mutex);
  impl_->rules.clear();
}

void FakeSmtp::fail_next_sessions(int sessions, int code) {
  CANDOR_CHECK(code == 421 || code == 451, "the fake knows how to fail with 421 or 451 only");
  std::lock_guard lock(impl_->mutex);
  impl_->temporary_sessions = sessions;
  impl_->temporary_code = code;
}

void FakeSmtp::drop_next_sessions(int sessions, DropPoint point) {
  std::lock_guard lock(impl_->mutex);
  impl_->drop_sessions = sessions;
  impl_->drop_point = point;
}

void FakeSmtp::set_latency(clock::Duration reply_latency, clock::Duration data_latency) {
  std::lock_guard lock(impl_->mutex);
  impl_->reply_latency = reply_latency;
  impl_->data_latency = data_latency;
}

void FakeSmtp::clear_faults() {
  std::lock_guard lock(impl_->mutex);
  impl_->temporary_sessions = 0;
  impl_->drop_sessions = 0;
  impl_->reply_latency = clock::Duration::zero();
  impl_->data_latency = clock::Duration::zero();
}

}  // namespace candor::fakes::smtp
