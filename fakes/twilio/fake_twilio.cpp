#include "fakes/twilio/fake_twilio.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/log.hpp"
#include "fakes/http/client.hpp"
#include "fakes/http/codec.hpp"
#include "fakes/http/json_text.hpp"
#include "fakes/twilio/admin_api.hpp"
#include "fakes/twilio/request_date.hpp"
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
  return Response::json(http_status, http::json_text(body));
}

/// An error the HTTP server raises itself (undecodable target, body too large, a handler
/// that threw). Twilio numbers its generic HTTP errors 20000 + status (20403, 20404,
/// 20429, 20500); the fake numbers these the same way.
Response server_error(int http_status, std::string const& message) {
  return error_response(http_status, 20000 + http_status, message);
}

/// The refusal of a parameter whose Twilio error code is not known (see the header).
Response invalid_parameter(std::string message) {
  return error_response(400, 20001, std::move(message));
}

Response not_found(std::string const& path) {
  return error_response(404, 20404, fmt::format("The requested resource {} was not found", path));
}

/// The resources of Twilio's 2010-04-01 API under an account (from its OpenAPI
/// description). The fake serves Messages; a request for one of the others is a known
/// endpoint it lacks (501), anything else is unknown (404).
bool is_twilio_account_resource(std::string_view name) {
  static constexpr std::string_view kResources[] = {"Addresses",
                                                    "Applications",
                                                    "AuthorizedConnectApps",
                                                    "AvailablePhoneNumbers",
                                                    "Balance",
                                                    "Calls",
                                                    "Conferences",
                                                    "ConnectApps",
                                                    "IncomingPhoneNumbers",
                                                    "Keys",
                                                    "Messages",
                                                    "Notifications",
                                                    "OutgoingCallerIds",
                                                    "Queues",
                                                    "Recordings",
                                                    "SIP",
                                                    "SMS",
                                                    "SigningKeys",
                                                    "Tokens",
                                                    "Transcriptions",
                                                    "Usage"};
  return std::find(std::begin(kResources), std::end(kResources), name) != std::end(kResources);
}

/// The half-open range of `date_sent` values a list request asks for.
struct SentRange {
  clock::TimePoint from = clock::TimePoint::min();
  clock::TimePoint to = clock::TimePoint::max();
  bool any = false;  ///< whether any DateSent filter was given
};

// ---------------------------------------------------------------------------------------
// The list operation's query.

/// Twilio's largest page; a larger PageSize is served as this.
constexpr std::uint64_t kMaxPageSize = 1000;

std::uint64_t saturating_product(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  return product;
}

std::uint64_t saturating_sum(std::uint64_t a, std::uint64_t b) {
  std::uint64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  return sum;
}

/// A whole number >= 0; digits past 2^64 - 1 saturate (such a number can only name a
/// page past the end). nullopt when `text` is not all digits.
std::optional<std::uint64_t> whole_number(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  return value;
}

struct ListQuery {
  std::uint64_t page = 0;
  std::uint64_t page_size = 50;
  std::optional<std::string> page_token;
  std::optional<std::string> to;
  std::optional<std::string> from;
  SentRange sent;
  /// The filters again, each followed by '&', for the page URIs.
  std::string filters;
};

/// Narrows `range` by one DateSent filter. A day alone ("2019-06-11") covers that day,
/// as Twilio's description says; a time counts to the second.
void narrow(SentRange& range, std::string_view name, RequestDate const& date) {
  using std::chrono::days;
  using std::chrono::seconds;
  range.any = true;
  if (name == "DateSent") {
    auto const day = std::chrono::floor<days>(date.at);
    range.from = std::max(range.from, clock::TimePoint(day));
    range.to = std::min(range.to, clock::TimePoint(day + days(1)));
  } else if (name == "DateSent<") {
    range.to = std::min(range.to, date.at + (date.whole_day ? clock::Duration(days(1))
                                                            : clock::Duration(seconds(1))));
  } else {
    range.from = std::max(range.from, date.at);
  }
}

Result<ListQuery> parse_list_query(Request const& request) {
  ListQuery query;
  if (auto const text = request.query_param("PageSize")) {
    auto const size = whole_number(*text);
    if (!size || *size == 0) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("PageSize '{}' must be a whole number from 1 to 1000", *text));
    }
    query.page_size = std::min(*size, kMaxPageSize);
  }
  if (auto const text = request.query_param("Page")) {
    auto const page = whole_number(*text);
    if (!page) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("Page '{}' must be a whole number >= 0", *text));
    }
    query.page = *page;
  }
  query.page_token = request.query_param("PageToken");

  // Filters, in the order of Twilio's own page URIs.
  for (char const* name : {"To", "From", "DateSent<", "DateSent", "DateSent>"}) {
    auto const value = request.query_param(name);
    if (!value) {
      continue;
    }
    query.filters +=
        fmt::format("{}={}&", http::percent_encode(name, true), http::percent_encode(*value, true));
    if (std::string_view(name) == "To") {
      query.to = value;
    } else if (std::string_view(name) == "From") {
      query.from = value;
    } else if (auto const date = parse_request_date(*value)) {
      narrow(query.sent, name, *date);
    } else {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("{} '{}' is not a date: expected YYYY-MM-DD, an ISO 8601 "
                                    "time or an RFC 2822 date",
                                    name, *value));
    }
  }
  return query;
}

bool listed(ListQuery const& query, MessageRecord const& m) {
  if ((query.to && m.to != *query.to) || (query.from && m.from != *query.from)) {
    return false;
  }
  if (!query.sent.any) {
    return true;
  }
  return m.date_sent && *m.date_sent >= query.sent.from && *m.date_sent < query.sent.to;
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
  std::string token;  ///< I-Twilio-Idempotency-Token, the same for every delivery
  int attempt = 1;
  bool duplicate = false;
  std::function<void()> then;
};

/// What a create request asks for, validated.
struct NewMessage {
  std::string to;
  std::string from;
  std::string body;
  MessagingService const* service = nullptr;
  std::string status_callback;
  bool deferred_opt_out = false;
  std::optional<clock::TimePoint> send_at;
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
                                   .log_name = "fake.twilio",
                                   .not_found = [this](Request const& r) { return unknown(r); },
                                   .error_response = server_error},
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
  std::map<std::string, std::uint64_t> deleted;   // sequence of deleted SIDs, for PageToken
  std::map<std::string, Fields> held;             // reordered `sent` callbacks, by SID
  std::set<std::string> opted_out;
  std::vector<CallbackRecord> callbacks;
  std::map<clock::TimerId, std::string> timers;  // pending, with their message SID or ""
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

  static bool pre_send(std::string_view status) {
    return status == "accepted" || status == "scheduled" || status == "queued";
  }

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
        // Twilio's examples give a null unit while nothing is priced yet (every create
        // example) and "USD" afterwards, even for a canceled or redacted message.
        {"price_unit", pre_send(m.status) ? Json(nullptr) : Json("USD")},
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

  /// The form of a POST, every value read as UTF-8 with bad bytes replaced; or the
  /// error to answer.
  Result<Fields> read_form(Request const& request) const {
    auto const content_type = request.header("Content-Type").value_or("");
    if (!content_type.starts_with("application/x-www-form-urlencoded")) {
      return make_error(Errc::kInvalidArgument,
                        "Content-Type must be application/x-www-form-urlencoded");
    }
    auto form = http::parse_form(request.body);
    if (!form) {
      return make_error(Errc::kInvalidArgument, "Malformed form body: " + form.error().message);
    }
    for (auto& [name, value] : *form) {
      name = http::valid_utf8(name);
      value = http::valid_utf8(value);
    }
    return form;
  }

  Response create(Request const& request) {
    if (auto denied = authenticate(request)) {
      return *denied;
    }
    auto form = read_form(request);
    if (!form) {
      return error_response(400, 20001, form.error().message);
    }

    auto const field = [&](std::string_view name) {
      return http::find_field(*form, name).value_or("");
    };
    NewMessage m{.to = field("To"),
                 .from = field("From"),
                 .body = field("Body"),
                 .status_callback = field("StatusCallback")};
    auto service_sid = field("MessagingServiceSid");
    bool const has_media = http::find_field(*form, "MediaUrl").has_value() ||
                           http::find_field(*form, "ContentSid").has_value();

    if (m.to.empty()) {
      return error_response(400, 21604, "A 'To' phone number is required.");
    }
    if (config.test_credentials) {
      service_sid.clear();  // test credentials do not support Messaging Services
    }
    if (m.from.empty() && service_sid.empty()) {
      return error_response(400, 21603, "A 'From' phone number is required.");
    }
    if (m.body.empty() && !has_media) {
      return error_response(400, 21602, "Message body is required.");
    }
    if (measure(m.body).first > kMaxBodyChars) {
      return error_response(400, 21617,
                            "The concatenated message body exceeds the 1600 character limit.");
    }
    if (config.test_credentials) {
      if (auto magic = test_magic(m.to, m.from)) {
        return *magic;
      }
    }
    if (!is_e164(m.to) || m.to == m.from) {
      return error_response(400, 21211,
                            fmt::format("The 'To' number {} is not a valid phone number.", m.to));
    }

    if (!service_sid.empty()) {
      m.service = find_service(service_sid);
      if (m.service == nullptr) {
        // The code for an unknown service is the fake's choice; Twilio's is not documented
        // in providers/twilio.md.
        return error_response(400, 21705,
                              fmt::format("The Messaging Service Sid {} is invalid.", service_sid));
      }
    }
    if (!m.from.empty() && !config.test_credentials) {
      auto const& pool = m.service != nullptr ? m.service->senders : std::vector<std::string>{};
      bool const in_pool = m.service == nullptr
                               ? owns_number(m.from)
                               : std::find(pool.begin(), pool.end(), m.from) != pool.end();
      if (!in_pool) {
        return error_response(
            400, 21606,
            fmt::format("The 'From' phone number provided ({}) is not a valid message-capable "
                        "Twilio phone number for this destination.",
                        m.from));
      }
    }
    if (!m.status_callback.empty() && !http::parse_url(m.status_callback)) {
      return error_response(400, 21609, "The StatusCallback URL is not a valid URL.");
    }
    // Without a Messaging Service Twilio drops the scheduling parameters and sends at once.
    if (auto const type = http::find_field(*form, "ScheduleType"); type && m.service != nullptr) {
      if (*type != "fixed") {
        return invalid_parameter(fmt::format("ScheduleType '{}' is not 'fixed'", *type));
      }
      m.send_at = scheduled_time(field("SendAt"));
      if (!m.send_at) {
        return error_response(
            400, 35114,
            fmt::format("Scheduling does not support this timestamp: SendAt '{}' must be an "
                        "ISO 8601 time 15 minutes to 35 days ahead",
                        field("SendAt")));
      }
    }

    {
      std::lock_guard lock(mutex);
      if (opted_out.contains(m.to)) {
        if (m.service == nullptr || !config.defer_opt_out_with_service) {
          return error_response(400, 21610, "Attempt to send to unsubscribed recipient");
        }
        m.deferred_opt_out = true;
      }
    }
    return Response::json(201, http::json_text(accept(m)));
  }

  /// SendAt of a scheduled message; nullopt when Twilio would refuse it (35114): it
  /// schedules 15 minutes to 35 days ahead, given as an ISO 8601 time.
  std::optional<clock::TimePoint> scheduled_time(std::string const& send_at) const {
    auto const parsed = parse_iso8601_date(send_at);
    auto const now = clock.now();
    if (!parsed || parsed->whole_day || parsed->at < now + std::chrono::minutes(15) ||
        parsed->at > now + std::chrono::days(35)) {
      return std::nullopt;
    }
    return parsed->at;
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
  Json accept(NewMessage const& request) {
    auto const* const service = request.service;
    std::string const callback_url = !request.status_callback.empty()
                                         ? request.status_callback
                                         : (service != nullptr ? service->status_callback : "");
    // What the client sent, and nothing about arrival order, decides the outcome.
    auto const key =
        fmt::format("{}|{}|{}|{}|{}", request.to, request.body, request.status_callback,
                    service != nullptr ? service->sid : "", request.from);
    auto const now = clock.now();

    std::lock_guard lock(mutex);
    MessageRecord m;
    m.sequence = next_sequence++;
    m.sid = make_sid("SM", config.seed, m.sequence);
    m.direction = "outbound-api";
    m.to = request.to;
    m.from = request.from;
    m.body = request.body;
    m.messaging_service_sid = service != nullptr ? service->sid : "";
    m.status_callback = callback_url;
    m.status = request.send_at ? "scheduled" : (service != nullptr ? "accepted" : "queued");
    m.num_segments = service != nullptr ? 0 : segments_of(request.body);
    m.date_created = m.date_updated = now;
    m.send_at = request.send_at;
    auto const rendered = to_json(m);
    auto const sid = m.sid;
    messages.emplace(sid, std::move(m));

    if (!config.test_credentials) {
      plan(sid, key, service != nullptr, request.deferred_opt_out, request.send_at.value_or(now));
    }
    log.debug("created sid={} to={} status={}", sid, candor::log::mask_phone(request.to),
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

  /// Schedules the statuses after the initial one, counted from `start` (creation, or
  /// SendAt for a scheduled message). Caller holds `mutex`.
  void plan(std::string const& sid, std::string const& key, bool with_service,
            bool deferred_opt_out, clock::TimePoint start) {
    auto const outcome =
        deferred_opt_out ? OutcomeWeight{Outcome::kFailed, 21610, 1} : pick_outcome(key);
    std::vector<Step> steps;
    auto at = start;
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
      timers.emplace(*id, sid);
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
      // A canceled message keeps its status; a deleted one is gone.
      if (stopped || it == messages.end() || it->second.status == "canceled") {
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
                      .params = std::move(params),
                      .token = idempotency_token(sid, step.status)};
      if (auto const h = held.find(sid); h != held.end()) {
        CallbackJob late{.kind = "status",
                         .message_sid = sid,
                         .status = "sent",
                         .url = m.status_callback,
                         .params = std::move(h->second),
                         .token = idempotency_token(sid, "sent")};
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

  /// The I-Twilio-Idempotency-Token of the callback for `sid` reaching `status`: one per
  /// event, so that retries and duplicates of it carry the same token.
  std::string idempotency_token(std::string_view sid, std::string_view status) const {
    auto const event = fmt::format("{}|{}", sid, status);
    return fmt::format("{:016x}{:016x}", hash_key(config.seed, event, "token-high"),
                       hash_key(config.seed, event, "token-low"));
  }

  /// Forgets the pending timers of message `sid` and returns them, for the caller to
  /// cancel once it has released `mutex` (the clock may be firing one of them). Caller
  /// holds `mutex`.
  std::vector<clock::TimerId> take_timers(std::string const& sid) {
    std::vector<clock::TimerId> ids;
    for (auto it = timers.begin(); it != timers.end();) {
      if (it->second == sid) {
        ids.push_back(it->first);
        it = timers.erase(it);
      } else {
        ++it;
      }
    }
    return ids;
  }

  void cancel_timers(std::vector<clock::TimerId> const& ids) {
    for (auto const id : ids) {
      clock.cancel(id);
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
                                         .idempotency_token = job.token,
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
    auto const token = job.token;
    auto const body = http::encode_form(job.params);
    client.send(
        http::ClientRequest{
            .method = "POST",
            .url = url,
            .headers = {{"X-Twilio-Signature", signature}, {"I-Twilio-Idempotency-Token", token}},
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
      timers.emplace(*id, "");
      return;
    }
    if (job.then) {
      job.then();
    }
  }

  // -------------------------------------------------------------------------------------
  // Fetch, list, update and delete.

  /// Authentication, then the rule that test credentials reach nothing but create;
  /// nullopt when the request may proceed.
  std::optional<Response> admit_beyond_create(Request const& request) const {
    if (auto denied = authenticate(request)) {
      return denied;
    }
    if (config.test_credentials) {
      return error_response(403, 20008, "Resource not accessible with Test Account Credentials");
    }
    return std::nullopt;
  }

  Response fetch(Request const& request) {
    if (auto refused = admit_beyond_create(request)) {
      return *refused;
    }
    std::lock_guard lock(mutex);
    auto const it = messages.find(request.path_param("sid"));
    if (it == messages.end()) {
      return not_found(request.path);
    }
    return Response::json(200, http::json_text(to_json(it->second)));
  }

  /// The sequence number of the message a PageToken ("PA" + the SID of the last message
  /// of the previous page) names, deleted or not. Caller holds `mutex`.
  std::optional<std::uint64_t> token_sequence(std::string_view token) const {
    if (!token.starts_with("PA")) {
      return std::nullopt;
    }
    auto const sid = std::string(token.substr(2));
    if (auto const it = messages.find(sid); it != messages.end()) {
      return it->second.sequence;
    }
    if (auto const it = deleted.find(sid); it != deleted.end()) {
      return it->second;
    }
    return std::nullopt;
  }

  Response list(Request const& request) {
    if (auto refused = admit_beyond_create(request)) {
      return *refused;
    }
    auto const query = parse_list_query(request);
    if (!query) {
      return invalid_parameter(query.error().message);
    }

    std::lock_guard lock(mutex);
    std::vector<MessageRecord const*> matching;
    for (auto const& [sid, m] : messages) {
      if (listed(*query, m)) {
        matching.push_back(&m);
      }
    }
    // Newest first, as Twilio lists them.
    std::sort(matching.begin(), matching.end(),
              [](auto const* a, auto const* b) { return a->sequence > b->sequence; });

    // A PageToken continues after the message it names, whatever was created since;
    // Page alone counts from the newest. A page past the end is empty, as on Twilio.
    // `start` is Page * PageSize either way: it reports the client's count.
    std::size_t first = matching.size();
    std::uint64_t const start = saturating_product(query->page, query->page_size);
    if (query->page_token) {
      auto const after = token_sequence(*query->page_token);
      if (!after) {
        return invalid_parameter(
            fmt::format("PageToken '{}' was not given out by this fake", *query->page_token));
      }
      first = static_cast<std::size_t>(
          std::partition_point(matching.begin(), matching.end(),
                               [&](auto const* m) { return m->sequence >= *after; }) -
          matching.begin());
    } else if (query->page <= matching.size() / query->page_size) {
      first = static_cast<std::size_t>(start);  // at most matching.size(): cannot overflow
    }
    auto const count = static_cast<std::size_t>(
        std::min<std::uint64_t>(query->page_size, matching.size() - first));
    Json items = Json::array();
    for (auto i = first; i < first + count; ++i) {
      items.push_back(to_json(*matching[i]));
    }

    auto const page_uri = [&](std::uint64_t page, std::string const& token) {
      return fmt::format("{}/Messages.json?{}PageSize={}&Page={}{}", path_prefix(), query->filters,
                         query->page_size, page,
                         token.empty() ? "" : "&PageToken=" + http::percent_encode(token, true));
    };
    bool const more = first + count < matching.size();
    auto const next_page = saturating_sum(query->page, 1);
    Json out = {
        {"messages", items},
        {"end", count == 0 ? start : saturating_sum(start, count - 1)},
        {"first_page_uri", page_uri(0, "")},
        {"next_page_uri",
         more ? Json(page_uri(next_page, "PA" + matching[first + count - 1]->sid)) : Json(nullptr)},
        {"page", query->page},
        {"page_size", query->page_size},
        {"previous_page_uri",
         query->page > 0 ? Json(page_uri(query->page - 1, "")) : Json(nullptr)},
        {"start", start},
        {"uri", page_uri(query->page, query->page_token.value_or(""))},
    };
    return Response::json(200, http::json_text(out));
  }

  Response update(Request const& request) {
    if (auto refused = admit_beyond_create(request)) {
      return *refused;
    }
    auto const form = read_form(request);
    if (!form) {
      return invalid_parameter(form.error().message);
    }
    auto const body = http::find_field(*form, "Body");
    auto const status = http::find_field(*form, "Status");
    if (body && !body->empty()) {
      return invalid_parameter("Body can only be updated to an empty string, which redacts it");
    }
    if (status && *status != "canceled") {
      return invalid_parameter(fmt::format("Status '{}' is not 'canceled'", *status));
    }

    std::optional<CallbackJob> job;
    std::vector<clock::TimerId> stale;
    Json rendered;
    {
      std::lock_guard lock(mutex);
      auto const it = messages.find(request.path_param("sid"));
      if (it == messages.end()) {
        return not_found(request.path);
      }
      auto& m = it->second;
      auto const now = clock.now();
      if (status) {
        if (m.status != "scheduled") {
          return error_response(
              400, 30409,
              fmt::format("This message cannot be canceled: only a scheduled message can be, "
                          "and its status is {}",
                          m.status));
        }
        m.status = "canceled";
        stale = take_timers(m.sid);
        if (!m.status_callback.empty()) {
          job = CallbackJob{.kind = "status",
                            .message_sid = m.sid,
                            .status = m.status,
                            .url = m.status_callback,
                            .params = status_params(m, now),
                            .token = idempotency_token(m.sid, m.status)};
        }
      }
      if (body) {
        m.body.clear();
      }
      m.date_updated = now;
      rendered = to_json(m);
    }
    cancel_timers(stale);
    if (job) {
      dispatch(std::move(*job));
    }
    return Response::json(200, http::json_text(rendered));
  }

  Response remove(Request const& request) {
    if (auto refused = admit_beyond_create(request)) {
      return *refused;
    }
    std::vector<clock::TimerId> stale;
    {
      std::lock_guard lock(mutex);
      auto const it = messages.find(request.path_param("sid"));
      if (it == messages.end()) {
        return not_found(request.path);
      }
      // Limitation: deleting a message still in flight also stops its later status
      // callbacks — what Twilio does then is not documented in providers/twilio.md.
      deleted.emplace(it->first, it->second.sequence);
      held.erase(it->first);
      stale = take_timers(it->first);
      messages.erase(it);
    }
    cancel_timers(stale);
    return Response{.status = 204};
  }

  // -------------------------------------------------------------------------------------
  // Requests for what the fake does not serve.

  /// A request no route matched: a Twilio endpoint the fake lacks (501), or a resource
  /// Twilio does not have (404 with 20404, as Twilio answers).
  Response unknown(Request const& request) const {
    if (lacks_endpoint(request.path)) {
      return unimplemented(request);
    }
    // Limitation: Twilio answers a 2010 API path without ".json" in XML; the fake speaks
    // JSON only and answers 404, so a client that leaves out ".json" learns it at once.
    return not_found(request.path);
  }

  /// Whether `path` is one of Twilio's 2010 API endpoints other than Messages.
  static bool lacks_endpoint(std::string_view path) {
    constexpr std::string_view kAccounts = "/2010-04-01/Accounts";
    if (!path.starts_with(kAccounts) || !path.ends_with(".json")) {
      return false;
    }
    path.remove_prefix(kAccounts.size());
    if (path == ".json") {
      return true;  // the account list
    }
    if (!path.starts_with('/')) {
      return false;
    }
    path.remove_prefix(1);
    auto const slash = path.find('/');
    if (slash == std::string_view::npos) {
      return true;  // one account
    }
    auto resource = path.substr(slash + 1);
    resource = resource.substr(0, resource.find('/'));
    if (resource.ends_with(".json")) {
      resource.remove_suffix(5);
    }
    return resource != "Messages" && is_twilio_account_resource(resource);
  }

  /// A Twilio endpoint the fake deliberately lacks: 501 and a log line, so that whoever
  /// needs it learns at once why it fails.
  Response unimplemented(Request const& request) const {
    log.warn("{} {} is a Twilio endpoint the fake does not implement; answering 501",
             request.method, request.path);
    return Response::json(
        501,
        http::json_text(Json{{"message", fmt::format("{} {} is not implemented by the fake Twilio",
                                                     request.method, request.path)},
                             {"status", 501}}));
  }

  /// A method the Message resources do not take.
  static Response method_not_allowed(Request const& request) {
    // 20004 is Twilio's "Method not allowed" as its error dictionary is remembered; it is
    // not in providers/twilio.md.
    return error_response(405, 20004,
                          fmt::format("Method {} not allowed on {}", request.method, request.path));
  }

  // -------------------------------------------------------------------------------------
  // Inbound.

  Result<std::string> inbound(InboundMessage message) {
    message.body = http::valid_utf8(message.body);
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
      job.token = idempotency_token(m.sid, "received");
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
  auto& server = impl_->server;
  auto const messages = account + "/Messages.json";
  auto const message = account + "/Messages/{sid}.json";
  server.route("POST", messages, [impl](Request const& r) { return impl->create(r); });
  server.route("GET", messages, [impl](Request const& r) { return impl->list(r); });
  server.route("*", messages, &Impl::method_not_allowed);
  server.route("GET", message, [impl](Request const& r) { return impl->fetch(r); });
  server.route("POST", message, [impl](Request const& r) { return impl->update(r); });
  server.route("DELETE", message, [impl](Request const& r) { return impl->remove(r); });
  server.route("*", message, &Impl::method_not_allowed);
  for (auto const* lacking :
       {"/Messages/{message}/Media.json", "/Messages/{message}/Media/{sid}.json",
        "/Messages/{message}/Feedback.json"}) {
    server.route("*", account + lacking,
                 [impl](Request const& r) { return impl->unimplemented(r); });
  }
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
  std::map<clock::TimerId, std::string> timers;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
    timers.swap(impl_->timers);
  }
  for (auto const& [id, sid] : timers) {
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
                         {"idempotency_token", c.idempotency_token},
                         {"attempt", c.attempt},
                         {"duplicate", c.duplicate},
                         {"dropped", c.dropped},
                         {"sent_at_ms", time(c.sent_at)},
                         {"completed", c.completed},
                         {"completed_at_ms", time(c.completed_at)},
                         {"http_status", c.http_status},
                         {"error", c.error}});
  }
  return http::json_text(Json{{"requests", requests}, {"callbacks", callbacks}});
}

}  // namespace candor::fakes::twilio
