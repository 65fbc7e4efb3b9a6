#include "core/providers/generic_provider.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/providers/http_util.hpp"
#include "core/providers/provider_support.hpp"

namespace candor::providers {
namespace {

using nlohmann::json;

constexpr std::string_view kRecipientToken = "${RECIPIENT_PHONE_NUMBER}";
constexpr std::string_view kBodyToken = "${MESSAGE_BODY}";

Error invalid(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

void replace_all(std::string& text, std::string_view token, std::string const& value) {
  for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at)) {
    text.replace(at, token.size(), value);
    at += value.size();
  }
}

/// Follows "a.b.c" through nested objects; a string or integer at the end is the id.
std::string find_id(json const& body, std::string const& path) {
  json const* node = &body;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto const dot = std::min(path.find('.', start), path.size());
    auto const key = path.substr(start, dot - start);
    if (!node->is_object() || !node->contains(key)) {
      return {};
    }
    node = &(*node)[key];
    start = dot + 1;
  }
  if (node->is_string()) {
    return node->get<std::string>();
  }
  return node->is_number_integer() ? std::to_string(node->get<std::int64_t>()) : std::string();
}

bool has_line_break(std::string const& text) {
  return text.find_first_of("\r\n") != std::string::npos;
}

}  // namespace

Status GenericSmsConfig::validate() const {
  if (name.empty()) {
    return invalid("generic.name must not be empty");
  }
  if (auto parsed = parse_url(url); !parsed) {
    return invalid(fmt::format("generic.url: {}", parsed.error().message));
  }
  if (method != "POST" && method != "PUT") {
    return invalid(fmt::format("generic.method must be POST or PUT, not '{}'", method));
  }
  for (auto const& [header, value] : headers) {
    if (header.empty() || has_line_break(header) || has_line_break(value)) {
      return invalid(fmt::format("generic.headers: '{}' needs a name and no line breaks", header));
    }
  }
  if (basic_user.empty() && !basic_password.empty()) {
    return invalid("generic.basic_user is required with generic.basic_password");
  }
  if (body_template.find(kRecipientToken) == std::string::npos) {
    return invalid("generic.body_template must contain ${RECIPIENT_PHONE_NUMBER}");
  }

  // A template that is not JSON once filled in would fail every send.
  if (content_type.find("json") != std::string::npos) {
    auto const sample = render_generic_body(body_template, "+15550000000", "a \"quoted\" text");
    if (json::parse(sample, nullptr, false).is_discarded()) {
      return invalid("generic.body_template is not valid JSON once its placeholders are filled");
    }
  }
  return validate_http_options(http, "generic.http");
}

std::string render_generic_body(std::string const& body_template, std::string const& to,
                                std::string const& body) {
  auto rendered = body_template;
  replace_all(rendered, kRecipientToken, json_escape(to));
  replace_all(rendered, kBodyToken, json_escape(body));
  return rendered;
}

Result<std::unique_ptr<GenericProvider>> GenericProvider::create(GenericSmsConfig config,
                                                                 boost::asio::io_context& io,
                                                                 clock::Clock& clock) {
  CANDOR_RETURN_IF_ERROR(config.validate());
  return std::unique_ptr<GenericProvider>(new GenericProvider(std::move(config), io, clock));
}

GenericProvider::GenericProvider(GenericSmsConfig config, boost::asio::io_context& io,
                                 clock::Clock& clock)
    : config_(std::move(config)), client_(io, clock, config_.http) {}

HttpRequest GenericProvider::build_request(OutboundMessage const& message) const {
  HttpRequest request{
      .method = config_.method,
      .url = config_.url,
      .headers = {{"Content-Type", config_.content_type}, {"Accept", "application/json"}},
      .body = render_generic_body(config_.body_template, message.to, message.body),
  };
  if (!config_.basic_user.empty()) {
    request.headers.emplace_back("Authorization",
                                 basic_authorization(config_.basic_user, config_.basic_password));
  }
  for (auto const& header : config_.headers) {
    request.headers.push_back(header);
  }
  return request;
}

void GenericProvider::send(OutboundMessage message, SendCallback done) {
  auto request = build_request(message);
  client_.send(std::move(request), message.message_id,
               [id_field = config_.id_field, done = std::move(done)](HttpResult result) {
                 done(map_generic_result(result, id_field));
               });
}

SendOutcome map_generic_result(HttpResult const& result, std::string const& id_field) {
  if (!result.response) {
    return outcome_without_response(result);
  }
  auto const& response = *result.response;
  if (response.status < 200 || response.status >= 300) {
    auto outcome = outcome_from_status(response.status);
    outcome.retry_after = result.retry_after;
    return outcome;
  }

  SendOutcome outcome;
  outcome.kind = OutcomeKind::kAccepted;
  outcome.http_status = response.status;
  outcome.raw_status = std::to_string(response.status);
  if (!id_field.empty()) {
    outcome.provider_message_id = find_id(json::parse(response.body, nullptr, false), id_field);
  }
  return outcome;
}

}  // namespace candor::providers
