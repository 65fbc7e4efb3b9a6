#include "scenarios/cli/fake_command.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <future>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "core/clock/system_clock.hpp"
#include "fakes/http/codec.hpp"
#include "fakes/http/server.hpp"
#include "fakes/smtp/fake_smtp.hpp"
#include "fakes/syniverse/fake_syniverse.hpp"
#include "fakes/twilio/fake_twilio.hpp"
#include "scenarios/cli/cli.hpp"

namespace candor::scenarios::cli {

namespace {

/// Blocks SIGINT and SIGTERM in every thread started afterwards, so that the
/// main thread alone receives them through sigwait().
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto const byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

/// Problems with one text option's value; "" when it is fine.
std::string check_text(char const* name, std::optional<std::string> const& value,
                       bool spaces_allowed) {
  if (!value) {
    return "";
  }
  if (value->empty()) {
    return fmt::format("--{}: must not be empty", name);
  }
  if (has_control(*value) || (!spaces_allowed && value->find(' ') != std::string::npos)) {
    return fmt::format("--{}: must be one word of printable characters", name);
  }
  return "";
}

bool one_of(std::string const& kind, std::initializer_list<std::string_view> kinds) {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

bool all_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

bool all_alnum(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

/// Whether `sid` is `prefix` followed by 32 hex digits, as Twilio's SIDs are.
bool is_sid(std::string_view sid, std::string_view prefix) {
  return sid.size() == prefix.size() + 32 && sid.starts_with(prefix) &&
         all_hex(sid.substr(prefix.size()));
}

bool is_e164(std::string_view number) {
  return number.size() >= 3 && number.size() <= 16 && number[0] == '+' && number[1] != '0' &&
         std::all_of(number.begin() + 1, number.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// The Twilio fake's configuration from `options`, or the problem with an option.
/// Secrets are never echoed back.
std::optional<std::string> twilio_config(FakeOptions const& options,
                                         fakes::twilio::FakeTwilioConfig& config) {
  config.port = options.port;
  if (options.account_sid) {
    if (!is_sid(*options.account_sid, "AC")) {
      return fmt::format("--account-sid: expected AC followed by 32 hex digits; got \"{}\"",
                         *options.account_sid);
    }
    config.account_sid = *options.account_sid;
  }
  if (options.auth_token) {
    if (options.auth_token->size() != 32 || !all_hex(*options.auth_token)) {
      return fmt::format("--auth-token: expected 32 hex digits; got {} characters",
                         options.auth_token->size());
    }
    config.auth_token = *options.auth_token;
  }
  if (options.api_key_sid.has_value() != options.api_key_secret.has_value()) {
    return "--api-key-sid and --api-key-secret go together";
  }
  if (options.api_key_sid) {
    if (!is_sid(*options.api_key_sid, "SK")) {
      return fmt::format("--api-key-sid: expected SK followed by 32 hex digits; got \"{}\"",
                         *options.api_key_sid);
    }
    if (options.api_key_secret->size() != 32 || !all_alnum(*options.api_key_secret)) {
      return fmt::format("--api-key-secret: expected 32 letters or digits; got {} characters",
                         options.api_key_secret->size());
    }
    config.api_key_sid = *options.api_key_sid;
    config.api_key_secret = *options.api_key_secret;
  }

  for (std::size_t i = 0; i < options.services.size(); ++i) {
    auto const& text = options.services[i];
    auto const eq = text.find('=');
    fakes::twilio::MessagingService service{
        .sid = text.substr(0, eq),
        .senders = {eq == std::string::npos ? fmt::format("+1555010{:04}", i + 1)
                                            : text.substr(eq + 1)}};
    if (!is_sid(service.sid, "MG")) {
      return fmt::format("--services: \"{}\" is not MG followed by 32 hex digits", service.sid);
    }
    if (!is_e164(service.senders.front())) {
      return fmt::format("--services: the sender of {} must be an E.164 number; got \"{}\"",
                         service.sid, service.senders.front());
    }
    auto const taken = std::any_of(config.services.begin(), config.services.end(),
                                   [&](auto const& s) { return s.sid == service.sid; });
    if (taken) {
      return fmt::format("--services: {} is given twice", service.sid);
    }
    config.services.push_back(std::move(service));
  }
  for (auto& service : config.services) {
    service.status_callback = options.callback_url.value_or("");
    service.inbound_url = options.inbound_url.value_or("");
  }
  config.inbound_url = options.inbound_url.value_or("");
  config.test_credentials = options.test_credentials;
  return std::nullopt;
}

std::string events_line(fakes::syniverse::FakeSyniverse const& fake) {
  auto const& delivery = fake.config().delivery;
  if (delivery.url.empty()) {
    return fmt::format("events: kept in the fake (no --callback-url); GET {}/__admin/events\n",
                       fake.base_url());
  }
  if (delivery.username.empty()) {
    return fmt::format("events: POST {} without credentials\n", delivery.url);
  }
  return fmt::format("events: POST {} with Basic user '{}'\n", delivery.url, delivery.username);
}

}  // namespace

int serve_until_signal(sigset_t const& signals, std::function<void()> const& stop,
                       std::ostream& err, std::chrono::milliseconds grace) {
  int signal = 0;
  sigwait(&signals, &signal);

  std::promise<void> stopped;
  auto done = stopped.get_future();
  std::thread stopper([&stop, &stopped] {
    stop();
    stopped.set_value();
  });
  // Should `stop` hang (a handler stuck, a peer that never lets go), a second signal
  // or the grace period ends the process: an interrupted fake must always go away.
  auto const deadline = std::chrono::steady_clock::now() + grace;
  while (done.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
    timespec const no_wait{.tv_sec = 0, .tv_nsec = 0};
    bool const again = sigtimedwait(&signals, nullptr, &no_wait) > 0;
    if (again || std::chrono::steady_clock::now() >= deadline) {
      err << fmt::format("candor fake: {}; exiting without a clean stop\n",
                         again ? "interrupted again" : "stop did not finish in time")
          << std::flush;
      // The stopper still runs and cannot be joined: leave without unwinding.
      std::_Exit(kExitFailed);
    }
  }
  stopper.join();
  return kExitOk;
}

std::string check_fake_options(FakeOptions const& o) {
  if (!one_of(o.kind, {"twilio", "syniverse", "smtp", "generic"})) {
    return fmt::format("unknown kind \"{}\"; expected twilio, syniverse, smtp or generic", o.kind);
  }

  struct Scope {
    char const* name;
    bool given;
    std::initializer_list<std::string_view> kinds;
    char const* kinds_text;
  };
  for (auto const& scope : {
           Scope{"account-sid", o.account_sid.has_value(), {"twilio"}, "twilio"},
           Scope{"auth-token", o.auth_token.has_value(), {"twilio"}, "twilio"},
           Scope{"inbound-url", o.inbound_url.has_value(), {"twilio"}, "twilio"},
           Scope{"api-key-sid", o.api_key_sid.has_value(), {"twilio"}, "twilio"},
           Scope{"api-key-secret", o.api_key_secret.has_value(), {"twilio"}, "twilio"},
           Scope{"services", !o.services.empty(), {"twilio"}, "twilio"},
           Scope{"test-credentials", o.test_credentials, {"twilio"}, "twilio"},
           Scope{"token", o.token.has_value(), {"syniverse", "generic"}, "syniverse and generic"},
           Scope{"callback-url",
                 o.callback_url.has_value(),
                 {"twilio", "syniverse"},
                 "twilio and syniverse"},
           Scope{"callback-user", o.callback_user.has_value(), {"syniverse"}, "syniverse"},
           Scope{"callback-password", o.callback_password.has_value(), {"syniverse"}, "syniverse"},
           Scope{"admin-port", o.admin_port.has_value(), {"smtp"}, "smtp"},
       }) {
    if (scope.given && !one_of(o.kind, scope.kinds)) {
      return fmt::format("--{}: only for {}, not {}", scope.name, scope.kinds_text, o.kind);
    }
  }

  for (auto const& problem :
       {check_text("account-sid", o.account_sid, false),
        check_text("auth-token", o.auth_token, false), check_text("token", o.token, false),
        check_text("callback-url", o.callback_url, false),
        check_text("inbound-url", o.inbound_url, false),
        check_text("api-key-sid", o.api_key_sid, false),
        check_text("api-key-secret", o.api_key_secret, false),
        check_text("callback-user", o.callback_user, false),
        check_text("callback-password", o.callback_password, true)}) {
    if (!problem.empty()) {
      return problem;
    }
  }

  for (auto const& [name, value] :
       {std::pair{"callback-url", &o.callback_url}, std::pair{"inbound-url", &o.inbound_url}}) {
    if (!*value) {
      continue;
    }
    auto const url = fakes::http::parse_url(**value);
    if (!url) {
      return fmt::format("--{}: {}", name, url.error().message);
    }
    if (url->scheme != "http") {
      return fmt::format("--{}: '{}' must be http:// (the fakes have no TLS)", name, **value);
    }
  }
  if (o.callback_user.has_value() != o.callback_password.has_value()) {
    return "--callback-user and --callback-password: give both or neither";
  }
  if (o.callback_user && !o.callback_url) {
    return "--callback-user: needs --callback-url (where the credentials are sent)";
  }
  // RFC 7617: the user-id of Basic credentials cannot contain a colon.
  if (o.callback_user && o.callback_user->find(':') != std::string::npos) {
    return "--callback-user: must not contain ':'";
  }
  if (o.admin_port && *o.admin_port != 0 && *o.admin_port == o.port) {
    return "--admin-port: must differ from --port";
  }
  return "";
}

int serve_fake(FakeOptions const& options, std::ostream& out, std::ostream& err) {
  if (auto const problem = check_fake_options(options); !problem.empty()) {
    err << fmt::format("candor fake: {}\n", problem);
    return kExitUsage;
  }
  sigset_t const signals = block_stop_signals();
  clock::SystemClock clock;
  auto refused = [&err](Error const& error) {
    err << fmt::format("candor fake: {}\n", error.to_string());
    return kExitUsage;
  };

  if (options.kind == "twilio") {
    fakes::twilio::FakeTwilioConfig config;
    if (auto const problem = twilio_config(options, config)) {
      err << fmt::format("candor fake: {}\n", *problem);
      return kExitUsage;
    }
    fakes::twilio::FakeTwilio fake(clock, config);
    if (auto started = fake.start(); !started) {
      return refused(started.error());
    }
    auto const& c = fake.config();
    std::string text = fmt::format(
        "fake twilio listening on {}\naccount_sid: {}\nauth_token: {}\nmessaging_service_sid: "
        "{}\n",
        fake.base_url(), c.account_sid, c.auth_token, c.services.front().sid);
    if (!c.api_key_sid.empty()) {
      text += fmt::format("api_key_sid: {}\napi_key_secret: {}\n", c.api_key_sid, c.api_key_secret);
    }
    for (auto const& service : c.services) {
      text += fmt::format("service: {} sender {}\n", service.sid, service.senders.front());
    }
    text += fmt::format(
        "status_callback: {}\ninbound_url: {}\ntest_credentials: {}\nadmin: {}/__admin\n",
        options.callback_url.value_or("none"), options.inbound_url.value_or("none"),
        c.test_credentials ? "on" : "off", fake.base_url());
    out << text << std::flush;
    return serve_until_signal(
        signals, [&fake] { fake.stop(); }, err);
  }

  if (options.kind == "syniverse") {
    fakes::syniverse::FakeSyniverseConfig config;
    config.server.port = options.port;
    if (options.token) {
      config.tokens = {*options.token};
    }
    config.delivery.url = options.callback_url.value_or("");
    config.delivery.username = options.callback_user.value_or("");
    config.delivery.password = options.callback_password.value_or("");
    fakes::syniverse::FakeSyniverse fake(config, clock);
    if (auto started = fake.start(); !started) {
      return refused(started.error());
    }
    out << fmt::format(
               "fake syniverse listening on {}\napi: {}\ntoken: {}\nchannel: {}\n{}"
               "admin: {}/__admin\n",
               fake.base_url(), fake.api_base_url(), fake.token(), fake.config().channels.at(0),
               events_line(fake), fake.base_url())
        << std::flush;
    return serve_until_signal(
        signals, [&fake] { fake.stop(); }, err);
  }

  if (options.kind == "smtp") {
    fakes::smtp::FakeSmtp fake(
        {.port = options.port, .admin_api = true, .admin_port = options.admin_port.value_or(0)},
        clock);
    if (auto started = fake.start(); !started) {
      return refused(started.error());
    }
    out << fmt::format("fake smtp listening on {}\nadmin: {}/__admin\n", fake.url(),
                       fake.admin_url())
        << std::flush;
    return serve_until_signal(
        signals, [&fake] { fake.stop(); }, err);
  }

  fakes::http::HttpServer server(clock, {.port = options.port, .log_name = "fake.generic"});
  auto counter = std::make_shared<std::atomic<std::int64_t>>(0);
  std::string const token = options.token.value_or("");
  server.route("POST", "/messages", [counter, token](fakes::http::Request const& request) {
    auto auth = fakes::http::find_header(request.headers, "Authorization");
    if (!token.empty() && auth != "Bearer " + token) {
      return fakes::http::Response::json(401, R"({"error":"unauthorized"})");
    }
    return fakes::http::Response::json(200, fmt::format(R"({{"id":"GEN-{}"}})", ++*counter));
  });
  if (auto started = server.start(); !started) {
    return refused(started.error());
  }
  out << fmt::format("fake generic listening on {}\nsend: POST {}/messages\n{}", server.base_url(),
                     server.base_url(), token.empty() ? "" : fmt::format("token: {}\n", token))
      << std::flush;
  return serve_until_signal(
      signals, [&server] { server.stop(); }, err);
}

}  // namespace candor::scenarios::cli
