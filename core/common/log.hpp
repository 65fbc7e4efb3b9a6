#pragma once

// One logging facade for the project, backed by spdlog and fmt.
//
// Each component asks for its named logger once and keeps it:
//
//   auto const& log = candor::log::get("dispatch");
//   log.debug("admitted message_id={} to={}", id, candor::log::mask_phone(e164));
//
// Levels: debug per message, info for lifecycle, warn for degraded operation
// (always together with a counter), error when a person must act. Phone numbers
// and e-mail addresses are masked before they reach a log line; secrets never do.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace candor::log {

/// Returns the logger named `component` ("dispatch", "provider.twilio", ...),
/// creating it on first use. Thread-safe; the reference stays valid for the
/// life of the process.
spdlog::logger& get(std::string const& component);

/// Sets the level of every logger, present and future ("debug", "info", "warn",
/// "error", "off"). Unknown names leave the level unchanged and return false.
bool set_level(std::string_view level);

/// Adds `sink` to every logger, present and future, besides stderr; for tests
/// that read what the process logs. Call it while no other thread logs.
void add_sink_for_test(std::shared_ptr<spdlog::sinks::sink> sink);

/// "+447700900123" -> "+44*******123": keeps the country code start and the last
/// three digits so a person can still tell numbers apart.
std::string mask_phone(std::string_view e164);

/// "jane.doe@example.com" -> "j***@example.com".
std::string mask_email(std::string_view address);

}  // namespace candor::log
