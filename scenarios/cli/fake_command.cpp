#include "scenarios/cli/fake_command.hpp"

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <memory>

#include <fmt/format.h>

#include "core/clock/system_clock.hpp"
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

void wait_for_stop_signal(sigset_t const& set) {
  int signal = 0;
  sigwait(&set, &signal);
}

}  // namespace

int serve_fake(FakeOptions const& options, std::ostream& out, std::ostream& err) {
  sigset_t const signals = block_stop_signals();
  clock::SystemClock clock;

  if (options.kind == "twilio") {
    fakes::twilio::FakeTwilioConfig config{.port = options.port};
    if (!options.account_sid.empty())
      config.account_sid = options.account_sid;
    if (!options.auth_token.empty())
      config.auth_token = options.auth_token;
    if (!options.callback_url.empty()) {
      config.services[0].status_callback = options.callback_url;
      config.inbound_url = options.callback_url;
    }
    fakes::twilio::FakeTwilio fake(clock, config);
    if (auto started = fake.start(); !started) {
      err << fmt::format("candor fake: {}\n", started.error().to_string());
      return kExitUsage;
    }
    out << fmt::format(
               "fake twilio listening on {}\naccount_sid: {}\nauth_token: {}\n"
               "messaging_service_sid: {}\n",
               fake.base_url(), fake.config().account_sid, fake.config().auth_token,
               fake.config().services[0].sid)
        << std::flush;
    wait_for_stop_signal(signals);
    fake.stop();
    return kExitOk;
  }

  if (options.kind == "syniverse") {
    fakes::syniverse::FakeSyniverseConfig config;
    config.server.port = options.port;
    if (!options.token.empty())
      config.tokens = {options.token};
    config.delivery.url = options.callback_url;
    fakes::syniverse::FakeSyniverse fake(config, clock);
    if (auto started = fake.start(); !started) {
      err << fmt::format("candor fake: {}\n", started.error().to_string());
      return kExitUsage;
    }
    out << fmt::format("fake syniverse listening on {}\napi: {}\ntoken: {}\nchannel: {}\n",
                       fake.base_url(), fake.api_base_url(), fake.token(),
                       fake.config().channels.at(0))
        << std::flush;
    wait_for_stop_signal(signals);
    fake.stop();
    return kExitOk;
  }

  if (options.kind == "smtp") {
    fakes::smtp::FakeSmtp fake({.port = options.port}, clock);
    if (auto started = fake.start(); !started) {
      err << fmt::format("candor fake: {}\n", started.error().to_string());
      return kExitUsage;
    }
    out << fmt::format("fake smtp listening on {}\n", fake.url()) << std::flush;
    wait_for_stop_signal(signals);
    fake.stop();
    return kExitOk;
  }

  if (options.kind == "generic") {
    fakes::http::HttpServer server(clock, {.port = options.port, .log_name = "fake.generic"});
    auto counter = std::make_shared<std::atomic<std::int64_t>>(0);
    std::string const token = options.token;
    server.route("POST", "/messages", [counter, token](fakes::http::Request const& request) {
      auto auth = fakes::http::find_header(request.headers, "Authorization");
      if (!token.empty() && auth != "Bearer " + token) {
        return fakes::http::Response::json(401, R"({"error":"unauthorized"})");
      }
      return fakes::http::Response::json(200, fmt::format(R"({{"id":"GEN-{}"}})", ++*counter));
    });
    if (auto started = server.start(); !started) {
      err << fmt::format("candor fake: {}\n", started.error().to_string());
      return kExitUsage;
    }
    out << fmt::format("fake generic listening on {}\nsend: POST {}/messages\n{}",
                       server.base_url(), server.base_url(),
                       token.empty() ? "" : fmt::format("token: {}\n", token))
        << std::flush;
    wait_for_stop_signal(signals);
    server.stop();
    return kExitOk;
  }

  err << fmt::format(
      "candor fake: unknown kind \"{}\"; expected twilio, syniverse, smtp or "
      "generic\n",
      options.kind);
  return kExitUsage;
}

}  // namespace candor::scenarios::cli
