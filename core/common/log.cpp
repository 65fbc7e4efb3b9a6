#include "core/common/log.hpp"

#include <memory>
#include <mutex>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace candor::log {
namespace {

std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

spdlog::level::level_enum& default_level() {
  static spdlog::level::level_enum level = spdlog::level::warn;
  return level;
}

std::vector<std::shared_ptr<spdlog::sinks::sink>>& extra_sinks() {
  static std::vector<std::shared_ptr<spdlog::sinks::sink>> sinks;
  return sinks;
}

}  // namespace

spdlog::logger& get(std::string const& component) {
  std::lock_guard lock(registry_mutex());
  if (auto existing = spdlog::get(component)) {
    return *existing;
  }
  // Logs go to stderr so that report output on stdout stays machine-readable.
  auto logger = spdlog::stderr_color_mt(component);
  logger->set_level(default_level());
  for (auto const& sink : extra_sinks()) {
    logger->sinks().push_back(sink);
  }
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  return *logger;
}

bool set_level(std::string_view level) {
  auto const parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return false;
  }
  std::lock_guard lock(registry_mutex());
  default_level() = parsed;
  spdlog::apply_all(
      [parsed](std::shared_ptr<spdlog::logger> const& logger) { logger->set_level(parsed); });
  return true;
}

void add_sink_for_test(std::shared_ptr<spdlog::sinks::sink> sink) {
  std::lock_guard lock(registry_mutex());
  sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  extra_sinks().push_back(sink);
  spdlog::apply_all(
      [&sink](std::shared_ptr<spdlog::logger> const& logger) { logger->sinks().push_back(sink); });
}

std::string mask_phone(std::string_view e164) {
  constexpr std::size_t kKeepHead = 3;
  constexpr std::size_t kKeepTail = 3;
  if (e164.size() <= kKeepHead + kKeepTail) {
    return std::string(e164.size(), '*');
  }
  std::string masked(e164);
  for (std::size_t i = kKeepHead; i + kKeepTail < masked.size(); ++i) {
    masked[i] = '*';
  }
  return masked;
}

std::string mask_email(std::string_view address) {
  auto const at = address.find('@');
  if (at == std::string_view::npos || at == 0) {
    return "***";
  }
  return std::string(address.substr(0, 1)) + "***" + std::string(address.substr(at));
}

}  // namespace candor::log
