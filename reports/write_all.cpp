#include "reports/write_all.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <system_error>

#include <fmt/format.h>

#include "reports/junit_writer.hpp"

namespace candor::reports {
namespace {

/// Writes through a temporary file and renames it, so a reader (a CI step, a
/// browser) never sees half a report.
std::string write_file(std::filesystem::path const& path,
                       std::function<void(std::ostream&)> const& writer) {
  auto temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
      return fmt::format("cannot open {}: {}", temporary.string(), std::strerror(errno));
    }
    writer(out);
    out.flush();
    if (!out) {
      return fmt::format("cannot write {}: {}", temporary.string(), std::strerror(errno));
    }
  }

  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return fmt::format("cannot replace {}: {}", path.string(), ec.message());
  }
  return {};
}

}  // namespace

std::optional<Formats> parse_formats(std::string_view list, std::string& error) {
  Formats formats{.json = false, .junit = false, .html = false};
  bool console = false;
  while (!list.empty()) {
    auto const comma = list.find(',');
    auto name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') {
      name.remove_prefix(1);
    }
    while (!name.empty() && name.back() == ' ') {
      name.remove_suffix(1);
    }

    if (name == "json") {
      formats.json = true;
    } else if (name == "junit") {
      formats.junit = true;
    } else if (name == "html") {
      formats.html = true;
    } else if (name == "console") {
      console = true;
    } else if (name == "all") {
      formats.json = formats.junit = formats.html = console = true;
    } else if (name == "none" || name.empty()) {
      continue;
    } else {
      error = fmt::format(
          "unknown report format '{}' (expected json, junit, html, console, all "
          "or none)",
          name);
      return std::nullopt;
    }
  }

  formats.console = console;
  error.clear();
  return formats;
}

WriteOutcome write_all(RunReport const& run, std::filesystem::path const& folder,
                       Formats const& formats) {
  WriteOutcome outcome;
  RunReport stripped;
  RunReport const* report = &run;
  if (formats.strip_timing) {
    stripped = run;
    strip_timing(stripped);
    report = &stripped;
  }

  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) {
    outcome.error =
        fmt::format("cannot create report folder {}: {}", folder.string(), ec.message());
    return outcome;
  }

  auto emit = [&](bool wanted, std::string_view name,
                  std::function<void(std::ostream&)> const& writer) {
    if (!wanted || !outcome.ok()) {
      return;
    }
    auto const path = folder / name;
    outcome.error = write_file(path, writer);
    if (outcome.ok()) {
      outcome.written.push_back(path);
    }
  };
  emit(formats.json, kJsonFileName,
       [&](std::ostream& out) { write_json(out, *report, formats.json_options); });
  emit(formats.junit, kJunitFileName, [&](std::ostream& out) { write_junit(out, *report); });
  emit(formats.html, kHtmlFileName,
       [&](std::ostream& out) { write_html(out, *report, formats.html_options); });

  if (formats.console) {
    auto& stream = formats.console_stream != nullptr ? *formats.console_stream : std::cout;
    write_console(stream, *report, formats.console_options);
  }
  return outcome;
}

}  // namespace candor::reports
