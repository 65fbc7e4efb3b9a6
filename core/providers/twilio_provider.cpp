#include "core/providers/twilio_provider.hpp"

#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/log.hpp"
#include "core/providers/http_util.hpp"
#include "core/providers/provider_support.hpp"

namespace candor::providers {
namespace {

using nlohmann::json;

constexpr std::string_view kMessageIdToken = "{message_id}";
constexpr int kAuthenticationCode = 20003;
constexpr int kTooManyRequestsCode = 20429;

Error invalid(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

std::string string_or_empty(json const& object, char const* key) {
  auto const found = object.find(key);
  if (found == object.end() || !found->is_string()) {
    return {};
  }
  return found->get<std::string>();
}

/// Twilio's code is a number; a string is tolerated.
std::string code_of(json const& body) {
  auto const found = body.find("code");
  if (found == body.end()) {
    return {};
  }
  if (found->is_number_integer()) {
    return std::to_string(found->get<std::int64_t>());
  }
  return found->is_string() ? found->get<std::string>() : std::string();
}

std::string substitute_message_id(std::string url, domain::MessageId id) {
  for (auto at = url.find(kMessageIdToken); at != std::string::npos;
       at = url.find(kMessageIdToken, at)) {
    auto const text = std::to_string(id);
    url.replace(at, kMessageIdToken.size(), text);
    at += text.size();
  }
  return url;
}

SendOutcome map_success(HttpResponse const& response) {
  SendOutcome outcome;
  outcome.http_status = response.status;
  auto const body = json::parse(response.body, nullptr, false);
  auto const sid = body.is_object() ? string_or_empty(body, "sid") : std::string();
  if (sid.empty()) {
    // Twilio may have taken the message; the dispatcher's retry is the lesser evil
    // compared with marking a message Sent without an id to match callbacks to.
    outcome.kind = OutcomeKind::kTransient;
    outcome.error_code = "malformed_response";
    outcome.error_message =
        fmt::format("Twilio answered {} without a JSON object carrying 'sid'", response.status);
    return outcome;
  }
  outcome.kind = OutcomeKind::kAccepted;
  outcome.provider_message_id = sid;
  outcome.raw_status = string_or_empty(body, "status");
  return outcome;
}

SendOutcome map_error(HttpResponse const& response) {
  auto outcome = outcome_from_status(response.status);
  auto const body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || code_of(body).empty()) {
    outcome.error_message =
        fmt::format("Twilio answered {} with a body that is not a Twilio error", response.status);
    return outcome;
  }

  outcome.error_code = code_of(body);
  outcome.error_message = string_or_empty(body, "message");
  if (auto const more = string_or_empty(body, "more_info"); !more.empty()) {
    outcome.error_message += fmt::format(" ({})", more);
  }
  if (outcome.error_code == std::to_string(kTooManyRequestsCode)) {
    outcome.kind = OutcomeKind::kRateLimited;
  }
  return outcome;
}

}  // namespace

Status TwilioConfig::validate() const {
  if (name.empty()) {
    return invalid("twilio.name must not be empty");
  }
  if (auto url = parse_url(base_url); !url) {
    return invalid(fmt::format("twilio.base_url: {}", url.error().message));
  }
  if (!is_sid(account_sid, "AC")) {
    return invalid("twilio.account_sid must be 'AC' followed by 32 hex digits");
  }

  if (!api_key_sid.empty()) {
    if (!is_sid(api_key_sid, "SK")) {
      return invalid("twilio.api_key_sid must be 'SK' followed by 32 hex digits");
    }
    if (api_key_secret.empty()) {
      return invalid("twilio.api_key_secret is required with twilio.api_key_sid");
    }
  } else if (auth_token.empty()) {
    return invalid("twilio.auth_token is required (or twilio.api_key_sid and api_key_secret)");
  }

  if (messaging_service_sid.empty()) {
    if (!from_number.empty()) {
      return invalid(
          "twilio.from_number: a From number is not supported; configure the Messaging Service "
          "SID (twilio.messaging_service_sid, 'MG...') instead of the From number");
    }
    return invalid("twilio.messaging_service_sid is required ('MG' followed by 32 hex digits)");
  }
  if (!is_sid(messaging_service_sid, "MG")) {
    return invalid("twilio.messaging_service_sid must be 'MG' followed by 32 hex digits");
  }
  if (!from_number.empty()) {
    return invalid(
        "twilio.from_number: remove it; Twilio picks the sender from the Messaging Service "
        "given in twilio.messaging_service_sid");
  }

  if (!status_callback_url.empty()) {
    if (auto url = parse_url(substitute_message_id(status_callback_url, 1)); !url) {
      return invalid(fmt::format("twilio.status_callback_url: {}", url.error().message));
    }
  }
  return validate_http_options(http, "twilio.http");
}

Result<std::unique_ptr<TwilioProvider>> TwilioProvider::create(TwilioConfig config,
                                                               boost::asio::io_context& io,
                                                               clock::Clock& clock) {
  CANDOR_RETURN_IF_ERROR(config.validate());
  return std::unique_ptr<TwilioProvider>(new TwilioProvider(std::move(config), io, clock));
}

TwilioProvider::TwilioProvider(TwilioConfig config, boost::asio::io_context& io,
                               clock::Clock& clock)
    : config_(std::move(config)),
      url_(join_url(config_.base_url,
                    fmt::format("/2010-04-01/Accounts/{}/Messages.json", config_.account_sid))),
      authorization_(config_.api_key_sid.empty()
                         ? basic_authorization(config_.account_sid, config_.auth_token)
                         : basic_authorization(config_.api_key_sid, config_.api_key_secret)),
      client_(io, clock, config_.http) {}

HttpRequest TwilioProvider::build_request(OutboundMessage const& message) const {
  FormFields form{
      {"To", message.to},
      {"MessagingServiceSid", config_.messaging_service_sid},
      {"Body", message.body},
  };
  if (!config_.status_callback_url.empty()) {
    form.emplace_back("StatusCallback",
                      substitute_message_id(config_.status_callback_url, message.message_id));
  }
  form.emplace_back("Attempt", std::to_string(message.attempt));

  return HttpRequest{
      .method = "POST",
      .url = url_,
      .headers = {{"Authorization", authorization_},
                  {"Accept", "application/json"},
                  {"Content-Type", "application/x-www-form-urlencoded"}},
      .body = form_encode(form),
  };
}

void TwilioProvider::send(OutboundMessage message, SendCallback done) {
  auto request = build_request(message);
  auto const id = message.message_id;
  client_.send(std::move(request), id,
               [id, provider = config_.name, done = std::move(done)](HttpResult result) {
                 auto outcome = map_twilio_result(result);
                 if (outcome.error_code == std::to_string(kAuthenticationCode)) {
                   log::get("provider.twilio")
                       .error(
                           "credentials refused provider={} message_id={} code=20003; check "
                           "the account SID and token or API key",
                           provider, id);
                 }
                 done(std::move(outcome));
               });
}

SendOutcome map_twilio_result(HttpResult const& result) {
  return map_http_result(result, map_success, map_error);
}

}  // namespace candor::providers
