#include "fakes/http/admin_json.hpp"

#include <utility>

#include <fmt/format.h>

#include "fakes/http/json_text.hpp"

namespace candor::fakes::http {

nlohmann::json admin_body(Request const& request) {
  if (request.body.empty()) {
    return nlohmann::json::object();
  }
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    throw AdminError("body: must be a JSON object");
  }
  return body;
}

std::string text_field(nlohmann::json const& body, char const* field, std::string fallback) {
  if (!body.contains(field) || body[field].is_null()) {
    return fallback;
  }
  if (!body[field].is_string()) {
    throw AdminError(fmt::format("{}: must be a string", field));
  }
  return body[field].get<std::string>();
}

std::int64_t integer_field(nlohmann::json const& body, char const* field, std::int64_t fallback,
                           std::int64_t min, std::int64_t max) {
  if (!body.contains(field)) {
    return fallback;
  }
  auto const& value = body[field];
  auto const fail = [&] {
    return AdminError(fmt::format("{}: must be an integer from {} to {}", field, min, max));
  };
  // Checked as unsigned first: a huge number must not wrap into range.
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() &&
       (max < 0 || value.get<std::uint64_t>() > static_cast<std::uint64_t>(max)))) {
    throw fail();
  }
  auto const number = value.get<std::int64_t>();
  if (number < min || number > max) {
    throw fail();
  }
  return number;
}

Response admin_error(std::string const& message) {
  return Response::json(400, json_text(nlohmann::json{{"error", message}}));
}

Handler guard_admin(Handler handler) {
  return [handler = std::move(handler)](Request const& request) -> Response {
    try {
      return handler(request);
    } catch (AdminError const& e) {
      return admin_error(e.what());
    }
  };
}

}  // namespace candor::fakes::http
