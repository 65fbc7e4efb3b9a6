#include "scenarios/world.hpp"

#include <utility>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "core/clock/manual_clock.hpp"
#include "core/clock/system_clock.hpp"
#include "core/common/log.hpp"
#include "core/common/thread_name.hpp"
#include "core/webhooks/webhook_server.hpp"

namespace candor::scenarios {

namespace {

namespace fs = std::filesystem;

spdlog::logger& logger() {
  static auto& instance = log::get("world");
  return instance;
}

Error named(std::string_view part, Error const& error) {
  return make_error(error.code, fmt::format("{}: {}", part, error.message));
}

/// Forwards webhook callbacks to the Messenger of the moment. The webhook server
/// is built before the fakes (they need its URL) and is rebuilt by restart();
/// while no Messenger is attached callbacks are dropped, as a crashed process
/// would drop them.
class SinkProxy final : public webhooks::WebhookSink {
 public:
  void attach(webhooks::WebhookSink* target) {
    std::lock_guard lock(mutex_);
    target_ = target;
  }

  // webhooks::WebhookSink
  void on_status(domain::StatusUpdate update) override {
    std::lock_guard lock(mutex_);
    if (target_ != nullptr) {
      target_->on_status(std::move(update));
    }
  }
  void on_inbound(webhooks::InboundSms message) override {
    std::lock_guard lock(mutex_);
    if (target_ != nullptr) {
      target_->on_inbound(std::move(message));
    }
  }

 private:
  std::mutex mutex_;
  webhooks::WebhookSink* target_ = nullptr;
};

std::string fresh_folder() {
  static std::atomic<int> counter{0};
  auto const stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  return (fs::temp_directory_path() /
          fmt::format("candor-world-{}-{}-{}", ::getpid(), stamp, counter.fetch_add(1)))
      .string();
}

}  // namespace

/// Declaration order is destruction order in reverse: the tracker and io_context
/// outlive the clock (whose pending timers may hold sockets of the io_context),
/// the clock outlives the fakes and the core, which are torn down explicitly
/// in shutdown() before any member is destroyed.
struct World::Parts {
  WorldOptions options;
  std::string folder;  ///< temporary folder to remove; empty when none
  std::string store_path;

  clock::WorkTracker tracker;
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;
  std::unique_ptr<clock::Clock> clock;
  clock::ManualClock* manual = nullptr;

  SinkProxy proxy;
  webhooks::WebhookServerOptions webhook_options;
  std::unique_ptr<webhooks::WebhookServer> webhooks;

  std::unique_ptr<fakes::twilio::FakeTwilio> twilio;
  std::unique_ptr<fakes::syniverse::FakeSyniverse> syniverse;
  std::unique_ptr<fakes::generic::FakeGenericSms> generic;
  std::unique_ptr<fakes::smtp::FakeSmtp> smtp;

  std::unique_ptr<store::Store> store;
  std::unique_ptr<policy::SendPolicy> policy;
  policy::PolicyConfig policy_config;
  std::unique_ptr<providers::Provider> sms_provider;
  std::unique_ptr<providers::Provider> email_provider;
  std::unique_ptr<dispatch::Messenger> messenger;

  clock::WorkTracker* work_tracker() { return manual != nullptr ? &tracker : nullptr; }

  Status start_clock_and_io();
  Status start_webhooks();
  Status start_fakes();
  Status open_core(bool first);
  Status build_sms_provider();
  Status build_email_provider();
  void stop_core();
  void shutdown();
};

// ---------------------------------------------------------------------------
// Building

Status World::Parts::start_clock_and_io() {
  if (options.clock == ClockChoice::kManual) {
    auto owned = std::make_unique<clock::ManualClock>(
        options.start,
        clock::ManualClockOptions{.tracker = &tracker, .settle_timeout = options.settle_timeout});
    manual = owned.get();
    clock = std::move(owned);
  } else {
    clock = std::make_unique<clock::SystemClock>();
  }

  work.emplace(io.get_executor());
  int const threads = std::max(1, options.io_threads);
  for (int i = 0; i < threads; ++i) {
    io_threads.emplace_back([this] {
      name_this_thread("candor-io");
      io.run();
    });
  }
  return ok_status();
}

Status World::Parts::start_webhooks() {
  webhooks = std::make_unique<webhooks::WebhookServer>(webhook_options, proxy, *clock);
  if (auto started = webhooks->start(); !started) {
    return named("webhook server", started.error());
  }
  // A restart binds the same port again, so the fakes' callback URLs stay valid.
  webhook_options.port = webhooks->port();
  return ok_status();
}

Status World::Parts::start_fakes() {
  std::string const hooks = webhooks->base_url();
  auto* const tracked = work_tracker();

  if (options.sms == SmsChoice::kTwilio) {
    auto& config = options.fake_twilio;
    if (config.services.empty()) {
      config.services.push_back({});
    }
    auto& service = config.services.front();
    if (service.status_callback.empty()) {
      service.status_callback = hooks + webhook_options.twilio_status_path;
    }
    if (service.inbound_url.empty()) {
      service.inbound_url = hooks + webhook_options.twilio_inbound_path;
    }
    if (config.inbound_url.empty()) {
      config.inbound_url = service.inbound_url;
    }
    twilio = std::make_unique<fakes::twilio::FakeTwilio>(*clock, config, tracked);
    if (auto started = twilio->start(); !started) {
      return named("fake twilio", started.error());
    }
  }

  if (options.sms == SmsChoice::kSyniverse) {
    auto& delivery = options.fake_syniverse.delivery;
    if (delivery.url.empty()) {
      delivery.url = hooks + webhook_options.syniverse_events_path;
      delivery.username = options.syniverse_webhook_user;
      delivery.password = options.syniverse_webhook_password;
    }
    syniverse =
        std::make_unique<fakes::syniverse::FakeSyniverse>(options.fake_syniverse, *clock, tracked);
    if (auto started = syniverse->start(); !started) {
      return named("fake syniverse", started.error());
    }
  }

  if (options.sms == SmsChoice::kGeneric) {
    generic =
        std::make_unique<fakes::generic::FakeGenericSms>(options.fake_generic, *clock, tracked);
    if (auto started = generic->start(); !started) {
      return named("fake generic", started.error());
    }
  }

  if (options.email) {
    smtp = std::make_unique<fakes::smtp::FakeSmtp>(options.fake_smtp, *clock, tracked);
    if (auto started = smtp->start(); !started) {
      return named("fake smtp", started.error());
    }
  }
  return ok_status();
}

Status World::Parts::build_sms_provider() {
  auto* const tracked = work_tracker();
  switch (options.sms) {
    case SmsChoice::kNone:
      return ok_status();

    case SmsChoice::kTwilio: {
      auto config = options.twilio;
      auto const& fake = twilio->config();
      config.base_url = twilio->base_url();
      if (config.account_sid.empty()) {
        config.account_sid = fake.account_sid;
      }
      if (config.auth_token.empty() && config.api_key_sid.empty()) {
        config.auth_token = fake.auth_token;
      }
      if (config.messaging_service_sid.empty() && config.from_number.empty()) {
        config.messaging_service_sid = fake.services.front().sid;
      }
      config.http.tracker = tracked;
      auto built = providers::TwilioProvider::create(std::move(config), io, *clock);
      if (!built) {
        return named("twilio provider", built.error());
      }
      sms_provider = std::move(*built);
      break;
    }

    case SmsChoice::kSyniverse: {
      auto config = options.syniverse;
      config.base_url = syniverse->base_url();
      if (config.access_token.empty()) {
        config.access_token = syniverse->token();
      }
      auto const& channels = syniverse->config().channels;
      if (config.channel_id.empty() && config.sender_id.empty() && !channels.empty()) {
        config.channel_id = channels.front();
      }
      config.http.tracker = tracked;
      auto built = providers::SyniverseProvider::create(std::move(config), io, *clock);
      if (!built) {
        return named("syniverse provider", built.error());
      }
      sms_provider = std::move(*built);
      break;
    }

    case SmsChoice::kGeneric: {
      auto config = options.generic;
      config.url = generic->url();
      auto const& auth = generic->config().basic_auth;
      if (config.basic_user.empty() && auth) {
        config.basic_user = auth->username;
        config.basic_password = auth->password;
      }
      config.http.tracker = tracked;
      auto built = providers::GenericProvider::create(std::move(config), io, *clock);
      if (!built) {
        return named("generic provider", built.error());
      }
      sms_provider = std::move(*built);
      break;
    }
  }

  if (options.sms_decorator) {
    sms_provider = options.sms_decorator(std::move(sms_provider), *clock, work_tracker());
  }
  return ok_status();
}

Status World::Parts::build_email_provider() {
  if (!options.email) {
    return ok_status();
  }
  auto config = options.smtp;
  config.host = "127.0.0.1";
  config.port = smtp->port();
  auto const& auth = smtp->config().auth;
  if (config.username.empty() && auth) {
    config.username = auth->username;
    config.password = auth->password;
  }
  config.tracker = work_tracker();
  auto built = providers::SmtpProvider::create(std::move(config), io, *clock);
  if (!built) {
    return named("smtp provider", built.error());
  }
  email_provider = std::move(*built);
  return ok_status();
}

Status World::Parts::open_core(bool first) {
  auto opened = store::Store::open(store_path, options.store);
  if (!opened) {
    return named("store", opened.error());
  }
  store = std::move(*opened);

  auto created = policy::SendPolicy::create(policy_config);
  if (!created) {
    return named("policy", created.error());
  }
  policy = std::move(*created);

  CANDOR_RETURN_IF_ERROR(build_sms_provider());
  CANDOR_RETURN_IF_ERROR(build_email_provider());

  auto messenger_options = options.messenger;
  messenger_options.tracker = work_tracker();
  messenger = std::make_unique<dispatch::Messenger>(
      *store, *policy, *clock,
      dispatch::Providers{.sms = sms_provider.get(), .email = email_provider.get()},
      std::move(messenger_options));
  if (first && !options.candidates.empty()) {
    if (auto stored = messenger->upsert_candidates(options.candidates); !stored) {
      return named("candidates", stored.error());
    }
  }
  if (auto started = messenger->start(); !started) {
    return named("messenger", started.error());
  }
  proxy.attach(messenger.get());
  return ok_status();
}

// ---------------------------------------------------------------------------
// Stopping

void World::Parts::stop_core() {
  // Callbacks first: nothing may reach the Messenger while it is destroyed.
  proxy.attach(nullptr);
  if (webhooks) {
    webhooks->stop();
  }
  // The Messenger ignores provider answers once destroyed; the providers end
  // their queued sends while the io_context still runs.
  messenger.reset();
  sms_provider.reset();
  email_provider.reset();
  webhooks.reset();
  policy.reset();
  store.reset();
}

void World::Parts::shutdown() {
  // The fakes stop before the core so that no callback is on its way into a
  // webhook server being torn down; their clock timers are cancelled.
  proxy.attach(nullptr);
  if (webhooks) {
    webhooks->stop();
  }
  if (twilio) {
    twilio->stop();
  }
  if (syniverse) {
    syniverse->stop();
  }
  if (generic) {
    generic->stop();
  }
  if (smtp) {
    smtp->stop();
  }
  stop_core();

  work.reset();
  io.stop();
  for (auto& thread : io_threads) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  io_threads.clear();

  twilio.reset();
  syniverse.reset();
  generic.reset();
  smtp.reset();
  // Pending timers may hold sockets of the io_context; they go with the clock,
  // before the io_context.
  manual = nullptr;
  clock.reset();

  if (!folder.empty()) {
    std::error_code ec;
    fs::remove_all(folder, ec);
  }
}

// ---------------------------------------------------------------------------
// World

World::World(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

World::~World() {
  parts_->shutdown();
}

Result<std::unique_ptr<World>> World::create(WorldOptions options) {
  auto parts = std::make_unique<Parts>();
  parts->options = std::move(options);
  auto& p = *parts;
  // From here on the World owns the parts, so that a failure part-way shuts down
  // whatever already runs.
  std::unique_ptr<World> world(new World(std::move(parts)));

  p.store_path = p.options.store_path;
  if (p.store_path.empty()) {
    p.folder = fresh_folder();
    std::error_code ec;
    fs::create_directories(p.folder, ec);
    if (ec) {
      return make_error(Errc::kUnavailable,
                        fmt::format("store: cannot create {}: {}", p.folder, ec.message()));
    }
    p.store_path = (fs::path(p.folder) / "candor.db").string();
  }

  p.policy_config = p.options.policy;
  if (p.options.messenger.default_region.empty()) {
    p.options.messenger.default_region = p.policy_config.default_region;
  }

  CANDOR_RETURN_IF_ERROR(p.start_clock_and_io());

  p.webhook_options.threads = std::max(1, p.options.webhook_threads);
  p.webhook_options.twilio_auth_token = p.options.fake_twilio.auth_token;
  p.webhook_options.twilio_provider_name = p.options.twilio.name;
  p.webhook_options.syniverse_user = p.options.syniverse_webhook_user;
  p.webhook_options.syniverse_password = p.options.syniverse_webhook_password;
  p.webhook_options.syniverse_provider_name = p.options.syniverse.name;
  CANDOR_RETURN_IF_ERROR(p.start_webhooks());

  CANDOR_RETURN_IF_ERROR(p.start_fakes());
  CANDOR_RETURN_IF_ERROR(p.open_core(true));
  CANDOR_RETURN_IF_ERROR(world->settle());
  logger().info("world up: webhooks at {}", p.webhooks->base_url());
  return world;
}

Status World::restart() {
  auto& p = *parts_;
  if (p.store_path == ":memory:") {
    return make_error(Errc::kFailedPrecondition,
                      "restart: an in-memory store cannot be reopened; give a store_path");
  }
  if (p.policy) {
    p.policy_config = p.policy->config();
  }
  p.stop_core();
  CANDOR_RETURN_IF_ERROR(p.start_webhooks());
  return p.open_core(false);
}

void World::stop_webhooks() {
  if (parts_->webhooks) {
    parts_->webhooks->stop();
  }
}

Status World::start_webhooks() {
  auto& p = *parts_;
  if (p.webhooks) {
    p.webhooks->stop();
    p.webhooks.reset();
  }
  return p.start_webhooks();
}

clock::Clock& World::clock() {
  return *parts_->clock;
}

clock::ManualClock* World::manual_clock() {
  return parts_->manual;
}

clock::WorkTracker* World::tracker() {
  return parts_->work_tracker();
}

clock::TimePoint World::now() const {
  return parts_->clock->now();
}

Status World::settle() {
  if (parts_->manual == nullptr) {
    return ok_status();
  }
  return advance_to(parts_->manual->now());
}

Status World::advance(clock::Duration delta) {
  if (parts_->manual == nullptr) {
    return make_error(Errc::kFailedPrecondition, "advance: the world runs on the system clock");
  }
  return advance_to(parts_->manual->now() + delta);
}

Status World::advance_to(clock::TimePoint target) {
  auto* manual = parts_->manual;
  if (manual == nullptr) {
    return make_error(Errc::kFailedPrecondition, "advance: the world runs on the system clock");
  }
  if (!manual->advance_to(target)) {
    return make_error(
        Errc::kDeadlineExceeded,
        fmt::format("settle: work still pending after {} ms of real time ({} items)",
                    parts_->options.settle_timeout.count(), parts_->tracker.pending()));
  }
  return ok_status();
}

bool World::wait_until(std::function<bool()> const& done, std::chrono::milliseconds timeout) {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

store::Store& World::store() {
  return *parts_->store;
}

bool World::core_running() const {
  return parts_->store != nullptr && parts_->policy != nullptr && parts_->messenger != nullptr;
}

policy::SendPolicy& World::policy() {
  return *parts_->policy;
}

dispatch::Messenger& World::messenger() {
  return *parts_->messenger;
}

webhooks::WebhookServer& World::webhooks() {
  return *parts_->webhooks;
}

std::string World::webhook_base_url() const {
  return parts_->webhooks->base_url();
}

providers::Provider* World::sms_provider() {
  return parts_->sms_provider.get();
}

providers::Provider* World::email_provider() {
  return parts_->email_provider.get();
}

boost::asio::io_context& World::io() {
  return parts_->io;
}

fakes::twilio::FakeTwilio* World::twilio() {
  return parts_->twilio.get();
}

fakes::syniverse::FakeSyniverse* World::syniverse() {
  return parts_->syniverse.get();
}

fakes::generic::FakeGenericSms* World::generic() {
  return parts_->generic.get();
}

fakes::smtp::FakeSmtp* World::smtp() {
  return parts_->smtp.get();
}

Result<std::string> World::inbound(std::string const& from, std::string const& body) {
  if (parts_->twilio) {
    return parts_->twilio->send_inbound({.from = from, .body = body});
  }
  if (parts_->syniverse) {
    return parts_->syniverse->inject_inbound(from, body);
  }
  return make_error(Errc::kFailedPrecondition,
                    "inbound: only the Twilio and Syniverse fakes deliver inbound SMS");
}

WorldOptions const& World::options() const {
  return parts_->options;
}

}  // namespace candor::scenarios
