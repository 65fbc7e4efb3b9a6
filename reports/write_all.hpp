#pragma once

// Writes every report of a run into one output folder: report.json, junit.xml
// and report.html, plus the console report to a stream.

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "reports/console_writer.hpp"
#include "reports/html_writer.hpp"
#include "reports/json_writer.hpp"
#include "reports/report.hpp"

namespace candor::reports {

/// File names inside the output folder.
inline constexpr std::string_view kJsonFileName = "report.json";
inline constexpr std::string_view kJunitFileName = "junit.xml";
inline constexpr std::string_view kHtmlFileName = "report.html";

/// Which reports write_all() produces, and how.
struct Formats {
  bool json = true;
  bool junit = true;
  bool html = true;
  /// Write the console report to `console_stream`.
  bool console = false;
  /// Where the console report goes; std::cout when null. Not owned.
  std::ostream* console_stream = nullptr;
  ConsoleOptions console_options;
  JsonOptions json_options;
  HtmlOptions html_options;
  /// Zero the timing fields before writing (see strip_timing()).
  bool strip_timing = false;
};

/// Parses a comma-separated format list such as "json,junit,html,console" (also
/// "all" and "none"); nullopt with `error` set for an unknown name. Options keep
/// their defaults.
std::optional<Formats> parse_formats(std::string_view list, std::string& error);

/// What write_all() did.
struct WriteOutcome {
  /// The files written, in the order json, junit, html.
  std::vector<std::filesystem::path> written;
  /// Empty on success; otherwise which file or folder failed and why.
  std::string error;

  bool ok() const { return error.empty(); }
};

/// Creates `folder` (and its parents) and writes the selected reports into it,
/// replacing files of the same name. Stops at the first failure.
WriteOutcome write_all(RunReport const& run, std::filesystem::path const& folder,
                       Formats const& formats = {});

}  // namespace candor::reports
