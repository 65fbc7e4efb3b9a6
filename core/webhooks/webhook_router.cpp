#include "core/webhooks/webhook_router.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include "core/common/log.hpp"
#include "core/domain/status_machine.hpp"
#include "core/webhooks/form_params.hpp"
#include "core/webhooks/syniverse_event.hpp"
#include "core/webhooks/twilio_signature.hpp"

namespace candor::webhooks {
namespace {

constexpr std::string_view kEmptyTwiml = R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)";

/// Our message id from the external_id the provider echoes, when it is one: the
/// Syniverse provider sends the decimal message id there; anything else (a value
/// set by another sender on the same account) is no id of ours.
std::optional<domain::MessageId> own_message_id(std::string_view external_id) {
  domain::MessageId id = 0;
  auto const* const end = external_id.data() + external_id.size();
  auto const [stop, ec] = std::from_chars(external_id.data(), end, id);
  if (external_id.empty() || ec != std::errc{} || stop != end || id <= 0) {
    return std::nullopt;
  }
  return id;
}

spdlog::logger& logger() {
  static auto& log = log::get("webhooks");
  return log;
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

bool has_query_param(std::string_view target, std::string_view name) {
  auto const question = target.find('?');
  if (question == std::string_view::npos) {
    return false;
  }
  auto params = parse_form(target.substr(question + 1));
  return params && find_param(*params, name).has_value();
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  auto const written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                       reinterpret_cast<unsigned char const*>(data.data()),
                                       static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

/// True when `header` is "Basic <base64 of user:password>". The encoded forms are
/// compared in constant time, so the password is never decoded or logged.
bool basic_credentials_match(std::optional<std::string> const& header, std::string_view user,
                             std::string_view password) {
  if (!header) {
    return false;
  }
  std::string_view value = *header;
  auto const space = value.find(' ');
  if (space == std::string_view::npos || !iequals(value.substr(0, space), "Basic")) {
    return false;
  }
  value = value.substr(space + 1);
  while (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  while (!value.empty() && value.back() == ' ') {
    value.remove_suffix(1);
  }

  auto const expected = base64(fmt::format("{}:{}", user, password));
  return value.size() == expected.size() &&
         CRYPTO_memcmp(value.data(), expected.data(), value.size()) == 0;
}

/// Top-level string and number members of a JSON object as parameters, for
/// Twilio requests whose body is JSON (signed through bodySHA256).
Result<FormParams> parse_json_params(std::string_view body) {
  auto const root = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return make_error(Errc::kInvalidArgument, "body: not a JSON object");
  }
  FormParams params;
  for (auto const& [name, value] : root.items()) {
    if (value.is_string()) {
      params.emplace_back(name, value.get<std::string>());
    } else if (value.is_number() || value.is_boolean()) {
      params.emplace_back(name, value.dump());
    }
  }
  return params;
}

std::string twilio_detail(FormParams const& params) {
  std::string detail;
  for (char const* name : {"RawDlrDoneDate", "ErrorMessage"}) {
    if (auto value = find_param(params, name)) {
      detail += fmt::format("{}{}={}", detail.empty() ? "" : " ", name, *value);
    }
  }
  return detail;
}

}  // namespace

Status check_options(WebhookServerOptions const& options) {
  auto invalid = [](std::string message) {
    return make_error(Errc::kInvalidArgument, std::move(message));
  };
  for (auto const* path : {&options.twilio_status_path, &options.twilio_inbound_path,
                           &options.syniverse_events_path}) {
    if (!path->empty() && path->front() != '/') {
      return invalid(fmt::format("webhook path '{}' must start with '/'", *path));
    }
  }
  bool const twilio_on =
      !options.twilio_status_path.empty() || !options.twilio_inbound_path.empty();
  if (twilio_on && options.twilio_auth_token.empty()) {
    return invalid("twilio_auth_token is empty; set it or clear the Twilio webhook paths");
  }
  if (!options.syniverse_events_path.empty() && options.syniverse_user.empty()) {
    return invalid(
        "syniverse_user is empty; set the Basic credentials or clear "
        "syniverse_events_path");
  }
  if (options.max_body_bytes == 0) {
    return invalid("max_body_bytes must be greater than 0");
  }
  if (options.threads < 1) {
    return invalid("threads must be at least 1");
  }
  if (!options.public_base_url.empty() && options.public_base_url.back() == '/') {
    return invalid("public_base_url must not end with '/'");
  }
  return ok_status();
}

WebhookRouter::WebhookRouter(WebhookServerOptions options, std::string base_url, WebhookSink& sink,
                             clock::Clock& clock)
    : options_(std::move(options)), base_url_(std::move(base_url)), sink_(sink), clock_(clock) {}

WebhookStats WebhookRouter::stats() const {
  return WebhookStats{.accepted = accepted_.load(std::memory_order_relaxed),
                      .unauthorized = unauthorized_.load(std::memory_order_relaxed),
                      .bad_request = bad_request_.load(std::memory_order_relaxed),
                      .not_routed = not_routed_.load(std::memory_order_relaxed)};
}

WebhookReply WebhookRouter::reject(int status, std::string reason) {
  switch (status) {
    case 401:
    case 403:
      unauthorized_.fetch_add(1, std::memory_order_relaxed);
      break;
    case 404:
    case 405:
      not_routed_.fetch_add(1, std::memory_order_relaxed);
      break;
    default:
      bad_request_.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  logger().debug("webhook refused status={} reason={}", status, reason);
  return WebhookReply{.status = status, .content_type = "text/plain", .body = reason + "\n"};
}

WebhookReply WebhookRouter::handle(WebhookRequest const& request) {
  auto const path = path_of(request.target);
  bool const is_status =
      !options_.twilio_status_path.empty() && path == options_.twilio_status_path;
  bool const is_inbound =
      !options_.twilio_inbound_path.empty() && path == options_.twilio_inbound_path;
  bool const is_syniverse =
      !options_.syniverse_events_path.empty() && path == options_.syniverse_events_path;
  if (!is_status && !is_inbound && !is_syniverse) {
    return reject(404, "no webhook at this path");
  }

  // Limitation: Twilio webhooks configured as GET are answered 405 — candor's
  // setup configures POST, the default, and GET would put the data in the URL.
  if (request.method != "POST") {
    auto reply = reject(405, "webhooks accept POST only");
    reply.headers.emplace_back("Allow", "POST");
    return reply;
  }
  if (is_syniverse) {
    return handle_syniverse(request);
  }
  return handle_twilio(request, is_inbound);
}

WebhookReply WebhookRouter::handle_twilio(WebhookRequest const& request, bool inbound) {
  if (!request.twilio_signature || request.twilio_signature->empty()) {
    logger().warn("twilio webhook without X-Twilio-Signature refused (refused so far: {})",
                  unauthorized_.load(std::memory_order_relaxed) + 1);
    return reject(403, "missing X-Twilio-Signature");
  }

  // A JSON body is covered by bodySHA256 in the signed URL; a form body by its
  // parameters appended to the URL.
  auto const url = base_url_ + request.target;
  bool const body_hashed = has_query_param(request.target, "bodySHA256");
  auto params = body_hashed && request.content_type.find("json") != std::string::npos
                    ? parse_json_params(request.body)
                    : parse_form(request.body);
  bool const signed_ok =
      body_hashed ? validate_twilio_signature_with_body(options_.twilio_auth_token, url,
                                                        request.body, *request.twilio_signature)
      : params    ? validate_twilio_signature(options_.twilio_auth_token, url, *params,
                                              *request.twilio_signature)
                  : false;
  if (!signed_ok && params) {
    logger().warn("twilio webhook with a wrong signature refused (refused so far: {})",
                  unauthorized_.load(std::memory_order_relaxed) + 1);
    return reject(403, "X-Twilio-Signature does not match");
  }
  if (!params) {
    return reject(400, params.error().message);
  }

  auto field = [&params](std::string_view name) { return find_param(*params, name); };
  auto const sid = field("MessageSid");
  if (!sid || sid->empty()) {
    return reject(400, "form field 'MessageSid' is missing");
  }

  if (!inbound) {
    auto status = field("MessageStatus");
    if (!status || status->empty()) {
      return reject(400, "form field 'MessageStatus' is missing");
    }
    logger().debug("twilio status message_sid={} status={}", *sid, *status);
    sink_.on_status(domain::StatusUpdate{.provider = options_.twilio_provider_name,
                                         .kind = domain::ProviderKind::kTwilio,
                                         .provider_message_id = *sid,
                                         .raw_status = std::move(*status),
                                         .error_code = field("ErrorCode").value_or(""),
                                         .detail = twilio_detail(*params),
                                         .at = clock_.now()});
    accepted_.fetch_add(1, std::memory_order_relaxed);
    return WebhookReply{.status = 200};
  }

  auto from = field("From");
  auto to = field("To");
  if (!from || from->empty()) {
    return reject(400, "form field 'From' is missing");
  }
  if (!to || to->empty()) {
    return reject(400, "form field 'To' is missing");
  }
  logger().debug("twilio inbound message_sid={} from={}", *sid, log::mask_phone(*from));
  sink_.on_inbound(InboundSms{.provider = options_.twilio_provider_name,
                              .kind = domain::ProviderKind::kTwilio,
                              .provider_message_id = *sid,
                              .from = std::move(*from),
                              .to = std::move(*to),
                              .body = field("Body").value_or(""),
                              .at = clock_.now()});
  accepted_.fetch_add(1, std::memory_order_relaxed);
  return WebhookReply{.status = 200, .content_type = "text/xml", .body = std::string(kEmptyTwiml)};
}

WebhookReply WebhookRouter::handle_syniverse(WebhookRequest const& request) {
  if (!basic_credentials_match(request.authorization, options_.syniverse_user,
                               options_.syniverse_password)) {
    logger().warn(
        "syniverse webhook with missing or wrong credentials refused "
        "(refused so far: {})",
        unauthorized_.load(std::memory_order_relaxed) + 1);
    auto reply = reject(401, "Basic credentials missing or wrong");
    reply.headers.emplace_back("WWW-Authenticate", R"(Basic realm="candor-webhooks")");
    return reply;
  }

  auto event = parse_syniverse_event(request.body);
  if (!event) {
    return reject(400, event.error().message);
  }

  if (event->event_type == kSyniverseStateChange) {
    bool const failed = domain::map_raw_status(domain::ProviderKind::kSyniverse,
                                               event->new_state) == domain::Status::kFailed;
    logger().debug("syniverse state message_request_id={} state={} event_id={}",
                   event->message_request_id, event->new_state, event->event_id);
    sink_.on_status(
        domain::StatusUpdate{.provider = options_.syniverse_provider_name,
                             .kind = domain::ProviderKind::kSyniverse,
                             .provider_message_id = std::move(event->message_request_id),
                             .message_id = own_message_id(event->external_message_request_id),
                             .raw_status = std::move(event->new_state),
                             .error_code = failed ? std::move(event->reason_code) : std::string(),
                             .detail = std::move(event->reason_description),
                             .at = clock_.now()});
  } else if (event->event_type == kSyniverseMoReceived) {
    logger().debug("syniverse inbound message_id={} from={}", event->message_id,
                   log::mask_phone(event->from_address));
    sink_.on_inbound(InboundSms{.provider = options_.syniverse_provider_name,
                                .kind = domain::ProviderKind::kSyniverse,
                                .provider_message_id = std::move(event->message_id),
                                .from = std::move(event->from_address),
                                .to = std::move(event->to_address),
                                .body = std::move(event->message_body),
                                .at = clock_.now()});
  } else {
    logger().debug("syniverse event type={} event_id={} ignored", event->event_type,
                   event->event_id);
  }
  accepted_.fetch_add(1, std::memory_order_relaxed);
  return WebhookReply{.status = 200};
}

}  // namespace candor::webhooks
