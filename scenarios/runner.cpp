#include "scenarios/runner.hpp"

#include <utility>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>

#include "core/dispatch/messenger.hpp"
#include "core/policy/send_policy.hpp"
#include "core/store/store.hpp"
#include "fakes/http/server.hpp"
#include "scenarios/generator.hpp"
#include "scenarios/time_text.hpp"
#include "scenarios/world.hpp"

namespace candor::scenarios {

namespace {

namespace fs = std::filesystem;
using domain::Channel;
using domain::ProviderKind;

/// Real time a step may take to settle before the run is declared stuck.
constexpr auto kSettleTimeout = std::chrono::seconds(60);

/// Thrown when the run itself breaks (a port, a fake, the store); becomes
/// ScenarioReport::error with kind kRunError.
struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Thrown when the scenario's own content turns out to be unusable at run time
/// (the loader catches these cases; this is the net behind it). The message
/// names the step. Becomes ScenarioReport::error with kind kInputError.
struct InputError : std::runtime_error {
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

/// Like check(), but a step that did not settle says so in the runner's words.
void check_settled(Status const& status, std::string_view what) {
  if (!status && status.error().code == Errc::kDeadlineExceeded) {
    throw RunError(fmt::format("{}: work did not finish within {} s of real time", what,
                               kSettleTimeout.count()));
  }
  check(status, what);
}

// ---------------------------------------------------------------------------
// The scenario's candidates

/// The candidates of a run, sorted by id, and the tags selectors match.
struct Cast {
  std::vector<domain::Candidate> candidates;
  std::map<domain::CandidateId, std::vector<std::string>> tags;
  std::map<domain::CandidateId, std::string> numbers;
};

Cast build_cast(Scenario const& scenario, std::uint64_t seed) {
  std::vector<CandidateSpec> specs = scenario.candidates.list;
  if (scenario.candidates.generate) {
    auto generated = generate_candidates(*scenario.candidates.generate, seed);
    specs.insert(specs.end(), generated.begin(), generated.end());
  }
  std::sort(specs.begin(), specs.end(),
            [](CandidateSpec const& a, CandidateSpec const& b) { return a.id < b.id; });

  Cast cast;
  for (CandidateSpec const& s : specs) {
    cast.candidates.push_back(domain::Candidate{.id = s.id,
                                                .candidate_number = s.number,
                                                .first_name = s.first_name,
                                                .last_name = s.last_name,
                                                .email = s.email,
                                                .phone = s.phone,
                                                .sms_opt_out = s.opted_out});
    cast.tags[s.id] = s.tags;
    cast.numbers[s.id] = s.number;
  }
  return cast;
}

/// One stored message as the report shows it.
reports::MessageTimeline to_timeline(domain::Message const& m, Cast const& cast) {
  reports::MessageTimeline t;
  t.message_id = std::to_string(m.id);
  if (m.candidate_id) {
    auto const it = cast.numbers.find(*m.candidate_id);
    t.candidate = it == cast.numbers.end() ? "" : it->second;
  }
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
  return t;
}

// ---------------------------------------------------------------------------
// WorldOptions from the scenario

/// A number the loader has checked; a failure here is unusable input.
int checked_code(std::string const& code, std::string_view path) {
  if (code.empty()) {
    return 0;
  }
  int value = 0;
  auto const [end, ec] = std::from_chars(code.data(), code.data() + code.size(), value);
  if (ec != std::errc() || end != code.data() + code.size()) {
    throw InputError(fmt::format("{}: expected a numeric error code; got \"{}\"", path, code));
  }
  return value;
}

void configure_twilio(ProviderSpec const& spec, std::uint64_t seed, WorldOptions& options) {
  auto& config = options.fake_twilio;
  if (!spec.account_sid.empty()) {
    config.account_sid = spec.account_sid;
  }
  if (!spec.auth_token.empty()) {
    config.auth_token = spec.auth_token;
  }
  if (!spec.messaging_service_sid.empty()) {
    config.services.at(0).sid = spec.messaging_service_sid;
  }
  config.seed = seed;

  config.outcomes.clear();
  for (OutcomeSpec const& o : spec.outcomes) {
    auto const outcome = fakes::twilio::parse_outcome(o.result);
    if (!outcome) {
      throw InputError(
          fmt::format("providers.sms.outcomes: the twilio fake has no outcome \"{}\"", o.result));
    }
    config.outcomes.push_back({.outcome = *outcome,
                               .error_code = checked_code(o.error_code, "providers.sms.outcomes"),
                               .weight = o.weight});
  }

  // The fake has one delay per stage: accepted -> queued, queued -> sent|failed,
  // sent -> delivered|undelivered (the loader refuses two values for one stage).
  for (auto const& [status, delay] : spec.callback_delays) {
    if (status == "queued") {
      config.delays.queued = delay;
    } else if (status == "sent" || status == "failed") {
      config.delays.sent = delay;
    } else {
      config.delays.final = delay;
    }
  }
}

void configure_syniverse(ProviderSpec const& spec, std::uint64_t seed, WorldOptions& options) {
  auto& config = options.fake_syniverse;
  if (!spec.auth_token.empty()) {
    config.tokens = {spec.auth_token};
  }
  config.seed = seed;

  // The fake draws delivered/failed/expired by weight and a failed message's
  // reason evenly among the codes; the loader allows per-outcome codes only
  // where that is the same thing.
  config.mix = {0, 0, 0};
  std::vector<std::string> codes;
  for (OutcomeSpec const& o : spec.outcomes) {
    if (o.result == "delivered") {
      config.mix.delivered += o.weight;
    } else if (o.result == "failed") {
      config.mix.failed += o.weight;
      if (!o.error_code.empty()) {
        codes.push_back(o.error_code);
      }
    } else if (o.result == "expired") {
      config.mix.expired += o.weight;
    } else {
      throw InputError(fmt::format(
          "providers.sms.outcomes: the syniverse fake has no outcome \"{}\"", o.result));
    }
  }
  if (!codes.empty()) {
    config.failure_codes = codes;
  }

  for (auto const& [status, delay] : spec.callback_delays) {
    if (status == "sent") {
      config.sent_delay = delay;
    } else {
      config.final_delay = delay;
    }
  }
  // Syniverse fixes its event faults when the fake starts (the loader refuses
  // them in set_faults).
  config.event_faults = {.drop = spec.faults.drop_callbacks,
                         .duplicate = spec.faults.duplicate_callbacks,
                         .delay = spec.faults.reorder_callbacks};
}

std::string escape_regex(std::string const& text) {
  std::string out;
  for (char c : text) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

/// The SMTP fake refuses the e-mail of candidates drawn "rejected", by weight
/// and per candidate, so the draw does not depend on the order of sends.
void configure_smtp(ProviderSpec const& spec, Cast const& cast, std::uint64_t seed,
                    WorldOptions& options) {
  std::vector<double> weights;
  for (OutcomeSpec const& o : spec.outcomes) {
    weights.push_back(o.weight);
  }
  for (domain::Candidate const& c : cast.candidates) {
    if (c.email.empty() || spec.outcomes.empty()) {
      continue;
    }
    SeededRandom random(mix_seed(seed, static_cast<std::uint64_t>(c.id)));
    OutcomeSpec const& drawn = spec.outcomes[random.pick(weights)];
    if (drawn.result == "rejected") {
      options.fake_smtp.reject_rules.push_back(
          {.address_pattern = escape_regex(c.email),
           .code = checked_code(drawn.error_code, "providers.email.outcomes")});
    }
  }
}

WorldOptions world_options(Scenario const& scenario, std::uint64_t seed, Cast const& cast,
                           std::string store_path) {
  WorldOptions options{.start = scenario.clock.start,
                       .settle_timeout = kSettleTimeout,
                       .store_path = std::move(store_path),
                       .candidates = cast.candidates,
                       .sms = SmsChoice::kNone,
                       .email = false};
  options.policy = apply_policy({}, scenario.policy);
  options.policy.day_start_offset =
      std::chrono::duration_cast<std::chrono::minutes>(scenario.clock.day_start_offset);
  if (auto refused = policy::SendPolicy::create(options.policy); !refused) {
    throw InputError(fmt::format("policy: {}", refused.error().message));
  }

  if (auto const& sms = scenario.providers.sms) {
    switch (sms->kind) {
      case ProviderKind::kTwilio:
        options.sms = SmsChoice::kTwilio;
        configure_twilio(*sms, seed, options);
        break;
      case ProviderKind::kSyniverse:
        options.sms = SmsChoice::kSyniverse;
        configure_syniverse(*sms, seed, options);
        break;
      default:
        options.sms = SmsChoice::kGeneric;
    }
  }
  if (auto const& email = scenario.providers.email) {
    options.email = true;
    configure_smtp(*email, cast, seed, options);
  }

  // One provider call at a time: fakes number their requests, so a burst or a
  // reset scripted for request N must always meet the same message. Virtual
  // time does not pass during a call, so this costs no virtual throughput.
  // (The World's HTTP clients already make one attempt per send; the Messenger
  // owns retries.)
  options.messenger = dispatch::MessengerOptions{.seed = seed, .max_in_flight = 1};
  return options;
}

// ---------------------------------------------------------------------------
// Faults and request totals of the running fakes

/// The HTTP server behind the SMS fake; nullptr without one.
fakes::http::HttpServer* sms_api_server(World& world) {
  if (auto* twilio = world.twilio()) {
    return &twilio->server();
  }
  if (auto* syniverse = world.syniverse()) {
    return &syniverse->server();
  }
  if (auto* generic = world.generic()) {
    return &generic->server();
  }
  return nullptr;
}

/// A scripted HTTP error in the shape the provider's side gives it.
fakes::http::Fault error_fault(World& world, int status) {
  // 502 and 504 come from the gateway in front of an API, which answers with a
  // page of its own rather than the provider's JSON error.
  if (status == 502 || status == 504) {
    return fakes::http::Fault::with_status(
        status,
        fmt::format("<html><body><h1>{} {}</h1></body></html>\n", status,
                    status == 502 ? "Bad Gateway" : "Gateway Timeout"),
        "text/html; charset=utf-8");
  }
  if (world.twilio() != nullptr) {
    // Twilio's error dictionary: 20429 Too Many Requests, 20500 Internal Server
    // Error, 20503 Service Unavailable.
    int const code = status == 429 ? 20429 : status == 503 ? 20503 : 20500;
    char const* const message = status == 429   ? "Too Many Requests"
                                : status == 503 ? "Service Unavailable"
                                                : "Internal Server Error";
    return fakes::http::Fault::with_status(
        status, fmt::format(R"({{"code":{0},"message":"{1}","more_info":)"
                            R"("https://www.twilio.com/docs/errors/{0}","status":{2}}})",
                            code, message, status));
  }
  if (world.syniverse() != nullptr) {
    char const* const body =
        status == 429 ? R"({"error_code":"SCG_ERROR_1039","error_description":"Throttled"})"
        : status == 503
            ? R"({"error_code":"SCG_ERROR_5030","error_description":"Service unavailable"})"
            : R"({"error_code":"SCG_ERROR_5000","error_description":"Internal error"})";
    return fakes::http::Fault::with_status(status, body);
  }
  return fakes::http::Fault::with_status(
      status, fmt::format(R"({{"error":"fault injected by the scenario","status":{}}})", status));
}

void apply_email_faults(fakes::smtp::FakeSmtp& smtp, FaultSpec const& faults) {
  // Both calls replace what was scripted before, as set_faults promises.
  smtp.fail_next_sessions(0, 421);
  smtp.drop_next_sessions(0, fakes::smtp::DropPoint::kOnConnect);
  // The loader allows one burst from session 1, or resets of sessions 1..n.
  if (!faults.bursts.empty()) {
    smtp.fail_next_sessions(static_cast<int>(faults.bursts.front().count),
                            faults.bursts.front().status);
  }
  if (!faults.reset_requests.empty()) {
    smtp.drop_next_sessions(static_cast<int>(faults.reset_requests.size()),
                            fakes::smtp::DropPoint::kOnConnect);
  }
}

/// Scripts the bursts and resets of `faults` on `server`, request numbers
/// counted from its next request.
///
/// Bursts that follow each other from request 1 go into the server's queue of
/// faults for its next requests, one entry per burst. The server has no such
/// queue starting later, so a burst that starts later is scripted request by
/// request.
/// Limitation: a burst that does not start at request 1 (or right after such a
/// burst) costs one scripted entry per request — the fakes' HttpServer takes
/// faults for "the next N requests" or for one request number, not for a range
/// starting later; the loader bounds the bursts of one fault set to
/// kMaxBurstRequests requests together (pinned by the runner test
/// BurstsHitTheirRequestsWithTheProvidersOwnErrors).
void script_requests(World& world, fakes::http::HttpServer& server, FaultSpec const& faults) {
  auto const base = static_cast<std::uint64_t>(server.request_count());
  std::vector<BurstSpec> bursts = faults.bursts;
  std::sort(bursts.begin(), bursts.end(), [](BurstSpec const& a, BurstSpec const& b) {
    return a.start_request < b.start_request;
  });
  std::set<std::int64_t> const resets(faults.reset_requests.begin(), faults.reset_requests.end());
  auto resets_within = [&](std::int64_t first, std::int64_t last) {
    return static_cast<std::int64_t>(
        std::distance(resets.lower_bound(first), resets.upper_bound(last)));
  };

  std::int64_t next = 1;
  std::size_t i = 0;
  for (; i < bursts.size() && bursts[i].start_request == next; ++i) {
    BurstSpec const& b = bursts[i];
    std::int64_t const last = b.start_request + b.count - 1;
    // A scripted reset answers its request without taking from the queue, so
    // the queue covers the burst's other requests.
    auto const queued = b.count - resets_within(b.start_request, last);
    if (queued > 0) {
      server.fail_next(static_cast<std::size_t>(queued), error_fault(world, b.status));
    }
    next = last + 1;
  }
  for (; i < bursts.size(); ++i) {
    BurstSpec const& b = bursts[i];
    auto const fault = error_fault(world, b.status);
    for (std::int64_t n = b.start_request; n < b.start_request + b.count; ++n) {
      if (resets.count(n) == 0) {
        server.script_fault(base + static_cast<std::uint64_t>(n), fault);
      }
    }
  }
  for (std::int64_t n : resets) {
    server.script_fault(base + static_cast<std::uint64_t>(n), fakes::http::Fault::reset());
  }
}

/// Replaces the faults of a channel's fake. Request numbers count from the
/// fake's next request.
void apply_faults(World& world, Channel channel, FaultSpec const& faults) {
  if (channel == Channel::kEmail) {
    if (auto* smtp = world.smtp()) {
      apply_email_faults(*smtp, faults);
    }
    return;
  }

  fakes::http::HttpServer* server = sms_api_server(world);
  if (server == nullptr) {
    return;
  }
  server->clear_faults();
  script_requests(world, *server, faults);

  if (auto* twilio = world.twilio()) {
    if (auto set = twilio->set_callback_faults({.duplicate_rate = faults.duplicate_callbacks,
                                                .drop_rate = faults.drop_callbacks,
                                                .reorder_rate = faults.reorder_callbacks});
        !set) {
      throw InputError(fmt::format("faults: {}", set.error().message));
    }
  }
}

/// API requests each fake has seen (SMTP: sessions).
std::map<std::string, std::int64_t> provider_requests(World& world) {
  std::map<std::string, std::int64_t> out;
  if (auto* twilio = world.twilio()) {
    out["twilio"] = static_cast<std::int64_t>(twilio->server().request_count());
  }
  if (auto* syniverse = world.syniverse()) {
    out["syniverse"] = static_cast<std::int64_t>(syniverse->server().request_count());
  }
  if (auto* generic = world.generic()) {
    out["generic"] = static_cast<std::int64_t>(generic->server().request_count());
  }
  if (auto* smtp = world.smtp()) {
    out["smtp"] = static_cast<std::int64_t>(smtp->stats().sessions);
  }
  return out;
}

/// Starts the scenario's world with its initial faults in place.
std::unique_ptr<World> start_world(Scenario const& scenario, std::uint64_t seed, Cast const& cast,
                                   std::string store_path) {
  auto created = World::create(world_options(scenario, seed, cast, std::move(store_path)));
  if (!created) {
    throw RunError(
        fmt::format("cannot build the scenario's world: {}", created.error().to_string()));
  }
  auto world = std::move(*created);

  if (auto const& sms = scenario.providers.sms) {
    apply_faults(*world, Channel::kSms, sms->faults);
  }
  if (auto const& email = scenario.providers.email) {
    apply_faults(*world, Channel::kEmail, email->faults);
  }
  return world;
}

// ---------------------------------------------------------------------------
// Steps

/// Executes steps against a World and collects expectation results.
/// Reports progress from a thread of its own: at the start of each step and
/// every interval while it runs, so that a long step does not look frozen. It
/// only reads (the step, the fakes' request counters), so the run is the same
/// with or without it.
class ProgressTicker {
 public:
  ProgressTicker(RunOptions const& options, World& world, std::size_t steps)
      : options_(options), world_(world), steps_(steps) {
    if (options_.on_progress) {
      thread_ = std::thread([this] { loop(); });
    }
  }
  ~ProgressTicker() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  ProgressTicker(ProgressTicker const&) = delete;
  ProgressTicker& operator=(ProgressTicker const&) = delete;

  void step(std::size_t index, std::string label) {
    {
      std::lock_guard lock(mutex_);
      index_ = index;
      label_ = std::move(label);
      started_ = std::chrono::steady_clock::now();
      fresh_ = true;
    }
    changed_.notify_all();
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait_for(lock, options_.progress_interval, [&] { return done_ || fresh_; });
      if (done_) {
        return;
      }
      if (!index_) {
        continue;
      }
      fresh_ = false;
      StepProgress progress{.index = *index_,
                            .count = steps_,
                            .label = label_,
                            .elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started_),
                            .provider_requests = 0};
      lock.unlock();
      for (auto const& [name, count] : provider_requests(world_)) {
        progress.provider_requests += count;
      }
      options_.on_progress(progress);
      lock.lock();
    }
  }

  RunOptions const& options_;
  World& world_;
  std::size_t const steps_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<std::size_t> index_;
  std::string label_;
  std::chrono::steady_clock::time_point started_;
  bool fresh_ = false;
  bool done_ = false;
  std::thread thread_;
};

class Execution {
 public:
  Execution(Scenario const& scenario, Cast const& cast, World& world,
            reports::ScenarioReport& report)
      : scenario_(scenario), cast_(cast), world_(world), report_(report) {}

  void run(RunOptions const& options) {
    ProgressTicker ticker(options, world_, scenario_.steps.size());
    for (std::size_t i = 0; i < scenario_.steps.size(); ++i) {
      Step const& step = scenario_.steps[i];
      ticker.step(i, step.display_name());
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
                                 : fmt::format("{}: {}", step_->mark.to_string(), detail),
        .step_label = step_->label});
  }

  std::vector<domain::CandidateId> select(Selector const& selector) const {
    std::vector<domain::CandidateId> ids;
    for (domain::Candidate const& c : cast_.candidates) {
      bool take = selector.kind == Selector::Kind::kAll || selector.kind == Selector::Kind::kFirst;
      if (selector.kind == Selector::Kind::kTag) {
        auto const& tags = cast_.tags.at(c.id);
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
    check_settled(world_.settle(), step_->path);
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
    check_settled(world_.settle(), step_->path);
  }

  void execute(InboundStep const& s) {
    if (auto sent = world_.inbound(s.from, s.body); !sent) {
      throw InputError(fmt::format("{}: the fake refuses the inbound SMS: {}", step_->path,
                                   sent.error().message));
    }
    check_settled(world_.settle(), step_->path);
  }

  void execute(AdvanceStep const& s) {
    if (s.until && *s.until <= world_.now()) {
      throw InputError(fmt::format("{}: {} is not after the virtual time at this step ({})",
                                   step_->path, format_iso_time(*s.until),
                                   format_iso_time(world_.now())));
    }
    check_settled(
        s.until ? world_.advance_to(*s.until) : world_.advance(s.by.value_or(Duration(0))),
        step_->path);
  }

  void execute(SetPolicyStep const& s) {
    policy::SendPolicy& policy = world_.policy();
    if (auto updated = policy.update(apply_policy(policy.config(), s.policy)); !updated) {
      throw InputError(fmt::format("{}: the send policy refuses the new rules: {}", step_->path,
                                   updated.error().message));
    }
  }

  void execute(SetFaultsStep const& s) {
    if (s.sms)
      apply_faults(world_, Channel::kSms, *s.sms);
    if (s.email)
      apply_faults(world_, Channel::kEmail, *s.email);
  }

  /// Stops the core hard and reopens it, as a crash and restart would. The
  /// world is settled first, so no work of the old core is still on its way to
  /// a fake while the new core resumes its outbox; the new core is settled
  /// before the next step.
  void execute(RestartStep const&) {
    check_settled(world_.settle(), "restart");
    check(world_.restart(), "restart");
    check_settled(world_.settle(), "start");
  }

  void execute(ExpectStep const& e) {
    check_settled(world_.settle(), step_->label);
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
      std::int64_t const got = requests_of(r.channel);
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

  /// Both rates count messages a provider accepted (reached sent, or delivered
  /// directly). The virtual rate is measured over the messages' own activity,
  /// from the first admission to the last message reaching sent, as the
  /// reports' per_virtual_second.sent is.
  void check_throughput(ThroughputCheck const& t, std::vector<domain::Message> const& messages) {
    std::vector<reports::MessageTimeline> timelines;
    for (domain::Message const& m : messages) {
      if (m.direction == domain::Direction::kOutbound) {
        timelines.push_back(to_timeline(m, cast_));
      }
    }
    reports::Throughput const counted = reports::compute_throughput(timelines);
    if (t.min_per_virtual_second) {
      auto const rate = reports::virtual_rates(counted).sent;
      std::string const expected = fmt::format(">= {:.1f}/s", *t.min_per_virtual_second);
      if (!rate) {
        add("throughput.virtual", false, expected,
            fmt::format("no virtual time elapsed ({} sent at the instant of the first admission)",
                        counted.sent),
            "provider calls take no virtual time, so a virtual rate needs the sends spread "
            "over virtual time (several steps, or retries); min_per_wall_second measures "
            "the real rate");
      } else {
        add("throughput.virtual", *rate >= *t.min_per_virtual_second, expected,
            fmt::format("{:.1f}/s", *rate),
            counted.sent == 0
                ? std::string()
                : fmt::format("{} sent in {} of virtual time from the first admission",
                              counted.sent,
                              reports::format_duration(*counted.last_sent_ms -
                                                       *counted.first_admitted_ms)));
      }
    }
    if (t.min_per_wall_second) {
      auto const done = counted.sent;
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

  /// Requests the channel's fake has seen; 0 when the scenario has none.
  std::int64_t requests_of(Channel channel) {
    auto const& spec =
        channel == Channel::kSms ? scenario_.providers.sms : scenario_.providers.email;
    if (!spec) {
      return 0;
    }
    auto const all = provider_requests(world_);
    auto it = all.find(std::string(domain::to_string(spec->kind)));
    return it == all.end() ? 0 : it->second;
  }

  Scenario const& scenario_;
  Cast const& cast_;
  World& world_;
  reports::ScenarioReport& report_;
  int index_ = 0;
  Step const* step_ = nullptr;
  std::chrono::steady_clock::time_point wall_start_ = std::chrono::steady_clock::now();
};

/// Timelines, counts and request totals from the store and the fakes.
void fill_report(World& world, Cast const& cast, reports::ScenarioReport& report) {
  report.virtual_end_ms = clock::to_unix_ms(world.now());
  if (!world.core_running()) {
    return;
  }
  auto messages = take(world.store().all_messages(), "messages");
  for (domain::Message const& m : messages) {
    report.timelines.push_back(to_timeline(m, cast));
  }
  report.provider_requests = provider_requests(world);
  report.virtual_end_ms = clock::to_unix_ms(world.now());
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
    Cast const cast = build_cast(scenario, seed);
    std::unique_ptr<World> world;
    try {
      world = start_world(scenario, seed, cast, (fs::path(dir) / "candor.db").string());
      Execution(scenario, cast, *world, report).run(options);
    } catch (InputError const& e) {
      report.error = e.what();
      report.error_kind = std::string(reports::kInputError);
    } catch (RunError const& e) {
      report.error = e.what();
      report.error_kind = std::string(reports::kRunError);
    }

    // Whatever happened, the report shows what the store holds.
    if (world) {
      try {
        fill_report(*world, cast, report);
      } catch (std::exception const& e) {
        if (report.error.empty()) {
          report.error = e.what();
          report.error_kind = std::string(reports::kRunError);
        }
      }
    }
  } catch (std::exception const& e) {
    report.error = fmt::format("cannot build the scenario's world: {}", e.what());
    report.error_kind = std::string(reports::kRunError);
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
