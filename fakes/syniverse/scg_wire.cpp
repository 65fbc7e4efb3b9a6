#include "fakes/syniverse/scg_wire.hpp"
#include "fakes/http/json_text.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace candor::fakes::syniverse {
namespace {

using nlohmann::json;

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kIdLength = 22;

ScgError error(int status, std::string_view number, std::string description) {
  return ScgError{.http_status = status,
                  .code = fmt::format("SCG_ERROR_{}", number),
                  .description = std::move(description)};
}

ScgError missing(std::string_view field) {
  return error(400, "4001", fmt::format("Required parameter {} missing or is null", field));
}

ScgError wrong_type(std::string_view field) {
  return error(400, "4002", fmt::format("Required parameter {} has an invalid type", field));
}

// splitmix64: small, well mixed, and the same everywhere.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

bool known(std::vector<std::string> const& ids, std::string_view id) {
  return ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

std::string ScgError::body() const {
  return http::json_text(json{{"error_code", code}, {"error_description", description}});
}

bool is_e164(std::string_view number) {
  if (number.size() < 8 || number.size() > 16 || number[0] != '+' || number[1] == '0') {
    return false;
  }
  return std::all_of(number.begin() + 1, number.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::variant<SendRequest, ScgError> parse_send_request(std::string_view text,
                                                       SendLimits const& limits) {
  auto const root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return error(400, "40025", "Invalid payload: the body must be a JSON object");
  }

  for (auto const* field : {"from", "to", "body"}) {
    if (!root.contains(field) || root[field].is_null()) {
      return missing(field);
    }
  }
  if (!root["from"].is_string()) {
    return wrong_type("from");
  }
  if (!root["to"].is_array() || !std::all_of(root["to"].begin(), root["to"].end(),
                                             [](json const& v) { return v.is_string(); })) {
    return wrong_type("to");
  }
  if (!root["body"].is_string()) {
    return wrong_type("body");
  }

  for (auto const* field : {"external_id", "subject", "consent_requirement", "expiry_time",
                            "scheduled_delivery_time", "failover"}) {
    if (root.contains(field) && !root[field].is_null() && !root[field].is_string()) {
      return error(400, "4003", fmt::format("Optional parameter {} has an invalid type", field));
    }
  }
  for (auto const* field : {"test_message_flag", "verify_number", "pause_before_transmit"}) {
    if (root.contains(field) && !root[field].is_null() && !root[field].is_boolean()) {
      return error(400, "4003", fmt::format("Optional parameter {} has an invalid type", field));
    }
  }
  for (auto const* field : {"media_urls", "attachments"}) {
    if (root.contains(field) && !root[field].is_null() && !root[field].is_array()) {
      return error(400, "4003", fmt::format("Optional parameter {} has an invalid type", field));
    }
  }
  auto const non_empty = [&root](char const* field) {
    return root.contains(field) && root[field].is_array() && !root[field].empty();
  };
  if (non_empty("media_urls") && non_empty("attachments")) {
    return error(400, "40010", "media_urls and attachments cannot be used together");
  }

  SendRequest request{.from = root["from"].get<std::string>(),
                      .body = root["body"].get<std::string>()};
  // Limitation: a bare sender id without "channel:" or "sender_id:" is refused with 40018,
  // though one Syniverse sample sends one — the clients under test always use a prefix.
  auto const from = std::string_view(request.from);
  auto const channel = from.starts_with("channel:") && known(limits.channels, from.substr(8));
  auto const sender = from.starts_with("sender_id:") && known(limits.sender_ids, from.substr(10));
  if ((!channel && !sender) || from.ends_with(':')) {
    return error(400, "40018", fmt::format("Invalid sender id or address '{}'", request.from));
  }

  for (auto const& to : root["to"]) {
    request.to.push_back(to.get<std::string>());
  }
  if (request.to.empty()) {
    return missing("to");
  }
  if (request.to.size() > limits.max_recipients) {
    return error(400, "40015",
                 fmt::format("Too many recipients: {} (at most {})", request.to.size(),
                             limits.max_recipients));
  }
  for (auto const& to : request.to) {
    if (!is_e164(to)) {
      return error(400, "40024", fmt::format("Invalid recipient '{}'", to));
    }
  }
  if (request.body.size() > limits.max_body_length) {
    return error(400, "4005",
                 fmt::format("Message too big: {} characters (at most {})", request.body.size(),
                             limits.max_body_length));
  }

  if (root.contains("consent_requirement") && root["consent_requirement"].is_string()) {
    request.consent_requirement = root["consent_requirement"].get<std::string>();
    auto const& value = request.consent_requirement;
    if (value != "OPT_IN" && value != "OPT_OUT" && value != "NONE") {
      return error(400, "4004",
                   fmt::format("Invalid parameter consent_requirement '{}' (OPT_IN, OPT_OUT or "
                               "NONE)",
                               value));
    }
  }
  if (root.contains("external_id") && root["external_id"].is_string()) {
    request.external_id = root["external_id"].get<std::string>();
  }
  request.test_message = root.value("test_message_flag", false) == true;
  return request;
}

std::uint64_t IdSource::next() {
  state_ = mix(state_);
  return state_;
}

std::string IdSource::next_resource_id() {
  std::string id;
  while (id.size() < kIdLength) {
    auto bits = next();
    for (int i = 0; i < 10 && id.size() < kIdLength; ++i) {
      id += kBase62[bits % kBase62.size()];
      bits /= kBase62.size();
    }
  }
  return id;
}

std::string IdSource::next_event_id() {
  std::string id;
  while (id.size() < kIdLength) {
    auto bits = next();
    for (int i = 0; i < 10 && id.size() < kIdLength; ++i) {
      id += kBase64Url[bits & 0x3F];
      bits >>= 6;
    }
  }
  return id;
}

double seeded_draw(std::uint64_t seed, std::string_view key) {
  // FNV-1a over the key, then mixed with the seed.
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  for (char const c : key) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  }
  auto const bits = mix(hash ^ mix(seed));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

std::string iso_time(clock::TimePoint time) {
  auto const day = std::chrono::floor<std::chrono::days>(time);
  std::chrono::year_month_day const date(day);
  std::chrono::hh_mm_ss const clock_time(
      std::chrono::duration_cast<std::chrono::milliseconds>(time - day));
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock_time.hours().count(), clock_time.minutes().count(),
                     clock_time.seconds().count(), clock_time.subseconds().count());
}

}  // namespace candor::fakes::syniverse
