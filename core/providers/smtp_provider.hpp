#pragma once

// SmtpProvider: e-mail through an SMTP relay.
//
// One session per message: greeting, EHLO (HELO when EHLO is refused), AUTH
// when credentials are configured, MAIL FROM, RCPT TO, DATA with RFC 5322
// headers and a quoted-printable UTF-8 body, QUIT. 250 after the data means
// accepted; a 5xx reply at any stage is a permanent refusal; 4xx replies,
// connection errors and timeouts are transient. SMTP has no delivery callbacks,
// so an accepted message stays Sent.
//
//   auto smtp = SmtpProvider::create({.host = "relay.example.com", .port = 587,
//                                     .from_address = "jobs@example.com"}, io, clock);

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "core/clock/clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/common/result.hpp"
#include "core/providers/provider.hpp"

namespace candor::providers {

/// How to authenticate when a user name is configured.
enum class SmtpAuthMethod : std::uint8_t {
  kAuto,   ///< PLAIN when the server lists it after EHLO, else LOGIN
  kPlain,  ///< AUTH PLAIN with the initial response
  kLogin,  ///< AUTH LOGIN, user and password in two steps
};

struct SmtpConfig {
  /// The configured provider name, stored on messages.
  std::string name = "smtp";
  std::string host = "127.0.0.1";
  std::uint16_t port = 25;
  /// The name we give in EHLO/HELO.
  std::string helo_name = "localhost";
  /// Envelope sender and From address, e.g. "jobs@example.com". Required.
  std::string from_address;
  /// Shown in From; may be non-ASCII (RFC 2047 encoded). Empty = address only.
  std::string from_display_name;
  /// AUTH is used only when a user name is set.
  std::string username;
  /// Secret: never logged.
  std::string password;
  SmtpAuthMethod auth_method = SmtpAuthMethod::kAuto;
  /// Real time allowed for resolving and connecting.
  std::chrono::milliseconds connect_timeout{10000};
  /// Real time allowed for each reply, and for writing each command or the data.
  std::chrono::milliseconds command_timeout{30000};
  /// Sessions open at once; further sends wait in arrival order. At least 1.
  int max_sessions = 4;
  /// Each send is reported here until its callback ran; nullptr = none.
  clock::WorkTracker* tracker = nullptr;

  /// Checks every field; the error names the field ("smtp.from_address ...").
  Status validate() const;
};

/// The SMTP provider. Thread-safe; see Provider.
class SmtpProvider final : public Provider {
 public:
  /// Validates `config` and builds the provider; `io` must be run by the caller.
  /// `io` and `clock` must outlive the provider and every pending send.
  static Result<std::unique_ptr<SmtpProvider>> create(SmtpConfig config,
                                                      boost::asio::io_context& io,
                                                      clock::Clock& clock);
  ~SmtpProvider() override;

  // Provider
  std::string const& name() const override;
  domain::ProviderKind kind() const override { return domain::ProviderKind::kSmtp; }
  domain::Channel channel() const override { return domain::Channel::kEmail; }
  bool has_delivery_callbacks() const override { return false; }
  void send(OutboundMessage message, SendCallback done) override;

  struct Shared;

 private:
  explicit SmtpProvider(std::shared_ptr<Shared> shared);

  std::shared_ptr<Shared> shared_;
};

/// "<candor.42.1@example.com>": our message id and attempt at the sender's domain.
std::string smtp_message_id(SmtpConfig const& config, OutboundMessage const& message);

/// The message as sent after DATA, before dot-stuffing: RFC 5322 headers (From,
/// To, Subject, Date, Message-ID, MIME-Version, Content-Type text/plain utf-8,
/// Content-Transfer-Encoding quoted-printable), a blank line and the body encoded
/// quoted-printable, every line ending in CRLF and none longer than 76 characters
/// in the body. The whole message is 7-bit.
std::string format_smtp_message(SmtpConfig const& config, OutboundMessage const& message,
                                clock::TimePoint now);

/// RFC 2045 6.7 quoted-printable of `text`, whose lines end in CRLF (a last line
/// without one is encoded without one). Line breaks stay CRLF; printable ASCII but
/// '=' stays as it is; '=', controls, octets above 126 and blanks at the end of a
/// line become "=XX"; lines longer than 76 characters get soft breaks ("=" CRLF).
std::string encode_quoted_printable(std::string_view text);

/// Doubles a leading '.' on every line (RFC 5321 4.5.2) and appends the
/// terminating ".\r\n". `text` lines end in CRLF.
std::string dot_stuff(std::string_view text);

/// `text` as is when it is printable ASCII of at most 900 characters without
/// "=?", else RFC 2047 "=?UTF-8?B?...?=" words of at most 75 characters, folded
/// with CRLF SP, never splitting a UTF-8 sequence.
std::string encode_header_text(std::string_view text);

/// "Tue, 05 Aug 2025 12:00:00 +0000".
std::string rfc5322_date(clock::TimePoint when);

}  // namespace candor::providers
