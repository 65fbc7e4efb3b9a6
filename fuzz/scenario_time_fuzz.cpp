// Fuzzes the scenario time syntax (scenarios/time_text.hpp): durations such as
// "1h30m" and ISO 8601 instants. Whatever parses must print back to text that
// parses to the same value.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_support.hpp"
#include "scenarios/time_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const text(reinterpret_cast<char const*>(data), size);

  if (auto const duration = candor::scenarios::parse_duration(text)) {
    auto const printed = candor::scenarios::format_duration(*duration);
    auto const again = candor::scenarios::parse_duration(printed);
    CANDOR_FUZZ_EXPECT(again.has_value() && *again == *duration,
                       "format_duration reads back as the same duration");
  }

  if (auto const instant = candor::scenarios::parse_iso_time(text)) {
    auto const printed = candor::scenarios::format_iso_time(*instant);
    auto const again = candor::scenarios::parse_iso_time(printed);
    CANDOR_FUZZ_EXPECT(again.has_value() && *again == *instant,
                       "format_iso_time reads back as the same instant");
  }
  return 0;
}
