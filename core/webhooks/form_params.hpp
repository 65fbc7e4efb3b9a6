#pragma once

// application/x-www-form-urlencoded bodies and URL query strings.

#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "core/webhooks/twilio_signature.hpp"

namespace candor::webhooks {

/// Decodes `name=value&name=value` ('+' is a space, %XX a byte). An empty input
/// gives no parameters; a piece without '=' is a name with an empty value; empty
/// pieces ("a=1&&b=2") are skipped. Fails with kInvalidArgument naming the piece
/// (1-based) for a bad percent escape or an empty name.
Result<FormParams> parse_form(std::string_view text);

/// Decodes one form component; nullopt on a bad percent escape.
std::optional<std::string> form_decode(std::string_view text);

/// The first value of `name`, if present.
std::optional<std::string> find_param(FormParams const& params, std::string_view name);

}  // namespace candor::webhooks
