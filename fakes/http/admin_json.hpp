#pragma once

// What the fakes' admin APIs share: reading a JSON request body field by field,
// and answering a bad one with 400 and a text that names the field.

#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "fakes/http/message.hpp"
#include "fakes/http/server.hpp"

namespace candor::fakes::http {

/// A bad admin request. Its text names the field first, as in
/// "count: must be an integer from 1 to 1000", and becomes the answer's error.
struct AdminError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The body of an admin request as a JSON object; an empty body reads as {}.
/// Throws AdminError ("body: must be a JSON object") for anything else.
nlohmann::json admin_body(Request const& request);

/// The string `field` of `body`; `fallback` when the field is absent or null.
/// Throws AdminError when it holds anything else.
std::string text_field(nlohmann::json const& body, char const* field, std::string fallback = {});

/// The integer `field` of `body`, in [min, max]; `fallback` when the field is
/// absent. Throws AdminError naming the range when it is not an integer or lies
/// outside it (a number too large for 64 bits included).
std::int64_t integer_field(nlohmann::json const& body, char const* field, std::int64_t fallback,
                           std::int64_t min, std::int64_t max);

/// The 400 answer to a refused admin request: {"error": message}.
Response admin_error(std::string const& message);

/// `handler`, answering an AdminError it throws with admin_error instead of the
/// server's 500. Other exceptions pass through.
Handler guard_admin(Handler handler);

}  // namespace candor::fakes::http
