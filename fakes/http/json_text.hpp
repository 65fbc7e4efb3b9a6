#pragma once

// JSON text for the fakes' answers, written so that no stored value can make a whole
// answer fail: bytes that are not UTF-8 come out as U+FFFD instead of throwing.

#include <string>

#include <nlohmann/json.hpp>

namespace candor::fakes::http {

/// Compact JSON text of `value`. Strings holding invalid UTF-8 are written with each
/// bad sequence replaced by U+FFFD; never throws for that reason.
std::string json_text(nlohmann::json const& value);

}  // namespace candor::fakes::http
