#include "fakes/syniverse/fake_syniverse.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/log.hpp"
#include "fakes/http/client.hpp"
#include "fakes/http/codec.hpp"
#include "fakes/syniverse/scg_wire.hpp"

namespace candor::fakes::syniverse {
namespace {

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

http::Response admin_error(std::string message) {
  return http::Response::json(400, json{{"error", std::move(message)}}.dump());
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

  // Message life.
  struct Plan {
    Outcome outcome;
    std::string reason_code;
  };
  Plan plan_for(std::string const& to, std::string const& body, std::string const& external_id);
  void transition(std::string const& message_id, std::string const& new_state);

  // Events.
  void emit(std::string type, json fields, std::string message_id, std::string new_state);
  Result<std::string> inbound(std::string const& from, std::string const& body);
  void attempt(std::size_t index, int number, bool may_retry);
  void attempt_done(std::size_t index, int number, bool may_retry,
                    http::ClientResult const& result);
  std::optional<EventFault> take_event_fault(std::string const& message_id,
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
  std::deque<EventFault> scripted_event_faults;
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
                                                        std::string const& body,
                                                        std::string const& external_id) {
  if (auto const it = scripted_outcomes.find(to); it != scripted_outcomes.end()) {
    auto plan = it->second;
    if (plan.reason_code.empty() && plan.outcome != Outcome::kDelivered) {
      plan.reason_code = plan.outcome == Outcome::kExpired ? "1007" : config.failure_codes.at(0);
    }
    return plan;
  }

  // Keyed by what the message says, not by when it came, so that the same scenario
  // gives the same outcomes however the sends interleave.
  auto const key = fmt::format("{}\n{}\n{}", to, body, external_id);
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

  std::vector<std::string> created;
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
      auto const plan = plan_for(to, send.body, send.external_id);
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
          .created_at = now};
      record.message_ids.push_back(message.id);
      message_index.emplace(message.id, messages.size());
      messages.push_back(std::move(message));
    }
    created = record.message_ids;
    request_index.emplace(record.id, requests.size());
    requests.push_back(std::move(record));
  }
  changed.notify_all();
  logger().debug("accepted message_request={} recipients={}", request_id, created.size());

  if (!send.test_message) {
    for (auto const& id : created) {
      schedule(config.sent_delay, [this, id] { transition(id, "SENT"); });
    }
  }
  return http::Response::json(200, json{{"id", request_id}}.dump());
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

std::optional<EventFault> FakeSyniverse::Impl::take_event_fault(std::string const& message_id,
                                                                std::string const& new_state) {
  if (!scripted_event_faults.empty()) {
    auto fault = scripted_event_faults.front();
    scripted_event_faults.pop_front();
    return fault;
  }
  auto const& rates = config.event_faults;
  auto const draw = seeded_draw(config.seed, "event\n" + message_id + "\n" + new_state);
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
    fault = take_event_fault(message_id, new_state);
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
                   .payload = envelope.dump(),
                   .state = config.delivery.url.empty() ? "NO_ENDPOINT" : "PENDING"};
    if (fault) {
      event.fault = fault->kind == EventFault::Kind::kDrop        ? "drop"
                    : fault->kind == EventFault::Kind::kDuplicate ? "duplicate"
                                                                  : "delay";
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
    request.body = envelope.dump();
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
  return http::Response::json(200, out.dump());
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
      200, json{{"list", list}, {"offset", *offset}, {"limit", *limit}, {"total", total}}.dump());
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
  return http::Response::json(200, message_json(messages[it->second]).dump());
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
      return http::Response::json(404, json{{"error", "unknown admin resource " + path}}.dump());
    }
    return http::Response::json(200, out.dump());
  }

  auto const body = json::parse(request.body.empty() ? "{}" : request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return admin_error("body must be a JSON object");
  }
  auto const text = [&body](char const* field) { return body.value(field, std::string()); };
  auto const number = [&body](char const* field, std::int64_t fallback) {
    return body.contains(field) && body[field].is_number_integer() ? body[field].get<std::int64_t>()
                                                                   : fallback;
  };

  if (path == "/__admin/inbound") {
    auto id = inbound(text("from"), text("body"));
    if (!id) {
      return admin_error(id.error().message);
    }
    return http::Response::json(200, json{{"message_id", *id}}.dump());
  }
  if (path == "/__admin/outcomes") {
    auto const outcome = parse_outcome(text("outcome"));
    if (!outcome || !is_e164(text("to"))) {
      return admin_error("expected {\"to\":\"+E164\",\"outcome\":\"delivered|failed|expired\"}");
    }
    std::lock_guard lock(mutex);
    scripted_outcomes[text("to")] = {*outcome, text("reason_code")};
    return http::Response::json(200, "{}");
  }
  if (path == "/__admin/faults") {
    auto const kind = text("kind");
    auto const count = number("count", 1);
    http::Fault fault;
    if (kind == "status") {
      fault = http::Fault::with_status(static_cast<int>(number("status", 500)), text("body"));
    } else if (kind == "drop") {
      fault = http::Fault::drop();
    } else if (kind == "reset") {
      fault = http::Fault::reset();
    } else if (kind == "delay") {
      fault = http::Fault::delayed(std::chrono::milliseconds(number("delay_ms", 0)));
    } else {
      return admin_error("kind must be status, drop, reset or delay");
    }
    if (count < 0) {
      return admin_error("count must not be negative");
    }
    server.fail_next(static_cast<std::size_t>(count), std::move(fault));
    return http::Response::json(200, "{}");
  }
  if (path == "/__admin/latency") {
    server.set_latency(std::chrono::milliseconds(number("ms", 0)));
    return http::Response::json(200, "{}");
  }
  if (path == "/__admin/event_faults") {
    auto const kind = text("kind");
    EventFault fault{.delay = std::chrono::milliseconds(number("delay_ms", 0))};
    if (kind == "drop") {
      fault.kind = EventFault::Kind::kDrop;
    } else if (kind == "duplicate") {
      fault.kind = EventFault::Kind::kDuplicate;
    } else if (kind == "delay") {
      fault.kind = EventFault::Kind::kDelay;
    } else {
      return admin_error("kind must be drop, duplicate or delay");
    }
    std::lock_guard lock(mutex);
    for (std::int64_t i = 0; i < number("count", 1); ++i) {
      scripted_event_faults.push_back(fault);
    }
    return http::Response::json(200, "{}");
  }
  if (path == "/__admin/tokens/expire") {
    if (text("token").empty()) {
      return admin_error("expected {\"token\":\"...\"}");
    }
    std::lock_guard lock(mutex);
    expired_tokens.push_back(text("token"));
    return http::Response::json(200, "{}");
  }
  if (path == "/__admin/reset") {
    server.clear_faults();
    std::lock_guard lock(mutex);
    scripted_event_faults.clear();
    scripted_outcomes.clear();
    return http::Response::json(200, "{}");
  }
  return http::Response::json(404, json{{"error", "unknown admin action " + path}}.dump());
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

Status FakeSyniverse::start() {
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

void FakeSyniverse::script_event_faults(std::size_t count, EventFault fault) {
  std::lock_guard lock(impl_->mutex);
  for (std::size_t i = 0; i < count; ++i) {
    impl_->scripted_event_faults.push_back(fault);
  }
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
