#pragma once

// A hand-made run for the writer tests and the HTML rendering check: two
// scenarios, one passing and one failing, whose name and texts carry markup.

#include <cstdint>

#include "reports/report.hpp"

namespace candor::reports {

/// Virtual start of the sample scenarios: 2024-03-01T09:00:00Z.
inline constexpr std::int64_t kSampleStartMs = 1'709'283'600'000;

/// The name of the failing sample scenario: markup that must come out escaped.
inline constexpr char const* kHostileName = "<script>alert(\"x\")</script> & limits";

/// Builds the sample run. Timelines come from a fixed pseudo-random sequence, so
/// every call returns the same report; derive_from_timelines() has been applied.
RunReport make_sample_run();

}  // namespace candor::reports
