#pragma once

// `candor fake KIND`: one fake provider served until SIGINT or SIGTERM.

#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace candor::scenarios::cli {

/// The options of `candor fake`; an option left out is nullopt, so that one given
/// for the wrong kind, or given empty, can be refused.
struct FakeOptions {
  /// "twilio", "syniverse", "smtp" or "generic".
  std::string kind;
  std::uint16_t port = 0;
  /// Twilio credentials; the fake's fixed defaults when absent. The account SID is
  /// "AC" and 32 hex digits, the auth token 32 hex digits.
  std::optional<std::string> account_sid;
  std::optional<std::string> auth_token;
  /// Syniverse or generic bearer token.
  std::optional<std::string> token;
  /// Where status callbacks go (Twilio: every Messaging Service's status callback),
  /// or the event delivery URL of the ESS delivery configuration (Syniverse).
  std::optional<std::string> callback_url;
  /// Twilio: where inbound messages go (every Messaging Service's inbound URL).
  std::optional<std::string> inbound_url;
  /// Twilio: an API key ("SK" and 32 hex digits) and its secret (32 letters or
  /// digits) accepted besides the account's credentials; both or neither.
  std::optional<std::string> api_key_sid;
  std::optional<std::string> api_key_secret;
  /// Twilio: answer as test credentials (magic numbers decide, no callbacks).
  bool test_credentials = false;
  /// Twilio: extra Messaging Services, each "MG" and 32 hex digits, optionally
  /// followed by "=" and the E.164 number of its sender.
  std::vector<std::string> services;
  /// Syniverse: HTTP Basic credentials sent with each event.
  std::optional<std::string> callback_user;
  std::optional<std::string> callback_password;
  /// SMTP: port of the admin HTTP API (0 picks a free one, the default).
  std::optional<std::uint16_t> admin_port;
};

/// Why `options` cannot be served, naming the option ("--callback-user: ..."); ""
/// when they can.
std::string check_fake_options(FakeOptions const& options);

/// How long a stop may take after the first signal before the process ends anyway.
inline constexpr std::chrono::milliseconds kStopGrace{5000};

/// Waits for one of `signals`, which the caller blocked in every thread, then runs
/// `stop` on a helper thread and returns 0 once it has finished. A second signal, or
/// `grace` passing first, ends the process at once with exit code 1 and a line on
/// `err`.
int serve_until_signal(sigset_t const& signals, std::function<void()> const& stop,
                       std::ostream& err, std::chrono::milliseconds grace = kStopGrace);

/// Checks `options` (exit 2 with the reason on `err`), starts the fake on a real
/// clock, prints its URLs and credentials to `out`, and blocks until SIGINT or
/// SIGTERM. A second signal, or a stop that takes longer than a few seconds, ends
/// the process at once. Returns the exit code.
int serve_fake(FakeOptions const& options, std::ostream& out, std::ostream& err);

}  // namespace candor::scenarios::cli
