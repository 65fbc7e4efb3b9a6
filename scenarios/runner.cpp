#include "scenarios/runner.hpp"

#include <utility>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "core/clock/manual_clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "core/common/log.hpp"
#include "core/dispatch/messenger.hpp"
#include "core/policy/send_policy.hpp"
#include "core/providers/generic_provider.hpp"
#include "core/providers/smtp_provider.hpp"
#include "core/providers/syniverse_provider.hpp"
#include "core/providers/twilio_provider.hpp"
#include "core/store/store.hpp"
#include "core/webhooks/webhook_server.hpp"
#include "fakes/http/server.hpp"
#include "fakes/smtp/fake_smtp.hpp"
#include "fakes/syniverse/fake_syniverse.hpp"
#include "fakes/twilio/fake_twilio.hpp"
#include "scenarios/generator.hpp"
#include "scenarios/time_text.hpp"

namespace candor::scenarios {

namespace {

namespace fs = std::filesystem;
using domain::Channel;
using domain::ProviderKind;

/// Real time a step may take to settle before the run is declared stuck.
constexpr auto kSettleTimeout = std::chrono::seconds(60);

constexpr char const* kSyniverseUser = "ess-user";
constexpr char const* kSyniversePassword = "ess-password";

/// Forwards webhook callbacks to the current Messenger. The webhook server is
/// built before the Messenger (the fakes need its URL first) and outlives each
/// Messenger across restarts; while none is attached, callbacks are refused
/// by being dropped, as a crashed process would.
class SinkProxy final : public webhooks::WebhookSink {
 public:
  void attach(webhooks::WebhookSink* target) {
    std::lock_guard lock(mutex_);
    target_ = target;
  }

  // webhooks::WebhookSink
  void on_status(domain::StatusUpdate update) override {
    std::lock_guard lock(mutex_);
    if (target_ != nullptr)
      target_->on_status(std::move(update));
  }
  void on_inbound(webhooks::InboundSms message) override {
    std::lock_guard lock(mutex_);
    if (target_ != nullptr)
      target_->on_inbound(std::move(message));
  }

 private:
  std::mutex mutex_;
  webhooks::WebhookSink* target_ = nullptr;
};

/// Thrown while building the world or running a step; becomes
/// ScenarioReport::error.
struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class T>
T take(Result<T> result, std::string_view what) {
  if (!result) {
    throw RunError(fmt::format("{}: {}", what, result.error().to_string()));
  }
  return std::move(result).value();
}

void check(Status const& status, std::string_view what) {
  if (!status) {
    throw RunError(fmt::format("{}: {}", what, status.error().to_string()));
  }
}

/// The world of one scenario run.
class World {
 public:
  World(Scenario const& scenario, std::uint64_t seed, std::string db_path)
      : scenario_(scenario),
        seed_(seed),
        db_path_(std::move(db_path)),
        clock_(scenario.clock.start,
               {.tracker = &tracker_, .settle_timeout = std::chrono::milliseconds(kSettleTimeout)}),
        work_(io_.get_executor()) {}

  ~World() { shutdown(); }
  World(World const&) = delete;
  World& operator=(World const&) = delete;

  void build() {
    io_thread_ = std::thread([this] { io_.run(); });
    build_candidates();
    policy_config_ = merge_policy({}, scenario_.policy);
    policy_config_.day_start_offset =
        std::chrono::duration_cast<std::chrono::minutes>(scenario_.clock.day_start_offset);

    // The webhook server first: the fakes need its URL.
    webhooks::WebhookServerOptions hooks;
    hooks.twilio_auth_token = twilio_token();
    hooks.syniverse_user = kSyniverseUser;
    hooks.syniverse_password = kSyniversePassword;
    webhook_options_ = hooks;
    start_webhooks();

    build_fakes();
    open_core();
  }

  /// Stops the core hard and reopens its store, as a crash and restart would.
  void restart() {
    proxy_.attach(nullptr);
    webhooks_->stop();
    webhooks_.reset();
    messenger_.reset();
    sms_provider_.reset();
    email_provider_.reset();
    policy_.reset();
    store_.reset();
    check_settled(clock_.settle(), "restart");
    start_webhooks();
    open_core();
  }

  void shutdown() {
    proxy_.attach(nullptr);
    if (webhooks_)
      webhooks_->stop();
    if (twilio_)
      twilio_->stop();
    if (syniverse_)
      syniverse_->stop();
    if (generic_)
      generic_->stop();
    if (smtp_)
      smtp_->stop();
    messenger_.reset();
    sms_provider_.reset();
    email_provider_.reset();
    webhooks_.reset();
    work_.reset();
    io_.stop();
    if (io_thread_.joinable())
      io_thread_.join();
  }

  clock::ManualClock& clock() { return clock_; }
  store::Store& store() { return *store_; }
  bool has_store() const { return store_ != nullptr; }
  dispatch::Messenger& messenger() { return *messenger_; }
  std::vector<domain::Candidate> const& candidates() const { return candidates_; }
  std::map<domain::CandidateId, std::vector<std::string>> const& tags() const { return tags_; }

  void settle(std::string const& what) { check_settled(clock_.settle(), what); }

  static void check_settled(bool settled, std::string const& what) {
    if (!settled) {
      throw RunError(fmt::format("{}: work did not finish within {} s of real time", what,
                                 std::chrono::seconds(kSettleTimeout).count()));
    }
  }

  void set_policy(PolicySpec const& patch) {
    policy_config_ = merge_policy(policy_config_, patch);
    check(policy_->update(policy_config_), "set_policy");
  }

  void set_faults(Channel channel, FaultSpec const& faults) { apply_faults(channel, faults); }

  void inbound(InboundStep const& step) {
    if (twilio_) {
      take(twilio_->send_inbound({.from = step.from, .body = step.body}), "inbound");
    } else if (syniverse_) {
      take(syniverse_->inject_inbound(step.from, step.body), "inbound");
    }
  }

  /// API requests each fake has seen.
  std::map<std::string, std::int64_t> provider_requests() {
    std::map<std::string, std::int64_t> out;
    if (twilio_)
      out["twilio"] = static_cast<std::int64_t>(twilio_->server().request_count());
    if (syniverse_)
      out["syniverse"] = static_cast<std::int64_t>(syniverse_->server().request_count());
    if (generic_)
      out["generic"] = static_cast<std::int64_t>(generic_->request_count());
    if (smtp_)
      out["smtp"] = static_cast<std::int64_t>(smtp_->stats().sessions);
    return out;
  }

  std::int64_t requests_of(Channel channel) {
    auto const all = provider_requests();
    auto const& spec =
        channel == Channel::kSms ? scenario_.providers.sms : scenario_.providers.email;
    if (!spec)
      return 0;
    auto it = all.find(std::string(domain::to_string(spec->kind)));
    return it == all.end() ? 0 : it->second;
  }

 private:
  std::string twilio_token() const {
    auto const& sms = scenario_.providers.sms;
    if (sms && !sms->auth_token.empty())
      return sms->auth_token;
    return fakes::twilio::FakeTwilioConfig{}.auth_token;
  }

  void start_webhooks() {
    webhooks_ = std::make_unique<webhooks::WebhookServer>(webhook_options_, proxy_, clock_);
    check(webhooks_->start(), "webhook server");
    // A restart binds the same port again so that the fakes' callback URLs stay valid.
    webhook_options_.port = webhooks_->port();
  }

  static policy::PolicyConfig merge_policy(policy::PolicyConfig config, PolicySpec const& patch) {
    if (patch.allowed_countries)
      config.allowed_countries = *patch.allowed_countries;
    if (patch.blocked_numbers)
      config.blocked_numbers = *patch.blocked_numbers;
    if (patch.blocked_patterns)
      config.blocked_patterns = *patch.blocked_patterns;
    if (patch.candidate_daily_limit)
      config.candidate_daily_limit = *patch.candidate_daily_limit;
    if (patch.application_daily_limit) {
      config.application_daily_limit = *patch.application_daily_limit;
    }
    if (patch.default_region)
      config.default_region = *patch.default_region;
    return config;
  }

  void build_candidates() {
    std::vector<CandidateSpec> specs = scenario_.candidates.list;
    if (scenario_.candidates.generate) {
      auto generated = generate_candidates(*scenario_.candidates.generate, seed_);
      specs.insert(specs.end(), generated.begin(), generated.end());
    }
    std::sort(specs.begin(), specs.end(),
              [](CandidateSpec const& a, CandidateSpec const& b) { return a.id < b.id; });
    for (CandidateSpec const& s : specs) {
      candidates_.push_back(domain::Candidate{.id = s.id,
                                              .candidate_number = s.number,
                                              .first_name = s.first_name,
                                              .last_name = s.last_name,
                                              .email = s.email,
                                              .phone = s.phone,
                                              .sms_opt_out = s.opted_out});
      tags_[s.id] = s.tags;
    }
  }

  void build_fakes() {
    std::string const hooks = webhooks_->base_url();
    if (auto const& sms = scenario_.providers.sms) {
      switch (sms->kind) {
        case ProviderKind::kTwilio:
          build_twilio(*sms, hooks);
          break;
        case ProviderKind::kSyniverse:
          build_syniverse(*sms, hooks);
          break;
        default:
          build_generic();
      }
      apply_faults(Channel::kSms, sms->faults);
    }
    if (auto const& email = scenario_.providers.email) {
      fakes::smtp::FakeSmtpConfig config;
      for (CandidateSpec const& c : rejected_emails(*email)) {
        config.reject_rules.push_back({.address_pattern = escape_regex(c.email)});
      }
      smtp_ = std::make_unique<fakes::smtp::FakeSmtp>(config, clock_, &tracker_);
      check(smtp_->start(), "fake smtp");
      apply_faults(Channel::kEmail, email->faults);
    }
  }

  void build_twilio(ProviderSpec const& spec, std::string const& hooks) {
    fakes::twilio::FakeTwilioConfig config;
    if (!spec.account_sid.empty())
      config.account_sid = spec.account_sid;
    config.auth_token = twilio_token();
    if (!spec.messaging_service_sid.empty())
      config.services[0].sid = spec.messaging_service_sid;
    config.services[0].status_callback = hooks + "/webhooks/twilio/status";
    config.services[0].inbound_url = hooks + "/webhooks/twilio/inbound";
    config.inbound_url = config.services[0].inbound_url;
    config.seed = seed_;
    config.outcomes.clear();
    for (OutcomeSpec const& o : spec.outcomes) {
      int code = 0;
      try {
        code = o.error_code.empty() ? 0 : std::stoi(o.error_code);
      } catch (std::exception const&) {
        throw RunError(
            fmt::format("providers.sms.outcomes: twilio error codes are numbers; got "
                        "\"{}\"",
                        o.error_code));
      }
      config.outcomes.push_back({.outcome = *fakes::twilio::parse_outcome(o.result),
                                 .error_code = code,
                                 .weight = o.weight});
    }
    for (auto const& [status, delay] : spec.callback_delays) {
      if (status == "queued")
        config.delays.queued = delay;
      if (status == "sent" || status == "failed")
        config.delays.sent = delay;
      if (status == "delivered" || status == "undelivered")
        config.delays.final = delay;
    }
    twilio_ = std::make_unique<fakes::twilio::FakeTwilio>(clock_, config, &tracker_);
    check(twilio_->start(), "fake twilio");
  }

  void build_syniverse(ProviderSpec const& spec, std::string const& hooks) {
    fakes::syniverse::FakeSyniverseConfig config;
    if (!spec.auth_token.empty())
      config.tokens = {spec.auth_token};
    config.seed = seed_;
    config.mix = {0, 0, 0};
    std::vector<std::string> codes;
    for (OutcomeSpec const& o : spec.outcomes) {
      if (o.result == "delivered" || o.result == "sent")
        config.mix.delivered += o.weight;
      if (o.result == "failed")
        config.mix.failed += o.weight;
      if (o.result == "expired")
        config.mix.expired += o.weight;
      if (!o.error_code.empty())
        codes.push_back(o.error_code);
    }
    if (!codes.empty())
      config.failure_codes = codes;
    for (auto const& [status, delay] : spec.callback_delays) {
      if (status == "sent")
        config.sent_delay = delay;
      if (status != "sent")
        config.final_delay = delay;
    }
    config.delivery = {.url = hooks + "/webhooks/syniverse/events",
                       .username = kSyniverseUser,
                       .password = kSyniversePassword};
    config.event_faults = {.drop = spec.faults.drop_callbacks,
                           .duplicate = spec.faults.duplicate_callbacks,
                           .delay = spec.faults.reorder_callbacks};
    syniverse_ = std::make_unique<fakes::syniverse::FakeSyniverse>(config, clock_, &tracker_);
    check(syniverse_->start(), "fake syniverse");
  }

  void build_generic() {
    generic_ = std::make_unique<fakes::http::HttpServer>(
        clock_, fakes::http::ServerOptions{.log_name = "fake.generic"}, &tracker_);
    auto counter = std::make_shared<std::atomic<std::int64_t>>(0);
    generic_->route("POST", "/messages", [counter](fakes::http::Request const&) {
      return fakes::http::Response::json(200, fmt::format(R"({{"id":"GEN-{}"}})", ++*counter));
    });
    check(generic_->start(), "fake generic");
  }

  /// Candidates whose e-mail the SMTP fake refuses, drawn by weight per candidate.
  std::vector<CandidateSpec> rejected_emails(ProviderSpec const& spec) const {
    std::vector<double> weights;
    for (OutcomeSpec const& o : spec.outcomes)
      weights.push_back(o.weight);
    std::vector<CandidateSpec> out;
    for (domain::Candidate const& c : candidates_) {
      SeededRandom random(mix_seed(seed_, static_cast<std::uint64_t>(c.id)));
      if (!c.email.empty() && spec.outcomes[random.pick(weights)].result == "rejected") {
        out.push_back(CandidateSpec{.id = c.id, .email = c.email});
      }
    }
    return out;
  }

  static std::string escape_regex(std::string const& text) {
    std::string out;
    for (char c : text) {
      if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos)
        out += '\\';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
  }

  fakes::http::HttpServer* api_server(Channel channel) {
    if (channel == Channel::kEmail)
      return nullptr;
    if (twilio_)
      return &twilio_->server();
    if (syniverse_)
      return &syniverse_->server();
    return generic_.get();
  }

  void apply_faults(Channel channel, FaultSpec const& faults) {
    if (channel == Channel::kEmail) {
      if (!smtp_)
        return;
      smtp_->set_latency(faults.latency, clock::Duration(0));
      for (BurstSpec const& b : faults.bursts) {
        smtp_->fail_next_sessions(static_cast<int>(b.count), 421);
      }
      return;
    }

    fakes::http::HttpServer* server = api_server(channel);
    if (server == nullptr)
      return;
    // Limitation: latency faults are refused — the Messenger holds its work scope
    // across a provider exchange that the fake delays on the manual clock, so
    // settling before the clock moves would wait forever.
    if (faults.latency.count() != 0) {
      throw RunError(
          "faults.latency: API latency on a manual clock is not supported by the runner yet; "
          "use callback_delays or bursts");
    }
    server->clear_faults();
    server->set_latency(faults.latency);
    auto const base = static_cast<std::int64_t>(server->request_count());
    for (BurstSpec const& b : faults.bursts) {
      for (std::int64_t i = 0; i < b.count; ++i) {
        server->script_fault(
            static_cast<std::uint64_t>(base + b.start_request + i),
            fakes::http::Fault::with_status(b.http_status, error_body(b.http_status)));
      }
    }
    for (std::int64_t n : faults.reset_requests) {
      server->script_fault(static_cast<std::uint64_t>(base + n), fakes::http::Fault::reset());
    }
    if (twilio_) {
      check(twilio_->set_callback_faults({.duplicate_rate = faults.duplicate_callbacks,
                                          .drop_rate = faults.drop_callbacks,
                                          .reorder_rate = faults.reorder_callbacks}),
            "faults");
    }
  }

  std::string error_body(int status) const {
    if (twilio_) {
      int const code = status == 429 ? 20429 : 20500;
      return fmt::format(R"({{"code":{},"message":"fault injected by the scenario","status":{}}})",
                         code, status);
    }
    if (syniverse_) {
      return status == 429 ? R"({"error_code":"SCG_ERROR_1039","error_description":"throttled"})"
                           : R"({"error_code":"SCG_ERROR_5000","error_description":"outage"})";
    }
    return R"({"error":"fault injected by the scenario"})";
  }

  void open_core() {
    store_ = take(store::Store::open(db_path_), "store");
    check(store_->upsert_candidates(candidates_), "candidates");
    policy_ = take(policy::SendPolicy::create(policy_config_), "policy");

    providers::HttpClientOptions http{.max_attempts = 1, .tracker = &tracker_};
    if (twilio_) {
      http.provider = "twilio";
      auto const& config = twilio_->config();
      sms_provider_ =
          take(providers::TwilioProvider::create({.base_url = twilio_->base_url(),
                                                  .account_sid = config.account_sid,
                                                  .auth_token = config.auth_token,
                                                  .messaging_service_sid = config.services[0].sid,
                                                  .http = http},
                                                 io_, clock_),
               "twilio provider");
    } else if (syniverse_) {
      http.provider = "syniverse";
      sms_provider_ = take(
          providers::SyniverseProvider::create({.base_url = syniverse_->base_url(),
                                                .access_token = syniverse_->token(),
                                                .channel_id = syniverse_->config().channels.at(0),
                                                .http = http},
                                               io_, clock_),
          "syniverse provider");
    } else if (generic_) {
      http.provider = "generic";
      sms_provider_ =
          take(providers::GenericProvider::create(
                   {.url = generic_->base_url() + "/messages", .id_field = "id", .http = http}, io_,
                   clock_),
               "generic provider");
    }
    if (smtp_) {
      email_provider_ = take(
          providers::SmtpProvider::create(
              {.port = smtp_->port(), .from_address = "jobs@candor.test", .tracker = &tracker_},
              io_, clock_),
          "smtp provider");
    }

    messenger_ = std::make_unique<dispatch::Messenger>(
        *store_, *policy_, clock_,
        dispatch::Providers{.sms = sms_provider_.get(), .email = email_provider_.get()},
        // One provider call at a time: fakes number their requests, so a burst or
        // a reset scripted for request N must always meet the same message.
        // Virtual time does not pass during a call, so this costs no virtual
        // throughput.
        dispatch::MessengerOptions{.seed = seed_,
                                   .max_in_flight = 1,
                                   .default_region = policy_config_.default_region,
                                   .tracker = &tracker_});
    check(messenger_->start(), "messenger");
    proxy_.attach(messenger_.get());
    settle("start");
  }

  Scenario const& scenario_;
  std::uint64_t seed_;
  std::string db_path_;
  clock::WorkTracker tracker_;
  clock::ManualClock clock_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread io_thread_;

  std::vector<domain::Candidate> candidates_;
  std::map<domain::CandidateId, std::vector<std::string>> tags_;
  policy::PolicyConfig policy_config_;
  webhooks::WebhookServerOptions webhook_options_;
  SinkProxy proxy_;

  std::unique_ptr<fakes::twilio::FakeTwilio> twilio_;
  std::unique_ptr<fakes::syniverse::FakeSyniverse> syniverse_;
  std::unique_ptr<fakes::http::HttpServer> generic_;
  std::unique_ptr<fakes::smtp::FakeSmtp> smtp_;

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<policy::SendPolicy> policy_;
  std::unique_ptr<providers::Provider> sms_provider_;
  std::unique_ptr<providers::Provider> email_provider_;
  std::unique_ptr<webhooks::WebhookServer> webhooks_;
  std::unique_ptr<dispatch::Messenger> messenger_;
};

/// Executes steps against a World and collects expectation results.
class Execution {
 public:
  Execution(Scenario const& scenario, World& world, reports::ScenarioReport& report)
      : scenario_(scenario), world_(world), report_(report) {}

  void run(RunOptions const& options) {
    for (std::size_t i = 0; i < scenario_.steps.size(); ++i) {
      Step const& step = scenario_.steps[i];
      if (options.on_step)
        options.on_step(i, scenario_.steps.size(), step.label);
      index_ = static_cast<int>(i);
      step_ = &step;
      std::visit([this](auto const& body) { execute(body); }, step.body);
    }
  }

 private:
  void add(std::string label, bool passed, std::string expected, std::string actual,
           std::string detail = {}) {
    report_.expectations.push_back(reports::ExpectationResult{
        .step_index = index_,
        .label = std::move(label),
        .passed = passed,
        .expected = std::move(expected),
        .actual = std::move(actual),
        .detail = detail.empty() ? step_->mark.to_string()
                                 : fmt::format("{}: {}", step_->mark.to_string(), detail)});
  }

  std::vector<domain::CandidateId> select(Selector const& selector) const {
    std::vector<domain::CandidateId> ids;
    for (domain::Candidate const& c : world_.candidates()) {
      bool take = selector.kind == Selector::Kind::kAll || selector.kind == Selector::Kind::kFirst;
      if (selector.kind == Selector::Kind::kTag) {
        auto const& tags = world_.tags().at(c.id);
        take = std::find(tags.begin(), tags.end(), selector.tag) != tags.end();
      }
      if (take)
        ids.push_back(c.id);
      if (selector.kind == Selector::Kind::kFirst &&
          static_cast<std::int64_t>(ids.size()) >= selector.first) {
        break;
      }
    }
    return selector.kind == Selector::Kind::kIds ? selector.ids : ids;
  }

  void request_outcome(std::string const& kind, Status const& status,
                       std::optional<std::string> const& expect_error) {
    if (expect_error) {
      bool const matched =
          !status && status.error().message.find(*expect_error) != std::string::npos;
      add(kind + " error", matched, fmt::format("an error containing \"{}\"", *expect_error),
          status ? "success" : status.error().message);
    } else if (!status) {
      add(kind, false, "success", status.error().to_string());
    }
  }

  void execute(SendMessageStep const& s) {
    dispatch::SendRequest request{.channel = s.channel,
                                  .context = s.context,
                                  .subject = s.subject,
                                  .body = s.body,
                                  .variables = s.variables,
                                  .candidates = select(s.candidates)};
    auto result = world_.messenger().send_message(request);
    request_outcome("send_message", result ? ok_status() : Status(result.error()), s.expect_error);
    world_.settle(step_->label);
  }

  void execute(ComposeStep const& s) {
    dispatch::SendRequest request{.channel = s.channel,
                                  .context = s.context,
                                  .subject = s.subject,
                                  .body = s.body,
                                  .variables = s.variables,
                                  .candidates = {s.candidate}};
    auto result = world_.messenger().compose(request);
    request_outcome("compose", result ? ok_status() : Status(result.error()), s.expect_error);
    world_.settle(step_->label);
  }

  void execute(InboundStep const& s) {
    world_.inbound(s);
    world_.settle(step_->label);
  }

  void execute(AdvanceStep const& s) {
    auto& clock = world_.clock();
    bool const settled =
        s.until ? clock.advance_to(*s.until) : clock.advance(s.by.value_or(Duration(0)));
    World::check_settled(settled, step_->label);
  }

  void execute(SetPolicyStep const& s) { world_.set_policy(s.policy); }

  void execute(SetFaultsStep const& s) {
    if (s.sms)
      world_.set_faults(Channel::kSms, *s.sms);
    if (s.email)
      world_.set_faults(Channel::kEmail, *s.email);
  }

  void execute(RestartStep const&) { world_.restart(); }

  void execute(ExpectStep const& e) {
    world_.settle(step_->label);
    auto messages = take(world_.store().all_messages(), "messages");

    std::map<domain::Status, std::int64_t> by_status;
    std::map<domain::BlockReason, std::int64_t> by_reason;
    for (domain::Message const& m : messages) {
      ++by_status[m.status];
      if (m.status == domain::Status::kBlocked)
        ++by_reason[m.block_reason];
    }
    for (auto const& [status, want] : e.status) {
      std::int64_t const got = by_status[status];
      add(fmt::format("status.{}", domain::to_string(status)), want.holds(got), want.describe(),
          std::to_string(got));
    }
    for (auto const& [reason, want] : e.blocked) {
      std::int64_t const got = by_reason[reason];
      add(fmt::format("blocked.{}", domain::to_string(reason)), want.holds(got), want.describe(),
          std::to_string(got));
    }
    if (e.total) {
      auto const got = static_cast<std::int64_t>(messages.size());
      add("total", e.total->holds(got), e.total->describe(), std::to_string(got));
    }

    for (LastContactedCheck const& c : e.last_contacted)
      check_last_contacted(c);
    for (MessagesTabCheck const& c : e.messages_tab)
      check_tab(c);
    for (HistoryCheck const& h : e.history)
      check_history(h, messages);
    if (e.nothing_lost)
      check_nothing_lost(messages);
    for (ProviderRequestsCheck const& r : e.provider_requests) {
      std::int64_t const got = world_.requests_of(r.channel);
      add(fmt::format("provider_requests.{}", domain::to_string(r.channel)), r.count.holds(got),
          r.count.describe(), std::to_string(got));
    }
    if (e.throughput)
      check_throughput(*e.throughput, messages);
  }

  void check_last_contacted(LastContactedCheck const& c) {
    auto candidate = take(world_.store().find_candidate(c.candidate), "candidate");
    std::optional<TimePoint> const at = candidate ? candidate->last_contacted : std::nullopt;
    std::string const actual = at ? format_iso_time(*at) : "unset";
    std::string const label = fmt::format("last_contacted.{}", c.candidate);
    switch (c.kind) {
      case LastContactedCheck::Kind::kSet:
        add(label, at.has_value(), "set", actual);
        break;
      case LastContactedCheck::Kind::kUnset:
        add(label, !at.has_value(), "unset", actual);
        break;
      case LastContactedCheck::Kind::kEquals:
        add(label, at == c.at, format_iso_time(c.at), actual);
        break;
    }
  }

  static std::string tab_entry(domain::Message const& m) {
    return fmt::format("{} {} {}", domain::to_string(m.channel),
                       m.direction == domain::Direction::kOutbound ? "out" : "in",
                       domain::to_string(m.status));
  }

  static std::string join(std::vector<std::string> const& items) {
    std::string out;
    for (std::string const& item : items)
      out += out.empty() ? item : ", " + item;
    return "[" + out + "]";
  }

  void check_tab(MessagesTabCheck const& c) {
    auto page = take(world_.store().messages_tab(c.candidate, "", 10000), "messages tab");
    std::vector<std::string> actual;
    for (domain::Message const& m : page.items)
      actual.push_back(tab_entry(m));

    // Each expected entry may be a prefix ("sms", "sms out") of the actual one.
    bool passed = actual.size() == c.entries.size();
    for (std::size_t i = 0; passed && i < actual.size(); ++i) {
      passed = actual[i].rfind(c.entries[i], 0) == 0;
    }
    add(fmt::format("messages_tab.{}", c.candidate), passed, join(c.entries), join(actual));
  }

  void check_history(HistoryCheck const& h, std::vector<domain::Message> const& messages) {
    std::vector<domain::Message const*> own;
    for (domain::Message const& m : messages) {
      if (m.candidate_id == h.candidate && m.direction == domain::Direction::kOutbound) {
        own.push_back(&m);
      }
    }
    std::string const label = fmt::format("history.{}[{}]", h.candidate, h.index);
    int const n = static_cast<int>(own.size());
    int const i = h.index < 0 ? n + h.index : h.index;
    if (i < 0 || i >= n) {
      add(label, false, "a message at that index", fmt::format("{} outbound messages", n));
      return;
    }
    domain::Message const& m = *own[static_cast<std::size_t>(i)];

    std::vector<std::string> raw;
    std::vector<std::string> shown;
    for (domain::StatusEvent const& ev : m.history) {
      raw.push_back(ev.raw_status);
      std::string const s(domain::to_string(ev.status));
      if (shown.empty() || shown.back() != s)
        shown.push_back(s);
    }
    if (!h.raw.empty()) {
      add(label + ".raw", raw == h.raw, join(h.raw), join(raw), fmt::format("message {}", m.id));
    }
    if (!h.shown.empty()) {
      add(label + ".shown", shown == h.shown, join(h.shown), join(shown),
          fmt::format("message {}", m.id));
    }
  }

  void check_nothing_lost(std::vector<domain::Message> const& messages) {
    std::vector<std::string> lost;
    for (domain::Message const& m : messages) {
      if (m.direction == domain::Direction::kOutbound && m.status == domain::Status::kQueued) {
        lost.push_back(std::to_string(m.id));
      }
    }
    auto outbox = take(world_.store().pending_outbox(), "outbox");
    std::string detail;
    if (!lost.empty()) {
      detail = fmt::format("still queued: messages {}", join(lost));
    }
    add("nothing_lost", lost.empty() && outbox.empty(), "every admitted message Sent or final",
        fmt::format("{} queued, {} in the outbox", lost.size(), outbox.size()), detail);
  }

  void check_throughput(ThroughputCheck const& t, std::vector<domain::Message> const& messages) {
    std::int64_t done = 0;
    for (domain::Message const& m : messages) {
      bool const reached = m.status == domain::Status::kSent ||
                           m.status == domain::Status::kDelivered ||
                           m.status == domain::Status::kFailed;
      done += (m.direction == domain::Direction::kOutbound && reached) ? 1 : 0;
    }
    if (t.min_per_virtual_second) {
      double const seconds =
          std::chrono::duration<double>(world_.clock().now() - scenario_.clock.start).count();
      double const rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
      add("throughput.virtual", rate >= *t.min_per_virtual_second,
          fmt::format(">= {:.1f}/s", *t.min_per_virtual_second), fmt::format("{:.1f}/s", rate));
    }
    if (t.min_per_wall_second) {
      double const seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
      double const rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
      // Wall-clock figures vary between runs; the detail says so for readers
      // comparing two reports.
      add("throughput.wall", rate >= *t.min_per_wall_second,
          fmt::format(">= {:.1f}/s", *t.min_per_wall_second),
          rate >= *t.min_per_wall_second ? "met" : fmt::format("{:.1f}/s", rate),
          "wall-clock measurement");
    }
  }

  Scenario const& scenario_;
  World& world_;
  reports::ScenarioReport& report_;
  int index_ = 0;
  Step const* step_ = nullptr;
  std::chrono::steady_clock::time_point wall_start_ = std::chrono::steady_clock::now();
};

/// Timelines, counts and request totals from the store and the fakes.
void fill_report(World& world, reports::ScenarioReport& report) {
  report.virtual_end_ms = clock::to_unix_ms(world.clock().now());
  if (!world.has_store()) {
    return;
  }
  std::map<domain::CandidateId, std::string> numbers;
  for (domain::Candidate const& c : world.candidates())
    numbers[c.id] = c.candidate_number;

  auto messages = take(world.store().all_messages(), "messages");
  for (domain::Message const& m : messages) {
    reports::MessageTimeline t;
    t.message_id = std::to_string(m.id);
    t.candidate = m.candidate_id ? numbers[*m.candidate_id] : "";
    t.channel = std::string(domain::to_string(m.channel));
    t.provider = m.provider;
    t.final_status = std::string(domain::to_string(m.status));
    if (m.status == domain::Status::kBlocked) {
      t.block_reason = std::string(domain::to_string(m.block_reason));
    }
    for (domain::StatusEvent const& ev : m.history) {
      t.events.push_back({.virtual_ms = clock::to_unix_ms(ev.at),
                          .raw_status = ev.raw_status,
                          .status = std::string(domain::to_string(ev.status)),
                          .error_code = ev.error_code});
    }
    report.timelines.push_back(std::move(t));
  }
  report.provider_requests = world.provider_requests();
  report.virtual_end_ms = clock::to_unix_ms(world.clock().now());
}

std::string fresh_work_dir() {
  static std::atomic<int> counter{0};
  auto const stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  return (fs::temp_directory_path() /
          fmt::format("candor-run-{}-{}-{}", ::getpid(), stamp, counter.fetch_add(1)))
      .string();
}

}  // namespace

reports::ScenarioReport run_scenario(Scenario const& scenario, RunOptions const& options) {
  auto const wall_start = std::chrono::steady_clock::now();
  std::uint64_t const seed = options.seed.value_or(scenario.seed);
  reports::ScenarioReport report;
  report.name = scenario.name;
  report.file = scenario.file;
  report.description = scenario.description;
  report.seed = seed;
  report.virtual_start_ms = clock::to_unix_ms(scenario.clock.start);
  report.virtual_end_ms = report.virtual_start_ms;

  std::string const dir = options.work_dir.empty() ? fresh_work_dir() : options.work_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  try {
    World world(scenario, seed, (fs::path(dir) / "candor.db").string());
    try {
      world.build();
      Execution(scenario, world, report).run(options);
    } catch (RunError const& e) {
      report.error = e.what();
    }
    // Whatever happened, the report shows what the store holds.
    try {
      fill_report(world, report);
    } catch (std::exception const& e) {
      if (report.error.empty())
        report.error = e.what();
    }
    world.shutdown();
  } catch (std::exception const& e) {
    report.error = fmt::format("cannot build the scenario's world: {}", e.what());
  }
  if (!options.keep_files && options.work_dir.empty()) {
    fs::remove_all(dir, ec);
  }

  reports::derive_from_timelines(report);
  report.passed = report.error.empty() &&
                  std::all_of(report.expectations.begin(), report.expectations.end(),
                              [](reports::ExpectationResult const& r) { return r.passed; });
  report.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - wall_start)
                       .count();
  return report;
}

}  // namespace candor::scenarios
