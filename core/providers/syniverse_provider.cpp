#include "core/providers/syniverse_provider.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/log.hpp"
#include "core/providers/http_util.hpp"
#include "core/providers/provider_support.hpp"

namespace candor::providers {
namespace {

using nlohmann::json;

constexpr std::string_view kCodePrefix = "SCG_ERROR_";
constexpr std::array<int, 2> kAuthenticationCodes{401, 4010};
constexpr int kTokenExpiredCode = 4046;
constexpr std::array<int, 3> kThrottleCodes{1039, 1067, 4021};

Error invalid(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

template <std::size_t N>
bool contains(std::array<int, N> const& codes, int code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

/// The number of "SCG_ERROR_4010", "4010" or 4010; nullopt when there is none.
std::optional<int> code_number(json const& body) {
  auto const found = body.find("error_code");
  if (found == body.end()) {
    return std::nullopt;
  }
  if (found->is_number_integer()) {
    return found->get<int>();
  }
  if (!found->is_string()) {
    return std::nullopt;
  }
  std::string_view text = found->get_ref<std::string const&>();
  if (text.substr(0, kCodePrefix.size()) == kCodePrefix) {
    text.remove_prefix(kCodePrefix.size());
  }
  int value = 0;
  auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

SendOutcome map_success(HttpResponse const& response) {
  SendOutcome outcome;
  auto const body = json::parse(response.body, nullptr, false);
  auto const id = body.is_object() && body.contains("id") && body["id"].is_string()
                      ? body["id"].get<std::string>()
                      : std::string();
  if (id.empty()) {
    outcome.kind = OutcomeKind::kTransient;
    outcome.error_code = "malformed_response";
    outcome.error_message =
        fmt::format("Syniverse answered {} without a JSON object carrying 'id'", response.status);
    return outcome;
  }
  outcome.kind = OutcomeKind::kAccepted;
  outcome.provider_message_id = id;
  // The reply has no state of its own; the request was accepted.
  outcome.raw_status = "ACCEPTED";
  return outcome;
}

SendOutcome map_error(HttpResponse const& response) {
  auto outcome = outcome_from_status(response.status);
  auto const body = json::parse(response.body, nullptr, false);
  auto const number = body.is_object() ? code_number(body) : std::nullopt;
  if (!number) {
    outcome.error_message =
        fmt::format("Syniverse answered {} with a body that is not an SCG error", response.status);
    return outcome;
  }

  outcome.error_code = fmt::format("{}{}", kCodePrefix, *number);
  if (auto const found = body.find("error_description");
      found != body.end() && found->is_string()) {
    outcome.error_message = found->get<std::string>();
  }
  if (contains(kAuthenticationCodes, *number) || *number == kTokenExpiredCode) {
    outcome.kind = OutcomeKind::kRejected;
  } else if (contains(kThrottleCodes, *number)) {
    outcome.kind = OutcomeKind::kRateLimited;
  }
  return outcome;
}

}  // namespace

Status SyniverseConfig::validate() const {
  if (name.empty()) {
    return invalid("syniverse.name must not be empty");
  }
  if (auto url = parse_url(base_url); !url) {
    return invalid(fmt::format("syniverse.base_url: {}", url.error().message));
  }
  if (access_token.empty()) {
    return invalid("syniverse.access_token is required");
  }
  if (channel_id.empty() == sender_id.empty()) {
    return invalid("syniverse.channel_id or syniverse.sender_id: give exactly one of them");
  }
  return validate_http_options(http, "syniverse.http");
}

Result<std::unique_ptr<SyniverseProvider>> SyniverseProvider::create(SyniverseConfig config,
                                                                     boost::asio::io_context& io,
                                                                     clock::Clock& clock) {
  CANDOR_RETURN_IF_ERROR(config.validate());
  return std::unique_ptr<SyniverseProvider>(new SyniverseProvider(std::move(config), io, clock));
}

SyniverseProvider::SyniverseProvider(SyniverseConfig config, boost::asio::io_context& io,
                                     clock::Clock& clock)
    : config_(std::move(config)),
      url_(join_url(config_.base_url, "/scg-external-api/api/v1/messaging/message_requests")),
      from_(config_.channel_id.empty() ? "sender_id:" + config_.sender_id
                                       : "channel:" + config_.channel_id),
      client_(io, clock, config_.http) {}

HttpRequest SyniverseProvider::build_request(OutboundMessage const& message) const {
  json const body{
      {"from", from_},
      {"to", json::array({message.to})},
      {"body", message.body},
      {"external_id", std::to_string(message.message_id)},
  };
  return HttpRequest{
      .method = "POST",
      .url = url_,
      .headers = {{"Authorization", "Bearer " + config_.access_token},
                  {"Accept", "application/json"},
                  {"Content-Type", "application/json"}},
      .body = body.dump(-1, ' ', false, json::error_handler_t::replace),
  };
}

void SyniverseProvider::send(OutboundMessage message, SendCallback done) {
  auto request = build_request(message);
  auto const id = message.message_id;
  client_.send(std::move(request), id,
               [id, provider = config_.name, done = std::move(done)](HttpResult result) {
                 auto outcome = map_syniverse_result(result);
                 if (outcome.kind == OutcomeKind::kRejected &&
                     (outcome.http_status == 401 ||
                      outcome.error_code == fmt::format("{}{}", kCodePrefix, kTokenExpiredCode))) {
                   log::get("provider.syniverse")
                       .error(
                           "access token refused provider={} message_id={} code={}; renew "
                           "the token",
                           provider, id, outcome.error_code);
                 }
                 done(std::move(outcome));
               });
}

SendOutcome map_syniverse_result(HttpResult const& result) {
  return map_http_result(result, map_success, map_error);
}

}  // namespace candor::providers
