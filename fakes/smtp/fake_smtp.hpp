#pragma once

// FakeSmtp: a real SMTP server on loopback that stands in for the mail relay.
//
// It speaks enough of RFC 5321 (with ESMTP SIZE, PIPELINING, 8BITMIME and AUTH
// PLAIN/LOGIN from RFC 4954) for a client to be tested against the wire protocol,
// stores every accepted message for the test to read, and can be told to reject
// recipients, fail sessions temporarily, drop connections and answer late. Lines must
// end in CRLF (RFC 5321 2.3.8): a command ending in a bare LF is answered 500, and a
// message with a bare LF in its data is refused with 554 and its connection closed,
// since the framing of what follows it cannot be trusted.
//
// A stored message keeps its raw text and is also presented decoded: the body from
// its Content-Transfer-Encoding (quoted-printable, base64) and the Subject, From and
// To from RFC 2047 encoded-words, so tests see the text that was sent.
//
//   clock::ManualClock clock(start, {.tracker = &tracker});
//   FakeSmtp smtp({.auth = SmtpCredentials{"app", "secret"}}, clock, &tracker);
//   CANDOR_CHECK(smtp.start().ok(), "loopback port 0 is always available");
//   ... client sends to smtp.port() ...
//   auto mails = smtp.messages();
//
// With `admin_api` set, an HTTP admin API on its own port (admin_url()) does what the
// C++ API does; JSON in and out, bad input answered 400 naming the field:
//   GET  /__admin/messages[?to=addr] | /__admin/messages/{queue_id}
//   GET  /__admin/sessions | /__admin/stats
//   POST /__admin/reject_rules   {"domain":"x.example","address_pattern":"bounce-.*@.*",
//                                 "stage":"rcpt|data","code":550,"text":"5.1.1 no"}
//   POST /__admin/reject_rules/clear
//   POST /__admin/faults         {"kind":"temporary","code":421|451,"sessions":3}
//                                {"kind":"drop","point":"on_connect|after_mail_from|
//                                 after_data","sessions":1}
//   POST /__admin/faults/clear   session faults and latency
//   POST /__admin/latency        {"reply_ms":0,"data_ms":2000}
//   POST /__admin/clear          stored messages, sessions and counters

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock/clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/common/result.hpp"

namespace candor::fakes::smtp {

/// Where a reject rule answers.
enum class RejectStage {
  kRcpt,  ///< at RCPT TO, for the matching recipient only (default code 550)
  kData,  ///< after the message data, for the whole message (default code 554)
};

/// Refuses recipients by domain and/or address pattern. A rule with both fields set
/// needs both to match; a rule with neither matches every recipient.
struct SmtpRejectRule {
  /// Recipient domain, compared case-insensitively ("blocked.example"); "" = any.
  std::string domain;
  /// ECMAScript regular expression matched in full against the lower-cased
  /// address ("bounce-.*@.*"); "" = any.
  std::string address_pattern;
  RejectStage stage = RejectStage::kRcpt;
  /// Reply code; 0 picks 550 at RCPT and 554 after DATA.
  int code = 0;
  /// Reply text after the code; "" picks a standard sentence.
  std::string text;
};

/// Where a dropped session loses its connection.
enum class DropPoint {
  kOnConnect,      ///< closed right after accept, before the greeting
  kAfterMailFrom,  ///< MAIL FROM is read, then the connection closes without a reply
  kAfterData,      ///< the message is stored, then the connection closes before the 250
};

/// The one user name and password AUTH accepts.
struct SmtpCredentials {
  std::string username;
  std::string password;
};

/// Most exchanges kept in one session's transcript.
inline constexpr std::size_t kMaxTranscript = 100;
/// Most sessions kept in the journal; the oldest are forgotten first.
inline constexpr std::size_t kMaxJournaledSessions = 10'000;
/// Most sessions one fault script of the admin API may cover.
inline constexpr int kMaxFaultSessions = 1'000'000;

/// Configuration of a FakeSmtp; every field has a usable default.
struct FakeSmtpConfig {
  /// Address to bind; loopback by default.
  std::string bind_address = "127.0.0.1";
  /// Port to bind; 0 picks a free one (read it back with port()).
  std::uint16_t port = 0;
  /// Name the server gives itself in the greeting and the EHLO reply.
  std::string hostname = "smtp.fake.candor.test";
  /// When set, EHLO advertises AUTH PLAIN LOGIN and MAIL needs a successful AUTH
  /// first (530 otherwise). When unset, AUTH is answered 502.
  std::optional<SmtpCredentials> auth;
  /// Longest line accepted, CRLF included, in octets (RFC 5321 text line: 1000).
  /// Longer command lines get 500; a longer data line fails the message with 500.
  std::size_t max_line_length = 1000;
  /// Largest message accepted, in octets after dot-unstuffing; advertised as SIZE.
  /// Larger ones get 552 (at MAIL when the client declares SIZE=, else after DATA).
  std::size_t max_message_size = 10 * 1024 * 1024;
  /// Most recipients per message; more get 452.
  std::size_t max_recipients = 100;
  /// Delay before every reply, measured on the injected clock; 0 = none.
  clock::Duration reply_latency{0};
  /// Extra delay before the final reply to DATA, on the injected clock; 0 = none.
  clock::Duration data_latency{0};
  /// Rules applied to every recipient, in order; the first match decides.
  std::vector<SmtpRejectRule> reject_rules;
  /// Whether start() also serves the HTTP admin API (on bind_address).
  bool admin_api = false;
  /// Port of the admin API; 0 picks a free one (read it back with admin_port()).
  std::uint16_t admin_port = 0;
};

/// One accepted message, as stored after the final 250.
struct SmtpMessage {
  /// Id returned in "250 2.0.0 Ok: queued as <id>".
  std::string queue_id;
  /// Envelope sender (MAIL FROM), "" for the null sender.
  std::string mail_from;
  /// Envelope recipients accepted by RCPT TO, in order.
  std::vector<std::string> recipients;
  /// The message after dot-unstuffing, every line ending in CRLF, without the
  /// terminating ".".
  std::string raw;
  /// Header fields of `raw`, in order, unfolded.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Header values ("" when absent), RFC 2047 encoded-words decoded.
  std::string subject;
  std::string from;
  std::string to;
  std::string message_id;
  /// Everything after the header section, decoded from its Content-Transfer-Encoding
  /// (quoted-printable, base64; others as sent). Lines end in CRLF.
  std::string body;
  /// Everything after the header section as it was transmitted.
  std::string raw_body;
  /// Name the client gave in HELO/EHLO.
  std::string helo;
  /// User that authenticated the session ("" without AUTH).
  std::string auth_user;
  /// Session number (1 for the first connection) and clock time of acceptance.
  std::uint64_t session = 0;
  clock::TimePoint received_at{};
};

/// One command of a session and the reply it got.
struct SmtpExchange {
  /// The command line as received; "" for the greeting, "<message data: N octets>"
  /// for the data, and "***" in place of AUTH credentials.
  std::string command;
  /// The reply, lines joined by CRLF; "" when the connection was dropped instead.
  std::string reply;
  clock::TimePoint at{};
};

/// One connection and what happened in it.
struct SmtpSession {
  /// 1 for the first connection since start.
  std::uint64_t number = 0;
  clock::TimePoint opened_at{};
  std::optional<clock::TimePoint> closed_at;
  /// The fault the session was dealt: "", "421", "451", "drop:on_connect",
  /// "drop:after_mail_from" or "drop:after_data".
  std::string fault;
  std::string helo;
  std::string auth_user;
  /// Queue ids of the messages stored in this session.
  std::vector<std::string> queue_ids;
  /// The first kMaxTranscript exchanges; `truncated` when there were more.
  std::vector<SmtpExchange> transcript;
  bool truncated = false;
};

/// Counters since start or the last clear().
struct SmtpStats {
  std::uint64_t sessions = 0;
  std::uint64_t messages = 0;
  std::uint64_t rejected_recipients = 0;
  std::uint64_t rejected_messages = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t temporary_failures = 0;
  std::uint64_t dropped_sessions = 0;
};

/// An SMTP server on its own thread. Construct, start(), talk to port(), stop()
/// (or destroy). Every public function is thread-safe; none may be called from a
/// clock timer callback while stop() runs on another thread.
///
/// Time: latencies are waited for on the injected clock. When its timer fires, the
/// fake opens a WorkTracker scope that lasts until the delayed reply is written, so a
/// ManualClock's advance() returns only after the reply is on the wire.
class FakeSmtp {
 public:
  /// `clock` and `tracker` (may be null) must outlive this object. Throws
  /// std::invalid_argument naming the pattern when a reject rule's regex is invalid.
  FakeSmtp(FakeSmtpConfig config, clock::Clock& clock, clock::WorkTracker* tracker = nullptr);
  ~FakeSmtp();
  FakeSmtp(FakeSmtp const&) = delete;
  FakeSmtp& operator=(FakeSmtp const&) = delete;

  /// Binds and starts serving. kUnavailable when the address cannot be bound,
  /// kFailedPrecondition when already started.
  Status start();

  /// Closes the listener and every session and joins the server thread. Idempotent.
  void stop();

  /// Blocks until stop() has been called (from another thread), for a command line
  /// that serves until interrupted.
  void wait_until_stopped();

  /// The bound port (0 before start()).
  std::uint16_t port() const;
  /// "smtp://127.0.0.1:<port>".
  std::string url() const;
  /// The admin API's port; 0 without `admin_api` or before start().
  std::uint16_t admin_port() const;
  /// "http://127.0.0.1:<admin port>"; "" without the admin API.
  std::string admin_url() const;
  FakeSmtpConfig const& config() const;

  /// Every accepted message, oldest first.
  std::vector<SmtpMessage> messages() const;
  /// The message with this queue id, if any.
  std::optional<SmtpMessage> find_message(std::string const& queue_id) const;
  /// Waits (real time) until at least `count` messages are stored.
  [[nodiscard]] bool wait_for_messages(std::size_t count, std::chrono::milliseconds timeout) const;
  SmtpStats stats() const;
  /// The journal of sessions, oldest first (at most kMaxJournaledSessions).
  std::vector<SmtpSession> sessions() const;
  /// Forgets stored messages, the session journal and counters (not rules or faults).
  void clear();

  /// Adds a rule after the configured ones; throws std::invalid_argument like the
  /// constructor.
  void add_reject_rule(SmtpRejectRule rule);
  void clear_reject_rules();
  /// The next `sessions` connections fail temporarily: code 421 closes them after
  /// the greeting; code 451 answers every MAIL FROM of the session with 451. Replaces
  /// an earlier count; 0 or less cancels. Another code is a programmer error.
  void fail_next_sessions(int sessions, int code);
  /// The next `sessions` connections are dropped at `point`; replaces an earlier
  /// count; 0 or less cancels.
  void drop_next_sessions(int sessions, DropPoint point);
  /// Replaces the configured latencies for sessions' next replies.
  void set_latency(clock::Duration reply_latency, clock::Duration data_latency);
  /// Cancels session faults not yet dealt and sets both latencies to zero.
  void clear_faults();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace candor::fakes::smtp
