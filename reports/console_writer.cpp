#include "reports/console_writer.hpp"

#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "reports/detail/text.hpp"

namespace candor::reports {
namespace {

constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kReset = "\x1b[0m";

/// Report text with terminal controls (ESC, CR, ...) replaced, valid UTF-8.
std::string printable(std::string_view text) {
  auto out = detail::sanitize_utf8(text);
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  return out;
}

class Painter {
 public:
  explicit Painter(bool enabled) : enabled_(enabled) {}

  std::string paint(std::string_view style, std::string_view text) const {
    if (!enabled_) {
      return std::string(text);
    }
    return fmt::format("{}{}{}", style, text, kReset);
  }

 private:
  bool enabled_;
};

enum class Align { kLeft, kRight };

struct Column {
  std::string header;
  Align align = Align::kRight;
};

/// A plain-text table; a cell may carry a style that does not count toward width.
class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

  struct Cell {
    std::string text;
    std::string_view style;
  };

  void add_row(std::vector<Cell> row) { rows_.push_back(std::move(row)); }

  void write(std::ostream& out, Painter const& painter) const {
    auto widths = column_widths();

    std::string header;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      header += pad(columns_[i].header, widths[i], columns_[i].align);
      header += i + 1 < columns_.size() ? "  " : "";
    }
    out << painter.paint(kBold, trim_right(header)) << '\n';

    for (auto const& row : rows_) {
      std::string line;
      for (std::size_t i = 0; i < columns_.size(); ++i) {
        auto const padded = pad(row[i].text, widths[i], columns_[i].align);
        line += row[i].style.empty() ? padded : painter.paint(row[i].style, padded);
        line += i + 1 < columns_.size() ? "  " : "";
      }
      out << trim_right(line) << '\n';
    }
  }

 private:
  std::vector<std::size_t> column_widths() const {
    std::vector<std::size_t> widths;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      auto width = detail::display_width(columns_[i].header);
      for (auto const& row : rows_) {
        width = std::max(width, detail::display_width(row[i].text));
      }
      widths.push_back(width);
    }
    return widths;
  }

  static std::string pad(std::string_view text, std::size_t width, Align align) {
    auto const fill = std::string(width - std::min(width, detail::display_width(text)), ' ');
    return align == Align::kLeft ? std::string(text) + fill : fill + std::string(text);
  }

  static std::string trim_right(std::string text) {
    while (!text.empty() && text.back() == ' ') {
      text.pop_back();
    }
    return text;
  }

  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

/// Every status any scenario reports, in display order.
std::vector<std::string> run_statuses(RunReport const& run) {
  std::map<std::string, std::int64_t> all;
  for (auto const& scenario : run.scenarios) {
    for (auto const& [status, count] : scenario.status_counts) {
      all[status] += count;
    }
  }
  return ordered_statuses(all);
}

void write_header(std::ostream& out, RunReport const& run, ConsoleOptions const& options,
                  Painter const& painter) {
  auto line = fmt::format("candor {} · {} scenario{} · {}", printable(run.tool_version),
                          run.scenarios.size(), run.scenarios.size() == 1 ? "" : "s",
                          run.seed ? fmt::format("seed {} for all", *run.seed)
                                   : std::string("each scenario's own seed"));
  if (options.show_timing) {
    auto const started = printable(run.started_at);
    line += fmt::format(" · started {} · {}", started, format_duration(run.wall_ms));
  }
  out << painter.paint(kBold, line) << "\n\n";
}

void write_summary_table(std::ostream& out, RunReport const& run, ConsoleOptions const& options,
                         Painter const& painter) {
  auto const statuses = run_statuses(run);

  std::vector<Column> columns{{"SCENARIO", Align::kLeft},
                              {"RESULT", Align::kLeft},
                              {"SEED", Align::kRight},
                              {"MESSAGES", Align::kRight}};
  for (auto const& status : statuses) {
    columns.push_back({printable(status), Align::kRight});
  }
  columns.push_back({"VIRTUAL", Align::kRight});
  if (options.show_timing) {
    columns.push_back({"WALL", Align::kRight});
  }

  Table table(std::move(columns));
  for (auto const& scenario : run.scenarios) {
    std::vector<Table::Cell> row;
    row.push_back({printable(scenario.name), {}});
    row.push_back({scenario.passed ? "PASS" : "FAIL", scenario.passed ? kGreen : kRed});
    row.push_back({std::to_string(scenario.seed), {}});
    row.push_back({std::to_string(message_count(scenario)), {}});
    for (auto const& status : statuses) {
      auto const it = scenario.status_counts.find(status);
      row.push_back({std::to_string(it == scenario.status_counts.end() ? 0 : it->second), {}});
    }
    row.push_back({format_duration(scenario.virtual_end_ms - scenario.virtual_start_ms), {}});
    if (options.show_timing) {
      row.push_back({format_duration(scenario.wall_ms), {}});
    }
    table.add_row(std::move(row));
  }
  table.write(out, painter);
}

void write_expectation(std::ostream& out, ExpectationResult const& expectation,
                       Painter const& painter) {
  auto const mark =
      expectation.passed ? painter.paint(kGreen, "ok  ") : painter.paint(kRed, "FAIL");
  out << fmt::format("  {} {}: {}\n", mark, printable(step_name(expectation)),
                     printable(expectation.label));
  if (expectation.passed) {
    return;
  }
  out << fmt::format("         expected: {}\n", printable(expectation.expected));
  out << fmt::format("         actual:   {}\n", printable(expectation.actual));
  if (!expectation.detail.empty()) {
    out << fmt::format("         detail:   {}\n", printable(expectation.detail));
  }
}

/// The virtual sending rate, over the messages' own activity.
void write_throughput(std::ostream& out, Throughput const& t) {
  if (t.sent == 0) {
    return;
  }
  auto const rate = virtual_rates(t).sent;
  if (!rate) {
    out << fmt::format(
        "  virtual throughput: no virtual time elapsed ({} sent at the instant of the first "
        "admission)\n",
        t.sent);
    return;
  }
  out << fmt::format("  virtual throughput: {} sent in {} from the first admission ({})\n", t.sent,
                     format_duration(*t.last_sent_ms - *t.first_admitted_ms), format_rate(*rate));
}

void write_scenario_details(std::ostream& out, ScenarioReport const& scenario,
                            ConsoleOptions const& options, Painter const& painter) {
  auto const verdict =
      scenario.passed ? painter.paint(kGreen, "PASS") : painter.paint(kRed, "FAIL");
  out << '\n' << painter.paint(kBold, printable(scenario.name)) << "  " << verdict;
  if (!scenario.file.empty()) {
    out << "  " << painter.paint(kDim, printable(scenario.file));
  }
  out << '\n';

  if (!scenario.error.empty()) {
    auto const kind = scenario.error_kind == kInputError ? "error (unusable input): " : "error: ";
    out << "  " << painter.paint(kRed, kind) << printable(scenario.error) << '\n';
  }

  std::string blocked;
  for (auto const& [reason, count] : scenario.block_reason_counts) {
    blocked += fmt::format("{}{} {}", blocked.empty() ? "" : ", ", printable(reason), count);
  }
  out << "  blocked by reason: " << (blocked.empty() ? "none" : blocked) << '\n';
  write_throughput(out, scenario.throughput);

  auto const passed = std::count_if(scenario.expectations.begin(), scenario.expectations.end(),
                                    [](ExpectationResult const& e) { return e.passed; });
  out << fmt::format("  expectations: {} of {} passed\n", passed, scenario.expectations.size());
  for (auto const& expectation : scenario.expectations) {
    if (!expectation.passed || options.show_passed) {
      write_expectation(out, expectation, painter);
    }
  }
}

void write_footer(std::ostream& out, RunReport const& run, Painter const& painter) {
  std::size_t scenarios_passed = 0;
  std::size_t expectations_failed = 0;
  for (auto const& scenario : run.scenarios) {
    scenarios_passed += scenario.passed ? 1 : 0;
    expectations_failed += std::count_if(scenario.expectations.begin(), scenario.expectations.end(),
                                         [](ExpectationResult const& e) { return !e.passed; });
  }

  auto const ok = run_passed(run);
  auto const line = fmt::format("{}: {} of {} scenarios passed, {} expectation{} failed",
                                ok ? "PASS" : "FAIL", scenarios_passed, run.scenarios.size(),
                                expectations_failed, expectations_failed == 1 ? "" : "s");
  out << '\n' << painter.paint(ok ? kGreen : kRed, line) << '\n';
}

}  // namespace

void write_console(std::ostream& out, RunReport const& run, ConsoleOptions const& options) {
  Painter const painter(options.color);
  write_header(out, run, options, painter);
  write_summary_table(out, run, options, painter);
  for (auto const& scenario : run.scenarios) {
    write_scenario_details(out, scenario, options, painter);
  }
  write_footer(out, run, painter);
}

}  // namespace candor::reports
