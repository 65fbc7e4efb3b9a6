#include "fakes/syniverse/fake_syniverse.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/log.hpp"
#include "fakes/http/admin_json.hpp"
#include "fakes/http/client.hpp"
#include "fakes/http/codec.hpp"
#include "fakes/http/json_text.hpp"
#include "fakes/syniverse/scg_wire.hpp"

namespace candor::fakes::syniverse {
namespace {

using http::AdminError;
using http::integer_field;
using http::text_field;
using nlohmann::json;

constexpr std::string_view kApiPrefix = "/scg-external-api/api/v1";
constexpr std::string_view kStateChange = "message_state_change";
constexpr std::string_view kInbound = "mo_message_received";

spdlog::logger& logger() {
  static auto& instance = log::get("fake.syniverse");
  return instance;
}

// Descriptions of the asynchronous failure codes listed in the provider notes.
std::string describe_reason(std::string const& code) {
  static std::map<std::string, std::string> const kDescriptions = {
      {"1001", "Stale data"},
      {"1002", "Invalid recipient address or format"},
      {"1003", "Sender id not valid for message type"},
      {"1004", "Forbidden phrase"},
      {"1005", "No subscriber consent"},
      {"1006", "Template error"},
      {"1007", "Message expired before delivery"},
      {"1009", "Delivery failure"},
      {"1012", "Message too large"},
      {"1015", "Invalid sender address"},
      {"1039", "Throttled"},
      {"1067", "Too many messages to the same number"},
  };
  auto const it = kDescriptions.find(code);
  return it == kDescriptions.end() ? "Failure" : it->second;
}

std::string failure_code_of(std::string const& reason_code) {
  if (reason_code == "1002") {
    return "INVALID_RECIPIENT";
  }
  return reason_code == "1005" ? "NO_CONSENT" : "OTHER";
}

bool is_final(std::string_view state) {
  return state == "DELIVERED" || state == "FAILED" || state == "EXPIRED" || state == "TEST";
}

bool is_settled(std::string_view state) {
  return state == "SUCCESS" || state == "FAILED" || state == "DROPPED" || state == "NO_ENDPOINT";
}

// ESS: a 4xx other than 404 and 408 is not recoverable; everything else is retried.
bool retryable(http::ClientResult const& result) {
  if (result.error) {
    return true;
  }
  return result.status >= 500 || result.status == 404 || result.status == 408;
}

http::Response scg_error(ScgError const& error) {
  return http::Response::json(error.http_status, error.body());
}

/// Longest clock delay an admin request may script (a day).
constexpr std::int64_t kMaxAdminDelayMs = 24LL * 60 * 60 * 1000;

std::size_t count_field(json const& body) {
  return static_cast<std::size_t>(
      integer_field(body, "count", 1, 1, static_cast<std::int64_t>(kMaxScriptedCount)));
}

std::chrono::milliseconds millis_field(json const& body, char const* field) {
  return std::chrono::milliseconds(integer_field(body, field, 0, 0, kMaxAdminDelayMs));
}

char const* event_fault_name(EventFault::Kind kind) {
  switch (kind) {
    case EventFault::Kind::kDrop:
      return "drop";
    case EventFault::Kind::kDuplicate:
      return "duplicate";
    case EventFault::Kind::kDelay:
      return "delay";
  }
  return "drop";
}

/// Upper case without blanks: how an MO body is compared with consent keywords.
std::string keyword_of(std::string_view body) {
  std::string out;
  for (char const c : body) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

bool is_keyword(std::vector<std::string> const& keywords, std::string const& keyword) {
  return !keyword.empty() &&
         std::any_of(keywords.begin(), keywords.end(),
                     [&keyword](std::string const& k) { return keyword_of(k) == keyword; });
}

/// What seeded draws about an MT message are keyed by: what its sender controls.
std::string mt_key(std::string_view to, std::string_view body, std::string_view external_id) {
  return fmt::format("{}\n{}\n{}", to, body, external_id);
}

/// The same for any message; an MO is keyed by its sender and text.
std::string content_key(ScgMessage const& m) {
  if (m.direction == "MO") {
    return fmt::format("mo\n{}\n{}", m.from_address, m.body);
  }
  return mt_key(m.to_address, m.body, m.external_id);
}

json message_json(ScgMessage const& m) {
  json out{{"id", m.id},
           {"message_request_id", m.request_id},
           {"direction", m.direction},
           {"type", "SMS"},
           {"from_address", m.from_address},
           {"to_address", m.to_address},
           {"body", m.body},
           {"state", m.state},
           {"fragment_count", 1},
           {"created_date", clock::to_unix_ms(m.created_at)}};
  if (!m.external_id.empty()) {
    out["external_id"] = m.external_id;
  }
  if (m.sent_at) {
    out["sent_date"] = clock::to_unix_ms(*m.sent_at);
  }
  if (m.final_at && m.state == "DELIVERED") {
    out["delivered_date"] = clock::to_unix_ms(*m.final_at);
  }
  if (m.state == "FAILED" || m.state == "EXPIRED") {
    out["failure_code"] = failure_code_of(m.reason_code);
    out["failure_details"] = m.reason_description;
  }
  return out;
}

// Parses a non-negative integer query parameter; nullopt when it is not one.
std::optional<std::size_t> parse_count(std::optional<std::string> const& text,
                                       std::size_t fallback) {
  if (!text) {
    return fallback;
  }
  std::size_t value = 0;
  auto const [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return std::nullopt;
  }
  return value;
}

// Clock timers may fire on another thread while the fake stops; they check this gate,
// and hold it while they run, before touching the fake.
struct ClockGate {
  std::mutex mutex;
  bool closed = false;
};

}  // namespace

char const* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kDelivered:
      return "delivered";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kExpired:
      return "expired";
  }
  return "delivered";
}

std::optional<Outcome> parse_outcome(std::string_view name) {
  for (auto const outcome : {Outcome::kDelivered, Outcome::kFailed, Outcome::kExpired}) {
    if (name == outcome_name(outcome)) {
      return outcome;
    }
  }
  return std::nullopt;
}

struct FakeSyniverse::Impl {
  Impl(FakeSyniverseConfig c, clock::Clock& k, clock::WorkTracker* t)
      : config(std::move(c)),
        clock(k),
        tracker(t),
        server(k, config.server, t),
        client(k, t, {.log_name = "fake.syniverse.events"}),
        ids(config.seed),
        expired_tokens(config.expired_tokens) {}

  void add_routes();

  // HTTP handlers.
  std::optional<http::Response> check_bearer(http::Request const& request);
  http::Response send(http::Request const& request);
  http::Response get_request(http::Request const& request);
  http::Response list_messages(http::Request const& request, std::string const& request_id);
  http::Response get_message(http::Request const& request);
  http::Response admin(http::Request const& request);
  /// Throws AdminError naming the field of a bad request.
  http::Response admin_post(http::Request const& request);

  // Message life.
  struct Plan {
    Outcome outcome;
    std::string reason_code;
    /// The consent check failed: CREATED -> FAILED, never SENT.
    bool no_consent = false;
  };
  Plan plan_for(std::string const& to, SendRequest const& send);
  bool consent_refused(std::string const& to, std::string const& requirement) const;
  void apply_keyword(std::string const& from, std::string const& body);
  void transition(std::string const& message_id, std::string const& new_state);

  // Events.
  void emit(std::string type, json fields, std::string message_id, std::string new_state);
  Result<std::string> inbound(std::string const& from, std::string const& body);
  void attempt(std::size_t index, int number, bool may_retry);
  void attempt_done(std::size_t index, int number, bool may_retry,
                    http::ClientResult const& result);
  std::optional<EventFault> take_event_fault(ScgMessage const& message,
                                             std::string const& new_state);

  /// Runs `fn` after `delay` on the clock unless the fake stopped first.
  void schedule(clock::Duration delay, std::function<void()> fn);

  FakeSyniverseConfig const config;
  clock::Clock& clock;
  clock::WorkTracker* const tracker;
  http::HttpServer server;
  http::HttpClient client;
  std::shared_ptr<ClockGate> gate = std::make_shared<ClockGate>();

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  IdSource ids;
  std::vector<std::string> expired_tokens;
  std::vector<ScgMessageRequest> requests;
  std::map<std::string, std::size_t> request_index;
  std::vector<ScgMessage> messages;
  std::map<std::string, std::size_t> message_index;
  std::vector<ScgEvent> events;
  std::map<std::string, Plan> scripted_outcomes;
  /// One entry per script_event_faults() call: its events left, fault and match.
  struct ScriptedEventFault {
    std::size_t remaining = 0;
    EventFault fault;
    EventMatch match;
  };
  std::deque<ScriptedEventFault> scripted_event_faults;
  std::set<std::string> opted_out;
  std::set<std::string> opted_in;
  std::map<std::uint64_t, clock::TimerId> timers;
  std::uint64_t next_timer_key = 0;
  bool stopped = false;
};

void FakeSyniverse::Impl::schedule(clock::Duration delay, std::function<void()> fn) {
  std::uint64_t key = 0;
  {
    std::lock_guard lock(mutex);
    key = ++next_timer_key;
  }
  auto const id = clock.call_after(delay, [this, gate = gate, key, fn = std::move(fn)] {
    std::lock_guard gate_lock(gate->mutex);
    if (gate->closed) {
      return;
    }
    {
      std::lock_guard lock(mutex);
      timers.erase(key);
    }
    fn();
  });
  std::lock_guard lock(mutex);
  if (!stopped) {
    timers.emplace(key, id);
  }
}

std::optional<http::Response> FakeSyniverse::Impl::check_bearer(http::Request const& request) {
  auto const header = request.header("Authorization").value_or("");
  auto const token = header.starts_with("Bearer ") ? header.substr(7) : std::string();
  std::lock_guard lock(mutex);
  if (!token.empty() &&
      std::find(expired_tokens.begin(), expired_tokens.end(), token) != expired_tokens.end()) {
    return scg_error(
        {.http_status = 404, .code = "SCG_ERROR_4046", .description = "Access token expired"});
  }
  if (token.empty() ||
      std::find(config.tokens.begin(), config.tokens.end(), token) == config.tokens.end()) {
    return scg_error({.http_status = 401,
                      .code = "SCG_ERROR_4010",
                      .description = "Token unauthorized for this resource"});
  }
  return std::nullopt;
}

FakeSyniverse::Impl::Plan FakeSyniverse::Impl::plan_for(std::string const& to,
                                                        SendRequest const& send) {
  if (consent_refused(to, send.consent_requirement)) {
    return {.outcome = Outcome::kFailed, .reason_code = "1005", .no_consent = true};
  }
  if (auto const it = scripted_outcomes.find(to); it != scripted_outcomes.end()) {
    auto plan = it->second;
    if (plan.reason_code.empty() && plan.outcome != Outcome::kDelivered) {
      plan.reason_code = plan.outcome == Outcome::kExpired ? "1007" : config.failure_codes.at(0);
    }
    return plan;
  }

  // Keyed by what the message says, not by when it came, so that the same scenario
  // gives the same outcomes however the sends interleave.
  auto const key = mt_key(to, send.body, send.external_id);
  auto const total = config.mix.delivered + config.mix.failed + config.mix.expired;
  auto const draw = seeded_draw(config.seed, key) * (total > 0 ? total : 1.0);
  if (total <= 0 || draw < config.mix.delivered) {
    return {Outcome::kDelivered, ""};
  }
  if (draw < config.mix.delivered + config.mix.failed && !config.failure_codes.empty()) {
    auto const pick = static_cast<std::size_t>(seeded_draw(config.seed, "reason\n" + key) *
                                               static_cast<double>(config.failure_codes.size()));
    return {Outcome::kFailed,
            config.failure_codes[std::min(pick, config.failure_codes.size() - 1)]};
  }
  return {Outcome::kExpired, "1007"};
}

// OPT_OUT (the fake's default) sends unless the number opted out; OPT_IN needs an
// opt-in keyword first; NONE ignores consent.
bool FakeSyniverse::Impl::consent_refused(std::string const& to,
                                          std::string const& requirement) const {
  if (!config.manage_consent || requirement == "NONE") {
    return false;
  }
  if (requirement == "OPT_IN") {
    return !opted_in.contains(to);
  }
  return opted_out.contains(to);
}

// Limitation: no confirmation MT answers a consent keyword — the notes give no reply
// text, and the core never sees MTs it did not send.
void FakeSyniverse::Impl::apply_keyword(std::string const& from, std::string const& body) {
  if (!config.manage_consent) {
    return;
  }
  auto const keyword = keyword_of(body);
  if (is_keyword(config.opt_out_keywords, keyword)) {
    opted_out.insert(from);
    opted_in.erase(from);
    logger().debug("opted out {}", log::mask_phone(from));
  } else if (is_keyword(config.opt_in_keywords, keyword)) {
    opted_in.insert(from);
    opted_out.erase(from);
    logger().debug("opted in {}", log::mask_phone(from));
  }
}

http::Response FakeSyniverse::Impl::send(http::Request const& request) {
  if (auto refused = check_bearer(request)) {
    return *refused;
  }
  auto parsed = parse_send_request(request.body, {.channels = config.channels,
                                                  .sender_ids = config.sender_ids,
                                                  .max_recipients = config.max_recipients,
                                                  .max_body_length = config.max_body_length});
  if (auto const* error = std::get_if<ScgError>(&parsed)) {
    logger().debug("refused send: {} {}", error->code, error->description);
    return scg_error(*error);
  }
  auto& send = std::get<SendRequest>(parsed);

  std::vector<std::pair<std::string, bool>> created;
  std::string request_id;
  {
    std::lock_guard lock(mutex);
    auto const now = clock.now();
    ScgMessageRequest record{.id = ids.next_resource_id(),
                             .from = send.from,
                             .to = send.to,
                             .body = send.body,
                             .external_id = send.external_id,
                             .test_message = send.test_message,
                             .created_at = now};
    request_id = record.id;
    for (auto const& to : send.to) {
      auto const plan = plan_for(to, send);
      ScgMessage message{
          .id = ids.next_resource_id(),
          .request_id = record.id,
          .direction = "MT",
          .from_address = config.sender_address,
          .to_address = to,
          .body = send.body,
          .external_id = send.external_id,
          .state = send.test_message ? "TEST" : "CREATED",
          .outcome = plan.outcome,
          .reason_code = plan.reason_code,
          .reason_description = plan.reason_code.empty() ? "" : describe_reason(plan.reason_code),
          .no_consent = plan.no_consent,
          .created_at = now};
      record.message_ids.push_back(message.id);
      message_index.emplace(message.id, messages.size());
      messages.push_back(std::move(message));
    }
    for (auto const& id : record.message_ids) {
      created.emplace_back(id, messages[message_index.at(id)].no_consent);
    }
    request_index.emplace(record.id, requests.size());
    requests.push_back(std::move(record));
  }
  changed.notify_all();
  logger().debug("accepted message_request={} recipients={}", request_id, created.size());

  if (!send.test_message) {
    for (auto const& [id, no_consent] : created) {
      // Without consent SCG never hands the message on: it fails where SENT would be.
      auto const next = no_consent ? "FAILED" : "SENT";
      schedule(config.sent_delay, [this, id, next] { transition(id, next); });
    }
  }
  return http::Response::json(200, http::json_text(json{{"id", request_id}}));
}

void FakeSyniverse::Impl::transition(std::string const& message_id, std::string const& new_state) {
  json fields;
  {
    std::lock_guard lock(mutex);
    auto& m = messages.at(message_index.at(message_id));
    if (is_final(m.state)) {
      return;
    }
    auto const previous = m.state;
    m.state = new_state;
    auto const now = clock.now();
    if (new_state == "SENT") {
      m.sent_at = now;
    } else {
      m.final_at = now;
    }

    auto const success = new_state == "SENT" || new_state == "DELIVERED";
    fields = json{{"previous_state", previous},
                  {"new_state", new_state},
                  {"message_request_id", m.request_id},
                  {"message_id", m.id},
                  {"external_message_request_id", m.external_id},
                  {"to_address", m.to_address},
                  {"from_address", m.from_address},
                  {"reason_code", success ? "200" : m.reason_code},
                  {"reason_description", success ? "SUCCESS" : m.reason_description},
                  {"has_attachment", false},
                  {"number_type", "MOBILE"},
                  {"carrier_id", "1"},
                  {"carrier_name", "Fake Carrier"},
                  {"application_id", config.application_id},
                  {"company-id", config.company_id},
                  {"sender_id_alias", ""},
                  {"sender_id_id", ""},
                  {"fragments_count", 1},
                  {"mt_price", 0.0075},
                  {"message_body", m.body},
                  {"message_body_truncated", false}};
  }

  emit(std::string(kStateChange), std::move(fields), message_id, new_state);

  if (new_state == "SENT") {
    Outcome outcome = Outcome::kDelivered;
    {
      std::lock_guard lock(mutex);
      outcome = messages.at(message_index.at(message_id)).outcome;
    }
    auto const final_state = outcome == Outcome::kDelivered ? "DELIVERED"
                             : outcome == Outcome::kFailed  ? "FAILED"
                                                            : "EXPIRED";
    schedule(config.final_delay,
             [this, message_id, final_state] { transition(message_id, final_state); });
  }
}

std::optional<EventFault> FakeSyniverse::Impl::take_event_fault(ScgMessage const& message,
                                                                std::string const& new_state) {
  auto const& address = message.direction == "MO" ? message.from_address : message.to_address;
  for (auto it = scripted_event_faults.begin(); it != scripted_event_faults.end(); ++it) {
    if ((!it->match.address.empty() && it->match.address != address) ||
        (!it->match.new_state.empty() && it->match.new_state != new_state)) {
      continue;
    }
    auto const fault = it->fault;
    if (--it->remaining == 0) {
      scripted_event_faults.erase(it);
    }
    return fault;
  }

  // Keyed by the message's content, never by its id: ids follow arrival order.
  auto const& rates = config.event_faults;
  auto const draw = seeded_draw(config.seed, "event\n" + content_key(message) + "\n" + new_state);
  if (draw < rates.drop) {
    return EventFault{.kind = EventFault::Kind::kDrop};
  }
  if (draw < rates.drop + rates.duplicate) {
    return EventFault{.kind = EventFault::Kind::kDuplicate};
  }
  if (draw < rates.drop + rates.duplicate + rates.delay) {
    return EventFault{.kind = EventFault::Kind::kDelay, .delay = rates.delay_by};
  }
  return std::nullopt;
}

void FakeSyniverse::Impl::emit(std::string type, json fields, std::string message_id,
                               std::string new_state) {
  std::size_t index = 0;
  std::optional<EventFault> fault;
  {
    std::lock_guard lock(mutex);
    auto const event_id = ids.next_event_id();
    fault = take_event_fault(messages.at(message_index.at(message_id)), new_state);
    auto const envelope = json{{"topic", "SCG-Message"},
                               {"attempt", 1},
                               {"event",
                                {{"fld-val-list", std::move(fields)},
                                 {"evt-tp", type},
                                 {"timestamp", iso_time(clock.now())}}},
                               {"event-id", event_id}};
    ScgEvent event{.event_id = event_id,
                   .type = std::move(type),
                   .message_id = std::move(message_id),
                   .new_state = std::move(new_state),
                   .payload = http::json_text(envelope),
                   .state = config.delivery.url.empty() ? "NO_ENDPOINT" : "PENDING"};
    if (fault) {
      event.fault = event_fault_name(fault->kind);
      if (fault->kind == EventFault::Kind::kDrop) {
        event.state = "DROPPED";
      }
    }
    index = events.size();
    events.push_back(std::move(event));
  }
  changed.notify_all();

  if (config.delivery.url.empty() || (fault && fault->kind == EventFault::Kind::kDrop)) {
    return;
  }
  if (fault && fault->kind == EventFault::Kind::kDelay) {
    schedule(fault->delay, [this, index] { attempt(index, 1, true); });
    return;
  }
  attempt(index, 1, true);
  if (fault && fault->kind == EventFault::Kind::kDuplicate) {
    attempt(index, 1, false);
  }
}

void FakeSyniverse::Impl::attempt(std::size_t index, int number, bool may_retry) {
  http::ClientRequest request{
      .method = "POST",
      .url = config.delivery.url,
      .content_type = "application/json; charset=UTF-8",
  };
  {
    std::lock_guard lock(mutex);
    auto const& event = events.at(index);
    auto envelope = json::parse(event.payload);
    envelope["attempt"] = number;
    request.body = http::json_text(envelope);
    auto const& fields = envelope["event"]["fld-val-list"];
    auto const key =
        event.type == kInbound ? fields.value("from_address", "") : fields.value("to_address", "");
    request.headers = {{"X-ESS-EVENT-KEY", key}, {"X-ESS-EVENT-TIMESTAMP", iso_time(clock.now())}};
  }
  if (!config.delivery.username.empty()) {
    request.headers.emplace_back(
        "Authorization",
        http::basic_auth_header(config.delivery.username, config.delivery.password));
  }

  client.send(std::move(request), [this, index, number, may_retry](http::ClientResult const& r) {
    attempt_done(index, number, may_retry, r);
  });
}

void FakeSyniverse::Impl::attempt_done(std::size_t index, int number, bool may_retry,
                                       http::ClientResult const& result) {
  bool retry = false;
  {
    std::lock_guard lock(mutex);
    auto& event = events.at(index);
    event.attempts.push_back({.attempt = number,
                              .at = result.completed_at,
                              .status = result.error ? 0 : result.status,
                              .error = result.error ? result.error->message : ""});
    if (!may_retry) {
      // The duplicate copy of a delivered event; the first copy decides the state.
    } else if (result.ok()) {
      event.state = "SUCCESS";
    } else if (retryable(result) &&
               static_cast<std::size_t>(number) <= config.delivery.retry_delays.size()) {
      event.state = "RETRY";
      retry = true;
    } else {
      event.state = "FAILED";
      logger().warn("event {} given up after attempt {} (status {})", event.event_id, number,
                    result.status);
    }
  }
  changed.notify_all();

  if (retry) {
    schedule(config.delivery.retry_delays[static_cast<std::size_t>(number) - 1],
             [this, index, number] { attempt(index, number + 1, true); });
  }
}

http::Response FakeSyniverse::Impl::get_request(http::Request const& request) {
  if (auto refused = check_bearer(request)) {
    return *refused;
  }
  std::lock_guard lock(mutex);
  auto const it = request_index.find(request.path_param("id"));
  if (it == request_index.end()) {
    return scg_error(
        {.http_status = 404, .code = "SCG_ERROR_4040", .description = "Resource not found"});
  }
  auto const& r = requests[it->second];
  std::size_t sent = 0;
  std::size_t delivered = 0;
  std::size_t failed = 0;
  bool done = true;
  for (auto const& id : r.message_ids) {
    auto const& state = messages[message_index.at(id)].state;
    sent += state != "CREATED" && state != "TEST" ? 1 : 0;
    delivered += state == "DELIVERED" ? 1 : 0;
    failed += state == "FAILED" || state == "EXPIRED" ? 1 : 0;
    done = done && is_final(state);
  }
  json out{{"id", r.id},
           {"from", r.from},
           {"to", r.to},
           {"body", r.body},
           {"state", done ? "COMPLETED" : "TRANSMITTING"},
           {"recipient_count", r.message_ids.size()},
           {"sent_count", sent},
           {"delivered_count", delivered},
           {"failed_count", failed},
           {"test_message_flag", r.test_message},
           {"created_date", clock::to_unix_ms(r.created_at)}};
  if (!r.external_id.empty()) {
    out["external_id"] = r.external_id;
  }
  return http::Response::json(200, http::json_text(out));
}

http::Response FakeSyniverse::Impl::list_messages(http::Request const& request,
                                                  std::string const& request_id) {
  if (auto refused = check_bearer(request)) {
    return *refused;
  }
  auto const offset = parse_count(request.query_param("offset"), 0);
  auto const limit = parse_count(request.query_param("limit"), 25);
  if (!offset || !limit) {
    return scg_error({.http_status = 400,
                      .code = "SCG_ERROR_4004",
                      .description = "Invalid parameter offset or limit"});
  }
  auto const by_request = request_id.empty() ? request.query_param("message_request_id")
                                             : std::optional<std::string>(request_id);
  auto const by_state = request.query_param("state");
  auto const by_to = request.query_param("to_address");

  std::lock_guard lock(mutex);
  if (!request_id.empty() && !request_index.contains(request_id)) {
    return scg_error(
        {.http_status = 404, .code = "SCG_ERROR_4040", .description = "Resource not found"});
  }
  json list = json::array();
  std::size_t total = 0;
  for (auto const& m : messages) {
    if ((by_request && m.request_id != *by_request) || (by_state && m.state != *by_state) ||
        (by_to && m.to_address != *by_to)) {
      continue;
    }
    if (total >= *offset && list.size() < *limit) {
      list.push_back(message_json(m));
    }
    ++total;
  }
  return http::Response::json(
      200, http::json_text(
               json{{"list", list}, {"offset", *offset}, {"limit", *limit}, {"total", total}}));
}

http::Response FakeSyniverse::Impl::get_message(http::Request const& request) {
  if (auto refused = check_bearer(request)) {
    return *refused;
  }
  std::lock_guard lock(mutex);
  auto const it = message_index.find(request.path_param("id"));
  if (it == message_index.end()) {
    return scg_error(
        {.http_status = 404, .code = "SCG_ERROR_4040", .description = "Resource not found"});
  }
  return http::Response::json(200, http::json_text(message_json(messages[it->second])));
}

http::Response FakeSyniverse::Impl::admin(http::Request const& request) {
  auto const& path = request.path;
  if (request.method == "GET") {
    json out = json::array();
    if (path == "/__admin/messages") {
      std::lock_guard lock(mutex);
      for (auto const& m : messages) {
        auto item = message_json(m);
        item["outcome"] = outcome_name(m.outcome);
        item["reason_code"] = m.reason_code;
        out.push_back(std::move(item));
      }
    } else if (path == "/__admin/message_requests") {
      std::lock_guard lock(mutex);
      for (auto const& r : requests) {
        out.push_back({{"id", r.id},
                       {"from", r.from},
                       {"to", r.to},
                       {"body", r.body},
                       {"external_id", r.external_id},
                       {"message_ids", r.message_ids},
                       {"created_at", iso_time(r.created_at)}});
      }
    } else if (path == "/__admin/events") {
      std::lock_guard lock(mutex);
      for (auto const& e : events) {
        json attempts = json::array();
        for (auto const& a : e.attempts) {
          attempts.push_back({{"attempt", a.attempt},
                              {"at", iso_time(a.at)},
                              {"status", a.status},
                              {"error", a.error}});
        }
        out.push_back({{"event_id", e.event_id},
                       {"type", e.type},
                       {"message_id", e.message_id},
                       {"new_state", e.new_state},
                       {"state", e.state},
                       {"fault", e.fault},
                       {"attempts", attempts},
                       {"payload", json::parse(e.payload)}});
      }
    } else if (path == "/__admin/consent") {
      std::lock_guard lock(mutex);
      return http::Response::json(200,
                                  json{{"opted_out", opted_out}, {"opted_in", opted_in}}.dump());
    } else if (path == "/__admin/journal") {
      for (auto const& entry : server.journal()) {
        out.push_back({{"number", entry.number},
                       {"received_at", iso_time(entry.received_at)},
                       {"method", entry.method},
                       {"target", entry.target},
                       {"status", entry.status},
                       {"fault", entry.fault},
                       {"routed", entry.routed},
                       {"body", entry.body}});
      }
    } else {
      return http::Response::json(
          404, http::json_text(json{{"error", "unknown admin resource " + path}}));
    }
    return http::Response::json(200, http::json_text(out));
  }

  try {
    return admin_post(request);
  } catch (AdminError const& e) {
    return http::admin_error(e.what());
  }
}

http::Response FakeSyniverse::Impl::admin_post(http::Request const& request) {
  auto const& path = request.path;
  auto const body = http::admin_body(request);

  if (path == "/__admin/inbound") {
    auto id = inbound(text_field(body, "from"), text_field(body, "body"));
    if (!id) {
      throw AdminError(id.error().message);
    }
    return http::Response::json(200, http::json_text(json{{"message_id", *id}}));
  }
  if (path == "/__admin/outcomes") {
    auto const to = text_field(body, "to");
    auto const outcome = parse_outcome(text_field(body, "outcome"));
    if (!is_e164(to)) {
      throw AdminError(fmt::format("to: '{}' is not an E.164 number", to));
    }
    if (!outcome) {
      throw AdminError("outcome: must be delivered, failed or expired");
    }
    std::lock_guard lock(mutex);
    scripted_outcomes[to] = {*outcome, text_field(body, "reason_code")};
    return http::Response::json(200, "{}");
  }
  if (path == "/__admin/faults") {
    auto const kind = text_field(body, "kind");
    auto const count = count_field(body);
    http::Fault fault;
    if (kind == "status") {
      fault = http::Fault::with_status(
          static_cast<int>(integer_field(body, "status", 500, 400, 599)), text_field(body, "body"));
    } else if (kind == "drop") {
      fault = http::Fault::drop();
    } else if (kind == "reset") {
      fault = http::Fault::reset();
    } else if (kind == "delay") {
      fault = http::Fault::delayed(millis_field(body, "delay_ms"));
    } else {
      throw AdminError(fmt::format("kind: '{}' is not status, drop, reset or delay", kind));
    }
    server.fail_next(count, std::move(fault));
    return http::Response::json(200, "{}");
  }
  if (path == "/__admin/latency") {
    server.set_latency(millis_field(body, "ms"));
    return http::Response::json(200, "{}");
  }
  if (path == "/__admin/event_faults") {
    auto const kind = text_field(body, "kind");
    EventFault fault{.delay = millis_field(body, "delay_ms")};
    if (kind == "drop") {
      fault.kind = EventFault::Kind::kDrop;
    } else if (kind == "duplicate") {
      fault.kind = EventFault::Kind::kDuplicate;
    } else if (kind == "delay") {
      fault.kind = EventFault::Kind::kDelay;
    } else {
      throw AdminError(fmt::format("kind: '{}' is not drop, duplicate or delay", kind));
    }
    EventMatch match{.address = text_field(body, "address"),
                     .new_state = text_field(body, "new_state")};
    if (!match.address.empty() && !is_e164(match.address)) {
      throw AdminError(fmt::format("address: '{}' is not an E.164 number", match.address));
    }
    std::lock_guard lock(mutex);
    scripted_event_faults.push_back(
        {.remaining = count_field(body), .fault = fault, .match = std::move(match)});
    return http::Response::json(200, "{}");
  }
  if (path == "/__admin/tokens/expire") {
    auto const token = text_field(body, "token");
    if (token.empty()) {
      throw AdminError("token: required");
    }
    std::lock_guard lock(mutex);
    expired_tokens.push_back(token);
    return http::Response::json(200, "{}");
  }
  if (path == "/__admin/reset") {
    server.clear_faults();
    std::lock_guard lock(mutex);
    scripted_event_faults.clear();
    scripted_outcomes.clear();
    return http::Response::json(200, "{}");
  }
  return http::Response::json(404,
                              http::json_text(json{{"error", "unknown admin action " + path}}));
}

void FakeSyniverse::Impl::add_routes() {
  auto const api = std::string(kApiPrefix);
  for (auto const* path : {"/messaging/message_requests", "/messaging/message_requests/"}) {
    server.route("POST", api + path, [this](http::Request const& r) { return send(r); });
  }
  server.route("GET", api + "/messaging/message_requests/{id}",
               [this](http::Request const& r) { return get_request(r); });
  server.route("GET", api + "/messaging/message_requests/{id}/messages",
               [this](http::Request const& r) { return list_messages(r, r.path_param("id")); });
  server.route("GET", api + "/messaging/messages",
               [this](http::Request const& r) { return list_messages(r, ""); });
  server.route("GET", api + "/messaging/messages/{id}",
               [this](http::Request const& r) { return get_message(r); });
  for (auto const* method : {"GET", "POST"}) {
    server.route(method, "/__admin/{what}", [this](http::Request const& r) { return admin(r); });
    server.route(method, "/__admin/{what}/{more}",
                 [this](http::Request const& r) { return admin(r); });
  }
}

FakeSyniverse::FakeSyniverse(FakeSyniverseConfig config, clock::Clock& clock,
                             clock::WorkTracker* tracker)
    : impl_(std::make_unique<Impl>(std::move(config), clock, tracker)) {
  impl_->add_routes();
}

FakeSyniverse::~FakeSyniverse() {
  stop();
}

Status FakeSyniverseConfig::validate() const {
  auto invalid = [](std::string_view field, std::string_view problem) {
    return make_error(Errc::kInvalidArgument, fmt::format("fake syniverse: {} {}", field, problem));
  };
  if (tokens.empty() ||
      std::any_of(tokens.begin(), tokens.end(), [](std::string const& t) { return t.empty(); })) {
    return invalid("tokens", "must hold at least one token, none empty");
  }
  if (!is_e164(sender_address)) {
    return invalid("sender_address", fmt::format("'{}' is not an E.164 number", sender_address));
  }
  if (failure_codes.empty()) {
    return invalid("failure_codes", "must not be empty");
  }
  if (mix.delivered < 0 || mix.failed < 0 || mix.expired < 0) {
    return invalid("mix", "weights must not be negative");
  }
  for (auto const rate : {event_faults.drop, event_faults.duplicate, event_faults.delay}) {
    if (rate < 0 || rate > 1) {
      return invalid("event_faults", "rates must be in [0, 1]");
    }
  }
  if (!delivery.url.empty()) {
    auto const url = http::parse_url(delivery.url);
    if (!url) {
      return invalid("delivery.url", url.error().message);
    }
    if (url->scheme != "http") {
      return invalid("delivery.url",
                     fmt::format("'{}' must be http:// (the fake has no TLS)", delivery.url));
    }
  }
  // RFC 7617: the user-id of Basic credentials cannot contain a colon.
  if (delivery.username.find(':') != std::string::npos) {
    return invalid("delivery.username", "must not contain ':'");
  }
  if (delivery.username.empty() && !delivery.password.empty()) {
    return invalid("delivery.password", "is set without delivery.username");
  }
  for (auto const delay : delivery.retry_delays) {
    if (delay < clock::Duration::zero()) {
      return invalid("delivery.retry_delays", "must not be negative");
    }
  }
  return ok_status();
}

Status FakeSyniverse::start() {
  CANDOR_RETURN_IF_ERROR(impl_->config.validate());
  CANDOR_RETURN_IF_ERROR(impl_->server.start());
  logger().info("listening on {}", base_url());
  return ok_status();
}

void FakeSyniverse::stop() {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.gate->mutex);
    s.gate->closed = true;
  }
  std::map<std::uint64_t, clock::TimerId> pending;
  {
    std::lock_guard lock(s.mutex);
    if (s.stopped) {
      return;
    }
    s.stopped = true;
    pending.swap(s.timers);
  }
  s.server.stop();
  s.client.stop();
  for (auto const& [key, id] : pending) {
    s.clock.cancel(id);
  }
  s.changed.notify_all();
}

void FakeSyniverse::wait_until_stopped() {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait(lock, [this] { return impl_->stopped; });
}

std::uint16_t FakeSyniverse::port() const {
  return impl_->server.port();
}
std::string FakeSyniverse::base_url() const {
  return impl_->server.base_url();
}
std::string FakeSyniverse::api_base_url() const {
  return base_url() + std::string(kApiPrefix);
}
std::string FakeSyniverse::token() const {
  return impl_->config.tokens.empty() ? "" : impl_->config.tokens.front();
}
FakeSyniverseConfig const& FakeSyniverse::config() const {
  return impl_->config;
}
http::HttpServer& FakeSyniverse::server() {
  return impl_->server;
}

std::vector<ScgMessage> FakeSyniverse::messages() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->messages;
}

std::optional<ScgMessage> FakeSyniverse::message(std::string const& id) const {
  std::lock_guard lock(impl_->mutex);
  auto const it = impl_->message_index.find(id);
  if (it == impl_->message_index.end()) {
    return std::nullopt;
  }
  return impl_->messages[it->second];
}

std::vector<ScgMessageRequest> FakeSyniverse::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::vector<ScgEvent> FakeSyniverse::events() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->events;
}

bool FakeSyniverse::wait_for_settled_events(std::size_t count,
                                            std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [this, count] {
    return static_cast<std::size_t>(
               std::count_if(impl_->events.begin(), impl_->events.end(),
                             [](ScgEvent const& e) { return is_settled(e.state); })) >= count;
  });
}

Result<std::string> FakeSyniverse::inject_inbound(std::string const& from,
                                                  std::string const& body) {
  return impl_->inbound(from, body);
}

Result<std::string> FakeSyniverse::Impl::inbound(std::string const& from, std::string const& body) {
  auto& s = *this;
  if (!is_e164(from)) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("fake syniverse: inbound 'from' must be E.164, got '{}'", from));
  }
  json fields;
  std::string id;
  {
    std::lock_guard lock(s.mutex);
    if (s.stopped) {
      return make_error(Errc::kFailedPrecondition, "fake syniverse: stopped");
    }
    ScgMessage message{.id = s.ids.next_resource_id(),
                       .direction = "MO",
                       .from_address = from,
                       .to_address = s.config.sender_address,
                       .body = body,
                       .state = "RECEIVED",
                       .created_at = s.clock.now()};
    id = message.id;
    s.apply_keyword(from, body);
    fields = json{{"message_id", message.id},
                  {"from_address", from},
                  {"to_address", message.to_address},
                  {"message_body", body},
                  {"message_body_truncated", false},
                  {"has_attachment", false},
                  {"fragments_count", 1},
                  {"sender_id_alias", ""},
                  {"sender_id_id", ""},
                  {"company-id", s.config.company_id},
                  {"application_id", s.config.application_id},
                  {"mo_price", 0.0},
                  {"carrier_name", "Fake Carrier"}};
    s.message_index.emplace(id, s.messages.size());
    s.messages.push_back(std::move(message));
  }
  s.emit(std::string(kInbound), std::move(fields), id, "RECEIVED");
  return id;
}

void FakeSyniverse::set_outcome(std::string const& to, Outcome outcome, std::string reason_code) {
  std::lock_guard lock(impl_->mutex);
  impl_->scripted_outcomes[to] = {outcome, std::move(reason_code)};
}

Status FakeSyniverse::script_event_faults(std::size_t count, EventFault fault, EventMatch match) {
  if (count == 0 || count > kMaxScriptedCount) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("fake syniverse: event fault count {} is not 1 to {}", count,
                                  kMaxScriptedCount));
  }
  std::lock_guard lock(impl_->mutex);
  impl_->scripted_event_faults.push_back(
      {.remaining = count, .fault = fault, .match = std::move(match)});
  return ok_status();
}

bool FakeSyniverse::opted_out(std::string const& number) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->opted_out.contains(number);
}

void FakeSyniverse::expire_token(std::string const& token) {
  std::lock_guard lock(impl_->mutex);
  impl_->expired_tokens.push_back(token);
}

void FakeSyniverse::reset_faults() {
  impl_->server.clear_faults();
  std::lock_guard lock(impl_->mutex);
  impl_->scripted_event_faults.clear();
  impl_->scripted_outcomes.clear();
}

}  // namespace candor::fakes::syniverse
