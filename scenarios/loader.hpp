#pragma once

// Reads scenario files into the model, collecting every problem of a file.
//
//   auto loaded = scenarios::load_scenario_file("suite/smoke.yaml");
//   if (!loaded.ok()) {
//     for (auto const& e : loaded.errors) std::cerr << e.to_string() << '\n';
//   }
//
// Each Diagnostic names file:line:column and the field path, e.g.
//   smoke.yaml:12:5: steps[2].send_message.channel: expected one of email, sms; got "fax"
// Unknown keys are reported with the closest known key. The loader never throws
// and never crashes, whatever the input.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/scenario.hpp"

namespace candor::scenarios {

/// One problem in a scenario file.
struct Diagnostic {
  SourceMark mark;
  /// Field path, "steps[2].send_message.channel"; empty for syntax errors.
  std::string path;
  std::string message;

  /// "<file>:<line>:<column>: <path>: <message>".
  std::string to_string() const;
};

struct LoadResult {
  /// Set only when there are no errors.
  std::optional<Scenario> scenario;
  std::vector<Diagnostic> errors;

  bool ok() const { return scenario.has_value() && errors.empty(); }
  /// Every error, one per line.
  std::string error_text() const;
};

/// Reads the file at `path`. The file name in diagnostics is `path` as given;
/// CSV files named in the scenario are read relative to its folder.
LoadResult load_scenario_file(std::string const& path);

/// Reads scenario text. `file_name` is used in diagnostics; `base_dir` resolves
/// relative CSV paths (empty: the current folder).
LoadResult load_scenario_text(std::string_view text, std::string const& file_name,
                              std::string const& base_dir = {});

/// The keys accepted at the top level of a scenario.
std::span<std::string const> top_level_keys();

/// The closest of `known` to `typo` within a small edit distance, or empty.
std::string closest_key(std::string_view typo, std::span<std::string const> known);

/// Every scenario file under `paths` (files as given; folders searched for
/// *.yaml and *.yml recursively), sorted within each folder. Missing paths are
/// returned in `missing`.
struct FoundFiles {
  std::vector<std::string> files;
  std::vector<std::string> missing;
};
FoundFiles find_scenario_files(std::span<std::string const> paths);

}  // namespace candor::scenarios
