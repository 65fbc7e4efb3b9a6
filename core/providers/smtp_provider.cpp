#include "core/providers/smtp_provider.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/common/log.hpp"

namespace candor::providers {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

/// Longest reply line accepted (RFC 5321 allows 512 octets; servers go beyond).
constexpr std::size_t kMaxReplyLine = 4096;
/// Lines in one multi-line reply before the server is considered broken.
constexpr std::size_t kMaxReplyLines = 200;
/// Bytes of raw input per RFC 2047 word: 45 bytes make 60 base64 characters,
/// which with "=?UTF-8?B?" and "?=" stay within the 75-character word limit.
constexpr std::size_t kEncodedWordBytes = 45;
/// Longest header text sent as it is: with any header name we write it stays far
/// below RFC 5322's 998-octet line limit. Longer text becomes folded encoded-words.
constexpr std::size_t kMaxPlainHeaderText = 900;
/// Characters of a quoted-printable line before its soft break "=" (RFC 2045 6.7
/// rule 5: at most 76 with the "=").
constexpr std::size_t kQuotedPrintableLine = 75;

spdlog::logger& logger() {
  static auto& log = log::get("provider.smtp");
  return log;
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  auto const written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                       reinterpret_cast<unsigned char const*>(data.data()),
                                       static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

/// A mailbox we are willing to put between angle brackets: local@domain with no
/// spaces, controls or brackets, so that it cannot break the command line.
bool valid_address(std::string_view address) {
  auto const at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return false;
  }
  return std::none_of(address.begin(), address.end(), [](char c) {
    auto const byte = static_cast<unsigned char>(c);
    return byte <= ' ' || byte == 0x7f || c == '<' || c == '>';
  });
}

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    auto const byte = static_cast<unsigned char>(c);
    return byte >= ' ' && byte < 0x7f;
  });
}

std::string single_line(std::string_view text) {
  std::string out(text);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

std::string display_name(std::string_view name) {
  if (!printable_ascii(name)) {
    return encode_header_text(name);
  }
  if (name.find_first_of("()<>[]:;@\\,.\"") == std::string_view::npos) {
    return std::string(name);
  }
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') {
      quoted.push_back('\\');
    }
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

/// Body lines with CRLF endings whatever the input used; ends with CRLF.
std::string crlf_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char const c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) {
    out += "\r\n";
  }
  return out;
}

/// One SMTP reply: the code and the text of every line.
struct Reply {
  int code = 0;
  std::vector<std::string> lines;

  int kind() const { return code / 100; }
  std::string text() const {
    std::string joined;
    for (auto const& line : lines) {
      joined += joined.empty() ? line : " " + line;
    }
    return joined;
  }
};

/// "queued as 4BqZ1x2Y" in the final reply (Postfix, Exim, most relays).
std::optional<std::string> queue_id(Reply const& reply) {
  auto text = reply.text();
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  constexpr std::string_view kMarker = "queued as ";
  auto const at = lower.find(kMarker);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  auto id = text.substr(at + kMarker.size());
  id = id.substr(0, id.find_first_of(" \t;,)"));
  while (!id.empty() && (id.back() == '.' || id.back() == '>')) {
    id.pop_back();
  }
  if (!id.empty() && id.front() == '<') {
    id.erase(0, 1);
  }
  if (id.empty()) {
    return std::nullopt;
  }
  return id;
}

SendOutcome refused_by(Reply const& reply, std::string_view stage) {
  SendOutcome outcome;
  outcome.kind = reply.kind() == 5 ? OutcomeKind::kRejected : OutcomeKind::kTransient;
  outcome.raw_status = std::to_string(reply.code);
  outcome.error_code = std::to_string(reply.code);
  outcome.error_message = fmt::format("{}: {}", stage, reply.text());
  return outcome;
}

SendOutcome transient(std::string code, std::string message) {
  SendOutcome outcome;
  outcome.kind = OutcomeKind::kTransient;
  outcome.error_code = std::move(code);
  outcome.error_message = std::move(message);
  return outcome;
}

/// One SMTP session on one connection. Lives in a shared_ptr so that the
/// watchdog timer's handler can tell whether the session still exists.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(SmtpConfig const& config, asio::any_io_executor executor)
      : config_(config), resolver_(executor), socket_(executor), timer_(executor) {}

  asio::awaitable<SendOutcome> run(std::string recipient, std::string payload,
                                   std::string message_id) {
    auto outcome = co_await dialogue(recipient, payload, message_id);

    // A polite QUIT whenever the connection still works; its answer changes nothing.
    if (socket_.is_open()) {
      bool const quit_written = co_await write("QUIT\r\n");
      if (quit_written) {
        co_await read_reply();
      }
    }
    timer_.cancel();
    error_code ignored;
    socket_.close(ignored);
    co_return outcome;
  }

 private:
  asio::awaitable<SendOutcome> dialogue(std::string const& recipient, std::string const& payload,
                                        std::string const& message_id) {
    bool const connected = co_await connect();
    if (!connected) {
      co_return transient(failure_, fmt::format("connect to {}:{}: {}", config_.host, config_.port,
                                                failure_message_));
    }

    auto reply = co_await read_reply();
    if (!reply) {
      co_return lost("greeting");
    }
    if (reply->code != 220) {
      co_return refused_by(*reply, "greeting");
    }

    // EHLO first; a server that refuses it permanently may still speak HELO.
    auto const ehlo = fmt::format("EHLO {}\r\n", config_.helo_name);
    reply = co_await command(ehlo);
    if (!reply) {
      co_return lost("EHLO");
    }
    std::vector<std::string> extensions;
    if (reply->kind() == 5) {
      auto const helo = fmt::format("HELO {}\r\n", config_.helo_name);
      reply = co_await command(helo);
      if (!reply) {
        co_return lost("HELO");
      }
      if (reply->code != 250) {
        co_return refused_by(*reply, "HELO");
      }
    } else if (reply->code != 250) {
      co_return refused_by(*reply, "EHLO");
    } else {
      extensions = upper_keywords(*reply);
    }

    // Limitation: STARTTLS is never used, even when offered — the relay is
    // expected on a trusted network or loopback; a TLS relay needs a local proxy.
    if (!config_.username.empty()) {
      auto authed = co_await authenticate(extensions);
      if (authed) {
        co_return *authed;
      }
    }

    // The message is 7-bit (quoted-printable body, encoded-word headers), so no BODY=
    // parameter is needed and any relay, 8BITMIME or not, takes it as it is.
    auto const mail = fmt::format("MAIL FROM:<{}>\r\n", config_.from_address);
    reply = co_await command(mail);
    if (!reply) {
      co_return lost("MAIL FROM");
    }
    if (reply->code != 250) {
      co_return refused_by(*reply, "MAIL FROM");
    }

    auto const rcpt = fmt::format("RCPT TO:<{}>\r\n", recipient);
    reply = co_await command(rcpt);
    if (!reply) {
      co_return lost("RCPT TO");
    }
    if (reply->code != 250 && reply->code != 251) {
      co_return refused_by(*reply, "RCPT TO");
    }

    std::string const data = "DATA\r\n";
    reply = co_await command(data);
    if (!reply) {
      co_return lost("DATA");
    }
    if (reply->code != 354) {
      co_return refused_by(*reply, "DATA");
    }

    // A connection lost after the data was written is ambiguous: the relay may
    // have queued the message. It is reported transient, so a retry can send
    // it twice; SMTP offers nothing better.
    bool const written = co_await write(payload);
    if (!written) {
      co_return lost("message data");
    }
    reply = co_await read_reply();
    if (!reply) {
      co_return lost("end of data");
    }
    if (reply->code != 250) {
      co_return refused_by(*reply, "end of data");
    }

    SendOutcome accepted;
    accepted.kind = OutcomeKind::kAccepted;
    accepted.raw_status = "250";
    accepted.provider_message_id = queue_id(*reply).value_or(message_id);
    co_return accepted;
  }

  /// nullopt when authenticated, else the outcome that ends the session.
  asio::awaitable<std::optional<SendOutcome>> authenticate(
      std::vector<std::string> const& extensions) {
    auto method = config_.auth_method;
    if (method == SmtpAuthMethod::kAuto) {
      method = has_auth_mechanism(extensions, "PLAIN") || !has_auth_mechanism(extensions, "LOGIN")
                   ? SmtpAuthMethod::kPlain
                   : SmtpAuthMethod::kLogin;
    }

    std::optional<Reply> reply;
    if (method == SmtpAuthMethod::kPlain) {
      auto const token = base64(std::string(1, '\0') + config_.username + '\0' + config_.password);
      auto const line = fmt::format("AUTH PLAIN {}\r\n", token);
      reply = co_await command(line);
    } else {
      std::string const start = "AUTH LOGIN\r\n";
      std::string const user = base64(config_.username) + "\r\n";
      std::string const password = base64(config_.password) + "\r\n";
      reply = co_await command(start);
      if (reply && reply->code == 334) {
        reply = co_await command(user);
      }
      if (reply && reply->code == 334) {
        reply = co_await command(password);
      }
    }
    if (!reply) {
      co_return lost("AUTH");
    }
    if (reply->code != 235) {
      co_return refused_by(*reply, "AUTH");
    }
    co_return std::nullopt;
  }

  static std::vector<std::string> upper_keywords(Reply const& reply) {
    std::vector<std::string> keywords;
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
      std::string line = reply.lines[i];
      std::transform(line.begin(), line.end(), line.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      keywords.push_back(std::move(line));
    }
    return keywords;
  }

  static bool has_auth_mechanism(std::vector<std::string> const& extensions,
                                 std::string_view mechanism) {
    return std::any_of(extensions.begin(), extensions.end(), [mechanism](std::string const& line) {
      if (line.rfind("AUTH", 0) != 0 || line.size() < 5 || (line[4] != ' ' && line[4] != '=')) {
        return false;
      }
      return fmt::format(" {} ", line.substr(5)).find(fmt::format(" {} ", mechanism)) !=
             std::string::npos;
    });
  }

  SendOutcome lost(std::string_view stage) const {
    return transient(failure_, fmt::format("{}: {}", stage, failure_message_));
  }

  /// Closes the socket when `limit` passes before disarm(); the pending
  /// operation then fails and the failure is recorded as a timeout.
  void arm(std::chrono::milliseconds limit) {
    timed_out_ = false;
    timer_.expires_after(limit);
    timer_.async_wait([weak = weak_from_this()](error_code ec) {
      auto self = weak.lock();
      if (ec || !self) {
        return;
      }
      self->timed_out_ = true;
      error_code ignored;
      self->socket_.close(ignored);
      self->resolver_.cancel();
    });
  }

  void record(error_code ec) {
    if (timed_out_) {
      failure_ = "timeout";
      failure_message_ = "no answer in time";
    } else if (ec == asio::error::eof || ec == asio::error::connection_reset) {
      failure_ = "connection_closed";
      failure_message_ = "the server closed the connection";
    } else {
      failure_ = "io_error";
      failure_message_ = ec.message();
    }
    error_code ignored;
    socket_.close(ignored);
  }

  asio::awaitable<bool> connect() {
    arm(config_.connect_timeout);
    error_code ec;
    auto const endpoints = co_await resolver_.async_resolve(
        config_.host, std::to_string(config_.port), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      co_await asio::async_connect(socket_, endpoints,
                                   asio::redirect_error(asio::use_awaitable, ec));
    }
    timer_.cancel();
    if (ec || timed_out_) {
      record(ec);
      if (failure_ != "timeout") {
        failure_ = "connect";
      }
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<bool> write(std::string_view data) {
    arm(config_.command_timeout);
    error_code ec;
    co_await asio::async_write(socket_, asio::buffer(data.data(), data.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    timer_.cancel();
    if (ec || timed_out_) {
      record(ec);
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<std::optional<Reply>> read_reply() {
    Reply reply;
    arm(config_.command_timeout);
    for (;;) {
      error_code ec;
      auto const size =
          co_await asio::async_read_until(socket_, asio::dynamic_buffer(buffer_, kMaxReplyLine),
                                          "\r\n", asio::redirect_error(asio::use_awaitable, ec));
      if (ec || timed_out_) {
        timer_.cancel();
        record(ec);
        co_return std::nullopt;
      }
      std::string line = buffer_.substr(0, size - 2);
      buffer_.erase(0, size);

      bool const well_formed = line.size() >= 3 &&
                               std::isdigit(static_cast<unsigned char>(line[0])) &&
                               std::isdigit(static_cast<unsigned char>(line[1])) &&
                               std::isdigit(static_cast<unsigned char>(line[2])) &&
                               (line.size() == 3 || line[3] == ' ' || line[3] == '-');
      int const code = well_formed ? std::stoi(line.substr(0, 3)) : 0;
      if (!well_formed || (reply.code != 0 && code != reply.code) ||
          reply.lines.size() >= kMaxReplyLines) {
        timer_.cancel();
        failure_ = "protocol_error";
        failure_message_ = fmt::format("malformed reply line '{}'", line.substr(0, 80));
        error_code ignored;
        socket_.close(ignored);
        co_return std::nullopt;
      }

      reply.code = code;
      reply.lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
      if (line.size() == 3 || line[3] == ' ') {
        timer_.cancel();
        co_return reply;
      }
    }
  }

  /// `line` must stay alive until the returned awaitable completes.
  asio::awaitable<std::optional<Reply>> command(std::string const& line) {
    bool const written = co_await write(line);
    if (!written) {
      co_return std::nullopt;
    }
    auto reply = co_await read_reply();
    co_return reply;
  }

  SmtpConfig const& config_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string buffer_;
  bool timed_out_ = false;
  std::string failure_ = "io_error";
  std::string failure_message_;
};

struct Pending {
  OutboundMessage message;
  SendCallback done;
  clock::WorkTracker::Scope scope;
  clock::TimePoint started;
};

}  // namespace

struct SmtpProvider::Shared : std::enable_shared_from_this<SmtpProvider::Shared> {
  Shared(SmtpConfig c, asio::io_context& i, clock::Clock& k)
      : config(std::move(c)), io(i), clock(k) {}

  void enqueue(Pending pending) {
    {
      std::lock_guard lock(mutex);
      if (active >= config.max_sessions) {
        waiting.push_back(std::move(pending));
        return;
      }
      ++active;
    }
    start(std::move(pending));
  }

  void start(Pending pending) {
    auto strand = asio::make_strand(io);
    auto session = std::make_shared<Session>(config, strand);
    auto payload = dot_stuff(format_smtp_message(config, pending.message, clock.now()));
    auto message_id = smtp_message_id(config, pending.message);
    message_id = message_id.substr(1, message_id.size() - 2);
    auto recipient = pending.message.to;

    asio::co_spawn(strand,
                   session->run(std::move(recipient), std::move(payload), std::move(message_id)),
                   [self = shared_from_this(), session, pending = std::move(pending)](
                       std::exception_ptr error, SendOutcome outcome) mutable {
                     if (error) {
                       outcome = transient("internal", "the SMTP session failed unexpectedly");
                       try {
                         std::rethrow_exception(error);
                       } catch (std::exception const& e) {
                         logger().error("smtp session ended by an exception: {}", e.what());
                       } catch (...) {
                         logger().error("smtp session ended by an unknown exception");
                       }
                     }
                     self->finish(std::move(pending), std::move(outcome));
                   });
  }

  void finish(Pending pending, SendOutcome outcome) {
    std::optional<Pending> next;
    {
      std::lock_guard lock(mutex);
      if (waiting.empty()) {
        --active;
      } else {
        next.emplace(std::move(waiting.front()));
        waiting.pop_front();
      }
    }
    if (next) {
      start(std::move(*next));
    }

    logger().debug(
        "provider={} message_id={} attempt={} http_status=0 duration_ms={} outcome={} code={} "
        "to={}",
        config.name, pending.message.message_id, pending.message.attempt,
        clock::to_unix_ms(clock.now()) - clock::to_unix_ms(pending.started),
        to_string(outcome.kind), outcome.error_code, log::mask_email(pending.message.to));
    pending.done(std::move(outcome));
    pending.scope.release();
  }

  SmtpConfig config;
  asio::io_context& io;
  clock::Clock& clock;
  std::mutex mutex;
  int active = 0;
  std::deque<Pending> waiting;
};

Status SmtpConfig::validate() const {
  auto invalid = [](std::string message) {
    return make_error(Errc::kInvalidArgument, std::move(message));
  };
  if (name.empty()) {
    return invalid("smtp.name must not be empty");
  }
  if (host.empty() || has_line_break(host)) {
    return invalid("smtp.host must be a host name or address");
  }
  if (port == 0) {
    return invalid("smtp.port must not be 0");
  }
  if (helo_name.empty() || !printable_ascii(helo_name) ||
      helo_name.find(' ') != std::string::npos) {
    return invalid("smtp.helo_name must be one printable word");
  }
  if (!valid_address(from_address)) {
    return invalid(fmt::format("smtp.from_address '{}' is not an e-mail address", from_address));
  }
  if (has_line_break(from_display_name)) {
    return invalid("smtp.from_display_name must not contain line breaks");
  }
  if (has_line_break(username) || has_line_break(password)) {
    return invalid("smtp.username and smtp.password must not contain line breaks");
  }
  if (!username.empty() && password.empty()) {
    return invalid("smtp.password is empty while smtp.username is set");
  }
  if (connect_timeout.count() <= 0 || command_timeout.count() <= 0) {
    return invalid("smtp.connect_timeout and smtp.command_timeout must be positive");
  }
  if (max_sessions < 1) {
    return invalid("smtp.max_sessions must be at least 1");
  }
  return ok_status();
}

Result<std::unique_ptr<SmtpProvider>> SmtpProvider::create(SmtpConfig config,
                                                           boost::asio::io_context& io,
                                                           clock::Clock& clock) {
  CANDOR_RETURN_IF_ERROR(config.validate());
  auto shared = std::make_shared<Shared>(std::move(config), io, clock);
  return std::unique_ptr<SmtpProvider>(new SmtpProvider(std::move(shared)));
}

SmtpProvider::SmtpProvider(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

// Sessions in flight keep the shared state alive until their callbacks ran.
SmtpProvider::~SmtpProvider() = default;

std::string const& SmtpProvider::name() const {
  return shared_->config.name;
}

void SmtpProvider::send(OutboundMessage message, SendCallback done) {
  if (!valid_address(message.to)) {
    SendOutcome outcome;
    outcome.kind = OutcomeKind::kRejected;
    outcome.error_code = "invalid_address";
    outcome.error_message = "recipient is not an e-mail address";
    done(std::move(outcome));
    return;
  }

  Pending pending{.message = std::move(message),
                  .done = std::move(done),
                  .scope = clock::WorkTracker::Scope(shared_->config.tracker),
                  .started = shared_->clock.now()};
  shared_->enqueue(std::move(pending));
}

std::string smtp_message_id(SmtpConfig const& config, OutboundMessage const& message) {
  auto const at = config.from_address.rfind('@');
  auto const domain =
      at == std::string::npos ? config.helo_name : config.from_address.substr(at + 1);
  return fmt::format("<candor.{}.{}@{}>", message.message_id, message.attempt, domain);
}

std::string format_smtp_message(SmtpConfig const& config, OutboundMessage const& message,
                                clock::TimePoint now) {
  std::string out;
  if (config.from_display_name.empty()) {
    out += fmt::format("From: <{}>\r\n", config.from_address);
  } else {
    out += fmt::format("From: {} <{}>\r\n", display_name(config.from_display_name),
                       config.from_address);
  }
  out += fmt::format("To: <{}>\r\n", message.to);
  out += fmt::format("Subject: {}\r\n", encode_header_text(single_line(message.subject)));
  out += fmt::format("Date: {}\r\n", rfc5322_date(now));
  out += fmt::format("Message-ID: {}\r\n", smtp_message_id(config, message));
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  // Quoted-printable keeps every line within 76 characters whatever the paragraph
  // length (RFC 5321 caps a line at 998 octets) and carries UTF-8 in 7 bits.
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "\r\n";
  out += encode_quoted_printable(crlf_lines(message.body));
  return out;
}

std::string encode_quoted_printable(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8 + 8);
  while (!text.empty()) {
    auto const end = text.find("\r\n");
    auto const line = text.substr(0, end);
    bool const has_break = end != std::string_view::npos;
    text.remove_prefix(has_break ? end + 2 : text.size());

    std::size_t length = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      auto const byte = static_cast<unsigned char>(line[i]);
      bool const blank = byte == ' ' || byte == '\t';
      // Rules 1-3: printable ASCII but '=' as is; blanks as is unless they end the
      // line, where a relay could strip them; everything else as =XX.
      bool const literal =
          (byte >= 33 && byte <= 126 && byte != '=') || (blank && i + 1 < line.size());
      std::string token;
      if (literal) {
        token.push_back(static_cast<char>(byte));
      } else {
        token = {'=', kHex[byte >> 4], kHex[byte & 0x0F]};
      }
      if (length + token.size() > kQuotedPrintableLine) {
        out += "=\r\n";
        length = 0;
      }
      out += token;
      length += token.size();
    }
    if (has_break) {
      out += "\r\n";
    }
  }
  return out;
}

std::string dot_stuff(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool line_start = true;
  for (char c : text) {
    if (line_start && c == '.') {
      out.push_back('.');
    }
    out.push_back(c);
    line_start = c == '\n';
  }
  if (!line_start) {
    out += "\r\n";
  }
  out += ".\r\n";
  return out;
}

std::string encode_header_text(std::string_view text) {
  // Plain text that a reader could take for an encoded-word is encoded too.
  if (printable_ascii(text) && text.size() <= kMaxPlainHeaderText &&
      text.find("=?") == std::string_view::npos) {
    return std::string(text);
  }

  std::string out;
  while (!text.empty()) {
    auto size = std::min(text.size(), kEncodedWordBytes);
    // Back off to the start of a UTF-8 sequence so no word splits a character.
    while (size < text.size() && size > 0 &&
           (static_cast<unsigned char>(text[size]) & 0xC0) == 0x80) {
      --size;
    }
    if (size == 0) {
      size = std::min(text.size(), kEncodedWordBytes);
    }
    out +=
        fmt::format("{}=?UTF-8?B?{}?=", out.empty() ? "" : "\r\n ", base64(text.substr(0, size)));
    text.remove_prefix(size);
  }
  return out;
}

std::string rfc5322_date(clock::TimePoint when) {
  static constexpr std::array<char const*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
  static constexpr std::array<char const*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto const day = std::chrono::floor<std::chrono::days>(when);
  std::chrono::year_month_day const date{day};
  std::chrono::weekday const weekday{day};
  std::chrono::hh_mm_ss const time{std::chrono::floor<std::chrono::seconds>(when - day)};
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", kDays[weekday.c_encoding()],
                     static_cast<unsigned>(date.day()),
                     kMonths[static_cast<unsigned>(date.month()) - 1],
                     static_cast<int>(date.year()), time.hours().count(), time.minutes().count(),
                     time.seconds().count());
}

}  // namespace candor::providers
