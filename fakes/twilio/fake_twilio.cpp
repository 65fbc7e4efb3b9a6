#include "fakes/twilio/fake_twilio.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/log.hpp"
#include "fakes/http/client.hpp"
#include "fakes/http/codec.hpp"
#include "fakes/twilio/admin_api.hpp"
#include "fakes/twilio/signature.hpp"

namespace candor::fakes::twilio {

namespace {

using Json = nlohmann::json;
using http::Fields;
using http::Request;
using http::Response;

constexpr char kApiVersion[] = "2010-04-01";
constexpr std::size_t kMaxBodyChars = 1600;

// ---------------------------------------------------------------------------------------
// Deterministic randomness: FNV-1a over the key, then a splitmix64 finaliser. Stable
// across runs and platforms, unlike std::hash.

std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t hash_key(std::uint64_t seed, std::string_view key, std::string_view salt) {
  std::uint64_t h = 0xCBF29CE484222325ULL ^ mix(seed);
  for (auto const part : {key, std::string_view("\x1f"), salt}) {
    for (char const c : part) {
      h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
    }
  }
  return mix(h);
}

/// A uniform number in [0, 1) for (seed, key, salt).
double unit(std::uint64_t seed, std::string_view key, std::string_view salt) {
  return static_cast<double>(hash_key(seed, key, salt) >> 11) * 0x1.0p-53;
}

std::string make_sid(std::string_view prefix, std::uint64_t seed, std::uint64_t counter) {
  return fmt::format("{}{:016x}{:016x}", prefix, mix(seed ^ mix(counter)),
                     mix(counter * 0x2545F4914F6CDD1DULL + seed));
}

// ---------------------------------------------------------------------------------------
// Formats.

/// "Thu, 24 Aug 2023 05:01:45 +0000" (RFC 2822, always GMT, English names).
std::string rfc2822(clock::TimePoint t) {
  static constexpr char const* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr char const* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto const day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day const ymd{day};
  std::chrono::hh_mm_ss const hms{std::chrono::floor<std::chrono::seconds>(t - day)};
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
                     kDays[std::chrono::weekday{day}.c_encoding()],
                     static_cast<unsigned>(ymd.day()),
                     kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

/// "YYMMDDhhmm", the carrier DLR done date Twilio passes through.
std::string dlr_date(clock::TimePoint t) {
  auto const day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day const ymd{day};
  std::chrono::hh_mm_ss const hms{std::chrono::floor<std::chrono::seconds>(t - day)};
  return fmt::format("{:02}{:02}{:02}{:02}{:02}", static_cast<int>(ymd.year()) % 100,
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count());
}

bool is_e164(std::string_view number) {
  if (number.size() < 3 || number.size() > 16 || number[0] != '+' || number[1] == '0') {
    return false;
  }
  return std::all_of(number.begin() + 1, number.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Code points of UTF-8 text, and whether every one is 7-bit (a stand-in for GSM-7).
std::pair<std::size_t, bool> measure(std::string_view text) {
  std::size_t chars = 0;
  bool ascii = true;
  for (char const c : text) {
    auto const u = static_cast<unsigned char>(c);
    if ((u & 0xC0) != 0x80) {
      ++chars;
    }
    ascii = ascii && u < 0x80;
  }
  return {chars, ascii};
}

int segments_of(std::string_view body) {
  auto const [chars, gsm] = measure(body);
  std::size_t const single = gsm ? 160 : 70;
  std::size_t const part = gsm ? 153 : 67;
  if (chars <= single) {
    return 1;
  }
  return static_cast<int>((chars + part - 1) / part);
}

std::string error_text(int code) {
  switch (code) {
    case 21610:
      return "Attempt to send to unsubscribed recipient";
    case 30001:
      return "Queue overflow";
    case 30003:
      return "Unreachable destination handset";
    case 30004:
      return "Message blocked";
    case 30005:
      return "Unknown destination handset";
    case 30006:
      return "Landline or unreachable carrier";
    case 30007:
      return "Message filtered";
    case 30008:
      return "Unknown error";
    default:
      return "Message delivery failed";
  }
}

/// Twilio's REST error body (2010 API shape).
Response error_response(int http_status, int code, std::string message) {
  Json body = {{"code", code},
               {"message", std::move(message)},
               {"more_info", fmt::format("https://www.twilio.com/docs/errors/{}", code)},
               {"status", http_status}};
  return Response::json(http_status, body.dump());
}

std::string upper(std::string_view text) {
  std::string out;
  for (char const c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

/// One planned status of an outbound message.
struct Step {
  std::string status;
  std::optional<int> error_code;
  clock::TimePoint at{};
};

/// A callback to send, with what to do once it is over.
struct CallbackJob {
  std::string kind;
  std::string message_sid;
  std::string status;
  std::string url;
  Fields params;
  int attempt = 1;
  bool duplicate = false;
  std::function<void()> then;
};

}  // namespace

char const* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kDelivered:
      return "delivered";
    case Outcome::kUndelivered:
      return "undelivered";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kSentOnly:
      return "sent";
  }
  return "unknown";
}

std::optional<Outcome> parse_outcome(std::string_view text) {
  for (auto const outcome :
       {Outcome::kDelivered, Outcome::kUndelivered, Outcome::kFailed, Outcome::kSentOnly}) {
    if (text == outcome_name(outcome)) {
      return outcome;
    }
  }
  return std::nullopt;
}

struct FakeTwilio::Impl : std::enable_shared_from_this<Impl> {
  Impl(clock::Clock& c, FakeTwilioConfig cfg, clock::WorkTracker* t)
      : clock(c),
        config(std::move(cfg)),
        tracker(t),
        log(candor::log::get("fake.twilio")),
        server(c,
               http::ServerOptions{.bind_address = config.bind_address,
                                   .port = config.port,
                                   .threads = config.threads,
                                   .log_name = "fake.twilio"},
               t),
        client(c, t, {.log_name = "fake.twilio.callbacks"}),
        outcomes(config.outcomes),
        delays(config.delays),
        faults(config.callback_faults) {}

  clock::Clock& clock;
  FakeTwilioConfig const config;
  clock::WorkTracker* const tracker;
  spdlog::logger& log;
  http::HttpServer server;
  http::HttpClient client;

  mutable std::mutex mutex;
  std::condition_variable callbacks_changed;
  std::condition_variable stopped_changed;
  std::vector<OutcomeWeight> outcomes;
  CallbackDelays delays;
  CallbackFaults faults;
  std::map<std::string, MessageRecord> messages;  // by SID
  std::map<std::string, Fields> held;             // reordered `sent` callbacks, by SID
  std::set<std::string> opted_out;
  std::vector<CallbackRecord> callbacks;
  std::set<clock::TimerId> timers;
  std::uint64_t next_sequence = 1;
  bool stopped = true;

  // -------------------------------------------------------------------------------------
  // Authentication and lookup.

  std::string path_prefix() const {
    return fmt::format("/{}/Accounts/{}", kApiVersion, config.account_sid);
  }

  /// nullopt when the request may proceed, else the 401 to answer.
  std::optional<Response> authenticate(Request const& request) const {
    auto const header = request.header("Authorization");
    auto const credentials = header ? http::parse_basic_auth(*header) : std::nullopt;
    if (!credentials) {
      return error_response(401, 20003, "Authentication Error - No credentials provided");
    }
    bool const account_ok =
        credentials->user == config.account_sid && credentials->password == config.auth_token;
    bool const key_ok = !config.api_key_sid.empty() && credentials->user == config.api_key_sid &&
                        credentials->password == config.api_key_secret;
    if (!account_ok && !key_ok) {
      return error_response(401, 20003, "Authenticate");
    }
    if (request.path_param("account") != config.account_sid) {
      // Credentials of this account cannot reach another account's resources.
      return error_response(401, 20003, "Authenticate");
    }
    return std::nullopt;
  }

  MessagingService const* find_service(std::string_view sid) const {
    for (auto const& service : config.services) {
      if (service.sid == sid) {
        return &service;
      }
    }
    return nullptr;
  }

  bool owns_number(std::string_view number) const {
    if (std::find(config.numbers.begin(), config.numbers.end(), number) != config.numbers.end()) {
      return true;
    }
    return std::any_of(config.services.begin(), config.services.end(), [&](auto const& s) {
      return std::find(s.senders.begin(), s.senders.end(), number) != s.senders.end();
    });
  }

  // -------------------------------------------------------------------------------------
  // Rendering.

  Json to_json(MessageRecord const& m) const {
    auto const uri = fmt::format("{}/Messages/{}.json", path_prefix(), m.sid);
    bool const priced = m.status == "sent" || m.status == "delivered" || m.status == "undelivered";
    return Json{
        {"account_sid", config.account_sid},
        {"api_version", kApiVersion},
        {"body", m.body},
        {"date_created", rfc2822(m.date_created)},
        {"date_sent", m.date_sent ? Json(rfc2822(*m.date_sent)) : Json(nullptr)},
        {"date_updated", rfc2822(m.date_updated)},
        {"direction", m.direction},
        {"error_code", m.error_code ? Json(*m.error_code) : Json(nullptr)},
        {"error_message", m.error_code ? Json(error_text(*m.error_code)) : Json(nullptr)},
        {"from", m.from.empty() ? Json(nullptr) : Json(m.from)},
        {"messaging_service_sid",
         m.messaging_service_sid.empty() ? Json(nullptr) : Json(m.messaging_service_sid)},
        {"num_media", "0"},
        {"num_segments", std::to_string(m.num_segments)},
        {"price", priced ? Json(fmt::format("-{:.5f}", 0.0079 * m.num_segments)) : Json(nullptr)},
        {"price_unit", "USD"},
        {"sid", m.sid},
        {"status", m.status},
        {"subresource_uris",
         {{"media", fmt::format("{}/Messages/{}/Media.json", path_prefix(), m.sid)},
          {"feedback", fmt::format("{}/Messages/{}/Feedback.json", path_prefix(), m.sid)}}},
        {"to", m.to},
        {"uri", uri},
    };
  }

  // -------------------------------------------------------------------------------------
  // Create.

  Response create(Request const& request) {
    if (auto denied = authenticate(request)) {
      return *denied;
    }
    auto const content_type = request.header("Content-Type").value_or("");
    auto form = http::parse_form(request.body);
    if (!content_type.starts_with("application/x-www-form-urlencoded") || !form) {
      return error_response(400, 20001,
                            form ? "Content-Type must be application/x-www-form-urlencoded"
                                 : "Malformed form body: " + form.error().message);
    }

    auto const field = [&](std::string_view name) {
      return http::find_field(*form, name).value_or("");
    };
    auto const to = field("To");
    auto from = field("From");
    auto service_sid = field("MessagingServiceSid");
    auto const body = field("Body");
    auto const status_callback = field("StatusCallback");
    bool const has_media = http::find_field(*form, "MediaUrl").has_value() ||
                           http::find_field(*form, "ContentSid").has_value();

    if (to.empty()) {
      return error_response(400, 21604, "A 'To' phone number is required.");
    }
    if (config.test_credentials) {
      service_sid.clear();  // test credentials do not support Messaging Services
    }
    if (from.empty() && service_sid.empty()) {
      return error_response(400, 21603, "A 'From' phone number is required.");
    }
    if (body.empty() && !has_media) {
      return error_response(400, 21602, "Message body is required.");
    }
    if (measure(body).first > kMaxBodyChars) {
      return error_response(400, 21617,
                            "The concatenated message body exceeds the 1600 character limit.");
    }
    if (config.test_credentials) {
      if (auto magic = test_magic(to, from)) {
        return *magic;
      }
    }
    if (!is_e164(to) || to == from) {
      return error_response(400, 21211,
                            fmt::format("The 'To' number {} is not a valid phone number.", to));
    }

    MessagingService const* service = nullptr;
    if (!service_sid.empty()) {
      service = find_service(service_sid);
      if (service == nullptr) {
        // The code for an unknown service is the fake's choice; Twilio's is not documented
        // in providers/twilio.md.
        return error_response(400, 21705,
                              fmt::format("The Messaging Service Sid {} is invalid.", service_sid));
      }
    }
    if (!from.empty() && !config.test_credentials) {
      bool const in_pool = service == nullptr
                               ? owns_number(from)
                               : std::find(service->senders.begin(), service->senders.end(),
                                           from) != service->senders.end();
      if (!in_pool) {
        return error_response(
            400, 21606,
            fmt::format("The 'From' phone number provided ({}) is not a valid message-capable "
                        "Twilio phone number for this destination.",
                        from));
      }
    }
    if (!status_callback.empty() && !http::parse_url(status_callback)) {
      return error_response(400, 21609, "The StatusCallback URL is not a valid URL.");
    }

    bool deferred_opt_out = false;
    {
      std::lock_guard lock(mutex);
      if (opted_out.contains(to)) {
        if (service == nullptr || !config.defer_opt_out_with_service) {
          return error_response(400, 21610, "Attempt to send to unsubscribed recipient");
        }
        deferred_opt_out = true;
      }
    }

    return Response::json(
        201, accept(to, from, body, service, status_callback, deferred_opt_out).dump());
  }

  /// Test-credential magic numbers; nullopt when the request passes.
  std::optional<Response> test_magic(std::string const& to, std::string const& from) const {
    if (from == "+15005550001") {
      return error_response(400, 21212,
                            fmt::format("The 'From' number {} is not a valid phone number, "
                                        "shortcode, or alphanumeric sender ID.",
                                        from));
    }
    if (from == "+15005550008") {
      return error_response(400, 21611,
                            "This 'From' number has exceeded the maximum number of queued "
                            "messages.");
    }
    if (!from.empty() && from != "+15005550006") {
      return error_response(400, 21606,
                            fmt::format("The 'From' phone number provided ({}) is not a valid "
                                        "message-capable Twilio phone number.",
                                        from));
    }
    static std::map<std::string, std::pair<int, char const*>> const kTo = {
        {"+15005550001", {21211, "The 'To' number is not a valid phone number."}},
        {"+15005550002", {21612, "The 'To' phone number is not currently reachable via SMS."}},
        {"+15005550003", {21408, "Permission to send an SMS has not been enabled for the region."}},
        {"+15005550004", {21610, "Attempt to send to unsubscribed recipient"}},
        {"+15005550009", {21614, "'To' number is not a valid mobile number"}},
    };
    if (auto const it = kTo.find(to); it != kTo.end()) {
      return error_response(400, it->second.first, it->second.second);
    }
    return std::nullopt;
  }

  /// Stores a new outbound message, plans its statuses and returns its 201 body.
  Json accept(std::string const& to, std::string const& from, std::string const& body,
              MessagingService const* service, std::string const& status_callback,
              bool deferred_opt_out) {
    std::string const callback_url = !status_callback.empty()
                                         ? status_callback
                                         : (service != nullptr ? service->status_callback : "");
    // What the client sent, and nothing about arrival order, decides the outcome.
    auto const key = fmt::format("{}|{}|{}|{}|{}", to, body, status_callback,
                                 service != nullptr ? service->sid : "", from);
    auto const now = clock.now();

    std::lock_guard lock(mutex);
    MessageRecord m;
    m.sequence = next_sequence++;
    m.sid = make_sid("SM", config.seed, m.sequence);
    m.direction = "outbound-api";
    m.to = to;
    m.from = from;
    m.body = body;
    m.messaging_service_sid = service != nullptr ? service->sid : "";
    m.status_callback = callback_url;
    m.status = service != nullptr ? "accepted" : "queued";
    m.num_segments = service != nullptr ? 0 : segments_of(body);
    m.date_created = m.date_updated = now;
    auto const rendered = to_json(m);
    auto const sid = m.sid;
    messages.emplace(sid, std::move(m));

    if (!config.test_credentials) {
      plan(sid, key, service != nullptr, deferred_opt_out, now);
    }
    log.debug("created sid={} to={} status={}", sid, candor::log::mask_phone(to),
              rendered["status"].get<std::string>());
    return rendered;
  }

  OutcomeWeight pick_outcome(std::string const& key) const {
    double total = 0;
    for (auto const& o : outcomes) {
      total += o.weight;
    }
    double point = unit(config.seed, key, "outcome") * total;
    for (auto const& o : outcomes) {
      if (point < o.weight) {
        return o;
      }
      point -= o.weight;
    }
    return outcomes.back();
  }

  /// Schedules the statuses after the initial one. Caller holds `mutex`.
  void plan(std::string const& sid, std::string const& key, bool with_service,
            bool deferred_opt_out, clock::TimePoint now) {
    auto const outcome =
        deferred_opt_out ? OutcomeWeight{Outcome::kFailed, 21610, 1} : pick_outcome(key);
    std::vector<Step> steps;
    auto at = now;
    if (with_service) {
      at += delays.queued;
      steps.push_back({"queued", std::nullopt, at});
    }
    at += delays.sent;
    if (outcome.outcome == Outcome::kFailed) {
      steps.push_back({"failed", outcome.error_code, at});
    } else {
      steps.push_back({"sent", std::nullopt, at});
      at += delays.final;
      if (outcome.outcome == Outcome::kDelivered) {
        steps.push_back({"delivered", std::nullopt, at});
      } else if (outcome.outcome == Outcome::kUndelivered) {
        steps.push_back({"undelivered", outcome.error_code, at});
      }
    }

    bool const reorder = steps.back().status != "sent" && steps.back().status != "failed" &&
                         unit(config.seed, key, "reorder") < faults.reorder_rate;
    std::weak_ptr<Impl> weak = weak_from_this();
    for (auto const& step : steps) {
      auto const id = std::make_shared<clock::TimerId>(0);
      *id = clock.call_at(step.at, [weak, sid, key, step, reorder, id] {
        if (auto self = weak.lock()) {
          self->apply(sid, key, step, reorder, id);
        }
      });
      timers.insert(*id);
    }
  }

  // -------------------------------------------------------------------------------------
  // Status progression and callbacks.

  /// Moves message `sid` to `step` and sends its callback. Runs on the clock's thread.
  /// `timer` is read under `mutex`: plan() assigns it under the same lock.
  void apply(std::string const& sid, std::string const& key, Step const& step, bool reorder,
             std::shared_ptr<clock::TimerId const> const& timer) {
    std::vector<CallbackJob> jobs;
    {
      std::lock_guard lock(mutex);
      timers.erase(*timer);
      auto const it = messages.find(sid);
      if (stopped || it == messages.end()) {
        return;
      }
      auto& m = it->second;
      auto const now = clock.now();
      m.status = step.status;
      m.error_code = step.error_code;
      m.date_updated = now;
      if (step.status == "queued" && m.from.empty()) {
        auto const* service = find_service(m.messaging_service_sid);
        if (service != nullptr && !service->senders.empty()) {
          m.from =
              service->senders[hash_key(config.seed, m.to, "sender") % service->senders.size()];
        }
      }
      if (step.status == "queued" || m.num_segments == 0) {
        m.num_segments = segments_of(m.body);
      }
      if (step.status == "sent") {
        m.date_sent = now;
      }
      if (m.status_callback.empty()) {
        return;
      }

      auto params = status_params(m, now);
      if (reorder && step.status == "sent") {
        held[sid] = std::move(params);
        return;
      }
      CallbackJob job{.kind = "status",
                      .message_sid = sid,
                      .status = step.status,
                      .url = m.status_callback,
                      .params = std::move(params)};
      if (auto const h = held.find(sid); h != held.end()) {
        CallbackJob late{.kind = "status",
                         .message_sid = sid,
                         .status = "sent",
                         .url = m.status_callback,
                         .params = std::move(h->second)};
        held.erase(h);
        plan_faults(late, key);
        job.then = [weak = weak_from_this(), late]() mutable {
          if (auto self = weak.lock()) {
            self->dispatch(std::move(late));
          }
        };
      }
      plan_faults(job, key);
      jobs.push_back(std::move(job));
    }
    for (auto& job : jobs) {
      dispatch(std::move(job));
    }
  }

  /// Applies the seeded drop and duplicate decisions to `job`. Caller holds `mutex`.
  void plan_faults(CallbackJob& job, std::string const& key) {
    if (unit(config.seed, key, "drop:" + job.status) < faults.drop_rate) {
      job.url.clear();  // marks the job as dropped
      return;
    }
    if (unit(config.seed, key, "duplicate:" + job.status) < faults.duplicate_rate) {
      auto copy = job;
      copy.duplicate = true;
      job.then = [weak = weak_from_this(), copy]() mutable {
        if (auto self = weak.lock()) {
          self->dispatch(std::move(copy));
        }
      };
    }
  }

  Fields status_params(MessageRecord const& m, clock::TimePoint now) const {
    Fields params = {{"MessageSid", m.sid},
                     {"SmsSid", m.sid},
                     {"MessageStatus", m.status},
                     {"SmsStatus", m.status},
                     {"AccountSid", config.account_sid},
                     {"From", m.from},
                     {"To", m.to},
                     {"ApiVersion", kApiVersion}};
    if (!m.messaging_service_sid.empty()) {
      params.emplace_back("MessagingServiceSid", m.messaging_service_sid);
    }
    if (m.error_code) {
      params.emplace_back("ErrorCode", std::to_string(*m.error_code));
    }
    if (m.status == "delivered" || m.status == "undelivered") {
      params.emplace_back("RawDlrDoneDate", dlr_date(now));
    }
    return params;
  }

  /// Records and sends one callback attempt; follow-ups run when it is over.
  void dispatch(CallbackJob job) {
    auto const signature = sign_request(config.auth_token, job.url, job.params);
    std::size_t index = 0;
    std::chrono::milliseconds timeout{};
    {
      std::lock_guard lock(mutex);
      if (stopped) {
        return;
      }
      index = callbacks.size();
      timeout = faults.timeout;
      callbacks.push_back(CallbackRecord{.number = index + 1,
                                         .kind = job.kind,
                                         .message_sid = job.message_sid,
                                         .status = job.status,
                                         .url = job.url,
                                         .params = job.params,
                                         .signature = signature,
                                         .attempt = job.attempt,
                                         .duplicate = job.duplicate,
                                         .dropped = job.url.empty(),
                                         .sent_at = clock.now(),
                                         .completed = job.url.empty()});
    }
    if (job.url.empty()) {
      log.info("dropped {} callback sid={} status={}", job.kind, job.message_sid, job.status);
      callbacks_changed.notify_all();
      if (job.then) {
        job.then();
      }
      return;
    }

    auto const url = job.url;
    auto const body = http::encode_form(job.params);
    client.send(
        http::ClientRequest{.method = "POST",
                            .url = url,
                            .headers = {{"X-Twilio-Signature", signature},
                                        {"I-Twilio-Idempotency-Token",
                                         make_sid("", config.seed, index + 0xABCDEF)}},
                            .body = body,
                            .content_type = "application/x-www-form-urlencoded; charset=utf-8",
                            .timeout = timeout},
        [this, index, job = std::move(job)](http::ClientResult const& result) mutable {
          completed(index, std::move(job), result);
        });
  }

  /// Runs on the client's thread when a callback exchange is over.
  void completed(std::size_t index, CallbackJob job, http::ClientResult const& result) {
    bool retry = false;
    clock::Duration retry_delay{};
    {
      std::lock_guard lock(mutex);
      auto& record = callbacks[index];
      record.completed = true;
      record.completed_at = result.completed_at;
      record.http_status = result.status;
      record.error = result.error ? result.error->message : "";
      retry = faults.retry_once && job.attempt == 1 && !stopped &&
              (result.error.has_value() || result.status >= 500);
      retry_delay = faults.retry_delay;
    }
    callbacks_changed.notify_all();
    if (!result.ok()) {
      log.warn("{} callback sid={} status={} attempt {} failed: {}", job.kind, job.message_sid,
               job.status, job.attempt,
               result.error ? result.error->message : fmt::format("HTTP {}", result.status));
    }

    if (retry) {
      job.attempt = 2;
      std::lock_guard lock(mutex);
      auto const id = std::make_shared<clock::TimerId>(0);
      *id = clock.call_after(retry_delay, [weak = weak_from_this(), job, id]() mutable {
        if (auto self = weak.lock()) {
          {
            std::lock_guard inner(self->mutex);
            self->timers.erase(*id);
          }
          self->dispatch(std::move(job));
        }
      });
      timers.insert(*id);
      return;
    }
    if (job.then) {
      job.then();
    }
  }

  // -------------------------------------------------------------------------------------
  // Fetch and list.

  Response fetch(Request const& request) {
    if (auto denied = authenticate(request)) {
      return *denied;
    }
    if (config.test_credentials) {
      return error_response(403, 20008, "Resource not accessible with Test Account Credentials");
    }
    std::lock_guard lock(mutex);
    auto const it = messages.find(request.path_param("sid"));
    if (it == messages.end()) {
      return error_response(404, 20404,
                            fmt::format("The requested resource {} was not found", request.path));
    }
    return Response::json(200, to_json(it->second).dump());
  }

  Response list(Request const& request) {
    if (auto denied = authenticate(request)) {
      return *denied;
    }
    if (config.test_credentials) {
      return error_response(403, 20008, "Resource not accessible with Test Account Credentials");
    }
    auto const number = [&](std::string_view name, long fallback) -> std::optional<long> {
      auto const text = request.query_param(name);
      if (!text) {
        return fallback;
      }
      char* end = nullptr;
      long const value = std::strtol(text->c_str(), &end, 10);
      if (text->empty() || *end != '\0') {
        return std::nullopt;
      }
      return value;
    };
    auto const page_size = number("PageSize", 50);
    auto const page = number("Page", 0);
    if (!page_size || *page_size < 1 || *page_size > 1000 || !page || *page < 0) {
      return error_response(400, 20001, "PageSize must be 1..1000 and Page a number >= 0");
    }
    auto const to = request.query_param("To");
    auto const from = request.query_param("From");

    std::vector<MessageRecord const*> matching;
    std::lock_guard lock(mutex);
    for (auto const& [sid, m] : messages) {
      if ((!to || m.to == *to) && (!from || m.from == *from)) {
        matching.push_back(&m);
      }
    }
    // Newest first, as Twilio lists them.
    std::sort(matching.begin(), matching.end(),
              [](auto const* a, auto const* b) { return a->sequence > b->sequence; });

    auto const start = static_cast<std::size_t>(*page * *page_size);
    auto const end = std::min(matching.size(), start + static_cast<std::size_t>(*page_size));
    Json items = Json::array();
    for (auto i = start; i < end; ++i) {
      items.push_back(to_json(*matching[i]));
    }

    std::string filters;
    if (to) {
      filters += "&To=" + http::percent_encode(*to, true);
    }
    if (from) {
      filters += "&From=" + http::percent_encode(*from, true);
    }
    auto const page_uri = [&](long n) {
      return fmt::format("{}/Messages.json?PageSize={}&Page={}{}", path_prefix(), *page_size, n,
                         filters);
    };
    bool const more = end < matching.size();
    Json out = {
        {"messages", items},
        {"end", items.empty() ? 0 : static_cast<long>(end) - 1},
        {"first_page_uri", page_uri(0)},
        {"next_page_uri",
         more ? Json(fmt::format("{}&PageToken=PA{}", page_uri(*page + 1), matching[end - 1]->sid))
              : Json(nullptr)},
        {"page", *page},
        {"page_size", *page_size},
        {"previous_page_uri", *page > 0 ? Json(page_uri(*page - 1)) : Json(nullptr)},
        {"start", static_cast<long>(start)},
        {"uri", page_uri(*page)},
    };
    return Response::json(200, out.dump());
  }

  // -------------------------------------------------------------------------------------
  // Inbound.

  Result<std::string> inbound(InboundMessage message) {
    if (message.to.empty()) {
      if (!config.services.empty() && !config.services.front().senders.empty()) {
        message.to = config.services.front().senders.front();
      } else if (!config.numbers.empty()) {
        message.to = config.numbers.front();
      }
    }
    if (!is_e164(message.from) || !is_e164(message.to)) {
      return make_error(Errc::kInvalidArgument,
                        "inbound message: 'from' and 'to' must be E.164 numbers");
    }

    MessagingService const* service = nullptr;
    for (auto const& s : config.services) {
      if (std::find(s.senders.begin(), s.senders.end(), message.to) != s.senders.end()) {
        service = &s;
        break;
      }
    }
    std::string const url = service != nullptr && !service->inbound_url.empty()
                                ? service->inbound_url
                                : config.inbound_url;
    if (url.empty()) {
      return make_error(
          Errc::kFailedPrecondition,
          "inbound message: no inbound URL configured for " + candor::log::mask_phone(message.to));
    }

    static std::set<std::string> const kStop = {"STOP",   "STOPALL", "UNSUBSCRIBE",
                                                "CANCEL", "END",     "QUIT"};
    static std::set<std::string> const kStart = {"START", "YES", "UNSTOP"};
    auto const keyword = upper(message.body);
    auto const now = clock.now();

    CallbackJob job{.kind = "inbound", .status = "received", .url = url};
    {
      std::lock_guard lock(mutex);
      if (kStop.contains(keyword)) {
        opted_out.insert(message.from);
      } else if (kStart.contains(keyword)) {
        opted_out.erase(message.from);
      }

      MessageRecord m;
      m.sequence = next_sequence++;
      m.sid = make_sid("SM", config.seed, m.sequence);
      m.direction = "inbound";
      m.to = message.to;
      m.from = message.from;
      m.body = message.body;
      m.messaging_service_sid = service != nullptr ? service->sid : "";
      m.status = "received";
      m.num_segments = segments_of(message.body);
      m.date_created = m.date_updated = now;
      m.date_sent = now;
      job.message_sid = m.sid;
      job.params = {{"ToCountry", "US"},
                    {"SmsMessageSid", m.sid},
                    {"NumMedia", "0"},
                    {"SmsSid", m.sid},
                    {"SmsStatus", "received"},
                    {"Body", m.body},
                    {"To", m.to},
                    {"NumSegments", std::to_string(m.num_segments)},
                    {"MessageSid", m.sid},
                    {"AccountSid", config.account_sid},
                    {"From", m.from},
                    {"ApiVersion", kApiVersion}};
      if (service != nullptr) {
        job.params.emplace_back("MessagingServiceSid", service->sid);
      }
      messages.emplace(m.sid, std::move(m));
    }
    auto const sid = job.message_sid;
    dispatch(std::move(job));
    return sid;
  }
};

FakeTwilio::FakeTwilio(clock::Clock& clock, FakeTwilioConfig config, clock::WorkTracker* tracker)
    : impl_(std::make_shared<Impl>(clock, std::move(config), tracker)) {
  auto const account = fmt::format("/{}/Accounts/{{account}}", kApiVersion);
  auto* const impl = impl_.get();
  impl_->server.route("POST", account + "/Messages.json",
                      [impl](Request const& r) { return impl->create(r); });
  impl_->server.route("GET", account + "/Messages.json",
                      [impl](Request const& r) { return impl->list(r); });
  impl_->server.route("GET", account + "/Messages/{sid}.json",
                      [impl](Request const& r) { return impl->fetch(r); });
  install_admin_routes(*this);
}

FakeTwilio::~FakeTwilio() {
  stop();
  // Completion handlers use the fake's state; no more may run once it goes away.
  impl_->client.stop();
}

Status FakeTwilio::start() {
  auto status = impl_->server.start();
  if (status) {
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = false;
  }
  return status;
}

void FakeTwilio::stop() {
  std::set<clock::TimerId> timers;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
    timers.swap(impl_->timers);
  }
  for (auto const id : timers) {
    impl_->clock.cancel(id);
  }
  impl_->server.stop();
  impl_->stopped_changed.notify_all();
}

void FakeTwilio::wait_until_stopped() {
  std::unique_lock lock(impl_->mutex);
  impl_->stopped_changed.wait(lock, [&] { return impl_->stopped; });
}

std::string FakeTwilio::base_url() const {
  return impl_->server.base_url();
}
std::uint16_t FakeTwilio::port() const {
  return impl_->server.port();
}
std::string FakeTwilio::account_url() const {
  return base_url() + impl_->path_prefix();
}
FakeTwilioConfig const& FakeTwilio::config() const {
  return impl_->config;
}

Status FakeTwilio::set_outcomes(std::vector<OutcomeWeight> outcomes) {
  double total = 0;
  for (auto const& o : outcomes) {
    if (o.weight < 0) {
      return make_error(Errc::kInvalidArgument, "outcomes: weight must be >= 0");
    }
    total += o.weight;
  }
  if (outcomes.empty() || total <= 0) {
    return make_error(Errc::kInvalidArgument, "outcomes: need at least one positive weight");
  }
  std::lock_guard lock(impl_->mutex);
  impl_->outcomes = std::move(outcomes);
  return ok_status();
}

void FakeTwilio::set_delays(CallbackDelays delays) {
  std::lock_guard lock(impl_->mutex);
  impl_->delays = delays;
}

Status FakeTwilio::set_callback_faults(CallbackFaults faults) {
  for (double const rate : {faults.duplicate_rate, faults.drop_rate, faults.reorder_rate}) {
    if (!(rate >= 0.0 && rate <= 1.0)) {
      return make_error(Errc::kInvalidArgument, "callback faults: rates must be in [0, 1]");
    }
  }
  std::lock_guard lock(impl_->mutex);
  impl_->faults = faults;
  return ok_status();
}

void FakeTwilio::rate_limit_next(std::size_t count) {
  auto const body = error_response(429, 20429, "Too Many Requests").body;
  impl_->server.fail_next(count, http::Fault::with_status(429, body));
}

void FakeTwilio::server_error_next(std::size_t count, int status) {
  auto const body = error_response(status, 20500, "Internal Server Error").body;
  impl_->server.fail_next(count, http::Fault::with_status(status, body));
}

void FakeTwilio::reset_next(std::size_t count) {
  impl_->server.fail_next(count, http::Fault::reset());
}

void FakeTwilio::set_latency(clock::Duration latency) {
  impl_->server.set_latency(latency);
}

http::HttpServer& FakeTwilio::server() {
  return impl_->server;
}

Result<std::string> FakeTwilio::send_inbound(InboundMessage message) {
  return impl_->inbound(std::move(message));
}

bool FakeTwilio::opted_out(std::string const& number) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->opted_out.contains(number);
}

std::optional<MessageRecord> FakeTwilio::message(std::string const& sid) const {
  std::lock_guard lock(impl_->mutex);
  auto const it = impl_->messages.find(sid);
  if (it == impl_->messages.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<MessageRecord> FakeTwilio::messages() const {
  std::vector<MessageRecord> out;
  std::lock_guard lock(impl_->mutex);
  for (auto const& [sid, m] : impl_->messages) {
    out.push_back(m);
  }
  std::sort(out.begin(), out.end(),
            [](auto const& a, auto const& b) { return a.sequence < b.sequence; });
  return out;
}

std::vector<CallbackRecord> FakeTwilio::callbacks() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->callbacks;
}

bool FakeTwilio::wait_for_callbacks(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->callbacks_changed.wait_for(lock, timeout, [&] {
    return std::count_if(impl_->callbacks.begin(), impl_->callbacks.end(), [](auto const& c) {
             return c.completed;
           }) >= static_cast<std::ptrdiff_t>(count);
  });
}

std::string FakeTwilio::journal_json() const {
  auto const time = [](clock::TimePoint t) { return clock::to_unix_ms(t); };
  Json requests = Json::array();
  for (auto const& entry : impl_->server.journal()) {
    Json headers = Json::object();
    for (auto const& [name, value] : entry.headers) {
      headers[name] = http::find_header({{name, value}}, "Authorization") ? "<redacted>" : value;
    }
    requests.push_back({{"number", entry.number},
                        {"received_at_ms", time(entry.received_at)},
                        {"method", entry.method},
                        {"target", entry.target},
                        {"headers", headers},
                        {"body", entry.body},
                        {"status", entry.status},
                        {"fault", entry.fault},
                        {"routed", entry.routed}});
  }

  Json callbacks = Json::array();
  for (auto const& c : this->callbacks()) {
    Json params = Json::object();
    for (auto const& [name, value] : c.params) {
      params[name] = value;
    }
    callbacks.push_back({{"number", c.number},
                         {"kind", c.kind},
                         {"message_sid", c.message_sid},
                         {"status", c.status},
                         {"url", c.url},
                         {"params", params},
                         {"attempt", c.attempt},
                         {"duplicate", c.duplicate},
                         {"dropped", c.dropped},
                         {"sent_at_ms", time(c.sent_at)},
                         {"completed", c.completed},
                         {"completed_at_ms", time(c.completed_at)},
                         {"http_status", c.http_status},
                         {"error", c.error}});
  }
  return Json{{"requests", requests}, {"callbacks", callbacks}}.dump();
}

}  // namespace candor::fakes::twilio
