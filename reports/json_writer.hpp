#pragma once

// The JSON report: the whole model in one document whose shape is described by
// reports/report-schema.json (JSON Schema draft 2020-12).
//
// Stability: keys are written in a fixed order (the order of the schema; count
// maps sorted by name), and every wall-clock field lives in an object named
// "wall", so a reader can drop timing by ignoring those objects. The document
// carries "schema_version"; a change that removes or renames a field bumps it.

#include <ostream>

#include <nlohmann/json.hpp>

#include "reports/report.hpp"

namespace candor::reports {

/// The schema version written in "schema_version".
/// 2: per_virtual_second rates are measured over the messages' activity and may be
/// null; virtual_window_ms, error_kind and step_label were added; the run's seed
/// may be null.
inline constexpr int kJsonSchemaVersion = 2;

/// Options of write_json().
struct JsonOptions {
  /// Spaces per indentation level; -1 writes one line.
  int indent = 2;
  /// Include per-message timelines (large for big runs).
  bool include_timelines = true;
};

/// The JSON document of `run`. Invalid UTF-8 in report text is replaced by U+FFFD.
nlohmann::ordered_json to_json(RunReport const& run, JsonOptions const& options = {});

/// Writes to_json(run) to `out`, ending with a newline.
void write_json(std::ostream& out, RunReport const& run, JsonOptions const& options = {});

}  // namespace candor::reports
