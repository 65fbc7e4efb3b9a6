#pragma once

// World: one running candor system on loopback. The core (store, send policy,
// providers, webhook server, Messenger) talks to the fake providers over real
// sockets, and the fakes call the core's webhook URL back.
//
//   auto world = World::create({.sms = SmsChoice::kTwilio, .candidates = people});
//   if (!world) { ... }
//   auto sent = (*world)->messenger().send_message(request);
//   CANDOR_RETURN_IF_ERROR((*world)->advance(std::chrono::seconds(10)));
//   auto messages = (*world)->store().all_messages();
//
// The options say which clock runs the world: a ManualClock with a WorkTracker
// (tests and scenarios: advance() fires due timers and waits for their work), or
// the SystemClock (throughput runs). Every endpoint, credential and callback URL
// that joins the core to a fake is filled in by the World, so that the provider
// name on stored messages, the webhook server's provider names, the fakes'
// callback URLs and the signing secrets always agree.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock/clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/common/result.hpp"
#include "core/dispatch/messenger.hpp"
#include "core/domain/types.hpp"
#include "core/policy/send_policy.hpp"
#include "core/providers/generic_provider.hpp"
#include "core/providers/provider.hpp"
#include "core/providers/smtp_provider.hpp"
#include "core/providers/syniverse_provider.hpp"
#include "core/providers/twilio_provider.hpp"
#include "core/store/store.hpp"
#include "fakes/generic/fake_generic_sms.hpp"
#include "fakes/smtp/fake_smtp.hpp"
#include "fakes/syniverse/fake_syniverse.hpp"
#include "fakes/twilio/fake_twilio.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace candor::clock {
class ManualClock;
}  // namespace candor::clock

namespace candor::webhooks {
class WebhookServer;
}  // namespace candor::webhooks

namespace candor::scenarios {

/// Which clock drives the world.
enum class ClockChoice : std::uint8_t {
  kManual,  ///< virtual time, advanced by the caller; deterministic
  kSystem,  ///< real time; for throughput runs
};

/// Which fake and core provider carry SMS.
enum class SmsChoice : std::uint8_t { kNone, kTwilio, kSyniverse, kGeneric };

/// Wraps the core's SMS provider before the Messenger sees it (for example to
/// hold its answers back); receives the provider the World built, the World's
/// clock and its tracker (nullptr on the system clock), and returns the provider
/// to use. The returned provider must forward name() unchanged. Called again by
/// every restart().
using ProviderDecorator = std::function<std::unique_ptr<providers::Provider>(
    std::unique_ptr<providers::Provider>, clock::Clock&, clock::WorkTracker*)>;

/// Everything a World is made of. Fields that join the core to a fake (URLs,
/// account ids, tokens, callback URLs, webhook credentials) are filled in by the
/// World when left empty; anything set explicitly is kept.
struct WorldOptions {
  ClockChoice clock = ClockChoice::kManual;
  /// Start of virtual time (manual clock only). Default 2026-03-02 09:00 UTC.
  clock::TimePoint start =
      clock::TimePoint(std::chrono::sys_days{std::chrono::year{2026} / 3 / 2}) +
      std::chrono::hours(9);
  /// Real time a manual-clock step may take to settle before it is reported stuck.
  std::chrono::milliseconds settle_timeout = std::chrono::seconds(30);
  /// Threads running the core's io_context (providers' HTTP and SMTP clients).
  int io_threads = 1;
  /// I/O threads of the core's webhook server.
  int webhook_threads = 1;

  /// SQLite file of the core. Empty: a file in a fresh temporary folder, removed
  /// with the World. ":memory:" works, but restart() then refuses (nothing to
  /// reopen).
  std::string store_path;
  store::StoreOptions store;
  policy::PolicyConfig policy;
  /// Stored once, when the World is created (a restart keeps what the store has).
  std::vector<domain::Candidate> candidates;

  SmsChoice sms = SmsChoice::kTwilio;
  /// Whether e-mail goes through the fake SMTP server.
  bool email = true;

  /// The fakes. Twilio: the first Messaging Service's status callback and
  /// inbound URLs and the account's inbound URL point at the core unless set.
  /// Syniverse: the delivery configuration points at the core with
  /// syniverse_webhook_user/password unless delivery.url is set.
  fakes::twilio::FakeTwilioConfig fake_twilio;
  fakes::syniverse::FakeSyniverseConfig fake_syniverse;
  fakes::generic::FakeGenericSmsConfig fake_generic{
      .basic_auth = fakes::generic::GenericCredentials{"candor", "generic-secret"}};
  fakes::smtp::FakeSmtpConfig fake_smtp;

  /// The core's providers. base_url/url/port always point at the fake; account
  /// SID, auth token, Messaging Service SID (unless from_number is set, which
  /// the provider then refuses), access token, channel id and credentials come
  /// from the fake when empty. Each HTTP client makes one attempt per send by
  /// default: the Messenger owns retries.
  providers::TwilioConfig twilio{.http = {.provider = "twilio", .max_attempts = 1}};
  providers::SyniverseConfig syniverse{.http = {.provider = "syniverse", .max_attempts = 1}};
  providers::GenericSmsConfig generic{.id_field = "id",
                                      .http = {.provider = "generic", .max_attempts = 1}};
  providers::SmtpConfig smtp{.from_address = "jobs@candor.test"};
  /// Applied to the SMS provider after it is built; nullptr keeps it as is.
  ProviderDecorator sms_decorator;

  /// Basic credentials the fake Syniverse sends and the webhook server demands.
  std::string syniverse_webhook_user = "ess-user";
  std::string syniverse_webhook_password = "ess-password";

  /// The Messenger; its tracker is set by the World (the manual clock's).
  dispatch::MessengerOptions messenger;
};

/// One running system. Created started; destroyed in an order that lets no
/// callback reach a destroyed object. Not thread-safe itself: drive it from one
/// thread (its parts are thread-safe as documented).
class World {
 public:
  /// Builds and starts everything: clock, io threads, store, policy, fakes,
  /// webhook server, core providers, Messenger. Errors name the part that failed
  /// ("webhook server: ...", "twilio provider: twilio.messaging_service_sid ...").
  static Result<std::unique_ptr<World>> create(WorldOptions options);
  ~World();
  World(World const&) = delete;
  World& operator=(World const&) = delete;

  // Time ---------------------------------------------------------------------

  clock::Clock& clock();
  /// The manual clock; nullptr when the world runs on the system clock.
  clock::ManualClock* manual_clock();
  /// The tracker the manual clock waits for; nullptr on the system clock.
  clock::WorkTracker* tracker();
  clock::TimePoint now() const;

  /// Fires the timers due now and waits until no work is pending. On the system
  /// clock it returns at once. kDeadlineExceeded when work did not finish within
  /// the settle timeout (real time).
  Status settle();
  /// Moves virtual time forward by `delta` (manual clock only), firing due
  /// timers and waiting for their work. kFailedPrecondition on the system clock.
  Status advance(clock::Duration delta);
  Status advance_to(clock::TimePoint target);
  /// Polls `done` every millisecond of real time until it holds or `timeout`
  /// passes; returns whether it held. For the system clock, where nothing can
  /// be settled.
  [[nodiscard]] bool wait_until(std::function<bool()> const& done,
                                std::chrono::milliseconds timeout);

  // The core -------------------------------------------------------------------

  store::Store& store();
  /// Whether the core is up: false only after a restart() that failed part-way,
  /// when store(), policy() and messenger() must not be called.
  bool core_running() const;
  policy::SendPolicy& policy();
  dispatch::Messenger& messenger();
  webhooks::WebhookServer& webhooks();
  /// The core's webhook base URL ("http://127.0.0.1:<port>"); stable across restarts.
  std::string webhook_base_url() const;
  /// The SMS provider as the Messenger sees it (after the decorator); nullptr
  /// when SMS is not configured.
  providers::Provider* sms_provider();
  providers::Provider* email_provider();
  boost::asio::io_context& io();

  /// Stops the core hard, as a crash would: the webhook server stops (callbacks
  /// meanwhile get no answer), the Messenger and providers are destroyed with
  /// their sends unanswered, the store is closed. Then the store is reopened,
  /// the policy rebuilt with the rules in force, and everything starts again;
  /// the Messenger resumes its outbox. The webhook server binds the same port.
  /// Time does not move and nothing is settled (work of the old core may still
  /// finish later, and is ignored).
  Status restart();

  /// Stops only the webhook server, as an outage of the receiver: the fakes'
  /// callbacks meanwhile find nothing listening. start_webhooks() serves again on
  /// the same port. Neither moves time.
  void stop_webhooks();
  Status start_webhooks();

  // The fakes (nullptr when not configured) ------------------------------------

  fakes::twilio::FakeTwilio* twilio();
  fakes::syniverse::FakeSyniverse* syniverse();
  fakes::generic::FakeGenericSms* generic();
  fakes::smtp::FakeSmtp* smtp();

  /// Sends an inbound SMS through the configured SMS fake (Twilio or
  /// Syniverse) to the core; returns the fake's message id. Does not settle.
  Result<std::string> inbound(std::string const& from, std::string const& body);

  WorldOptions const& options() const;

  struct Parts;

 private:
  explicit World(std::unique_ptr<Parts> parts);

  std::unique_ptr<Parts> parts_;
};

}  // namespace candor::scenarios
