#include "scenarios/csv_table.hpp"

#include <cctype>

#include <fmt/format.h>

namespace candor::scenarios {

namespace {

constexpr std::string_view kBlank = " \t";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string quoted(std::string_view text) {
  return fmt::format("\"{}\"", text.substr(0, 60));
}

/// Reads the cells of one non-blank line; `problem` is set on the first error.
std::vector<CsvCell> split_line(std::string_view line, int line_number,
                                std::optional<CsvProblem>& problem) {
  std::vector<CsvCell> cells;
  std::size_t i = 0;
  auto fail = [&](std::size_t at, std::string message) {
    problem = CsvProblem{line_number, static_cast<int>(at) + 1, std::move(message)};
    return cells;
  };

  for (;;) {
    while (i < line.size() && kBlank.find(line[i]) != std::string_view::npos) {
      ++i;
    }
    CsvCell cell{.value = {}, .line = line_number, .column = static_cast<int>(i) + 1};

    if (i < line.size() && line[i] == '"') {
      std::size_t const open = i++;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] != '"') {
          cell.value.push_back(line[i++]);
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          cell.value.push_back('"');
          i += 2;
        } else {
          ++i;
          closed = true;
          break;
        }
      }
      if (!closed) {
        return fail(open, "unterminated quote (a quoted value cannot span lines)");
      }
      while (i < line.size() && kBlank.find(line[i]) != std::string_view::npos) {
        ++i;
      }
      if (i < line.size() && line[i] != ',') {
        return fail(i, "text after the closing quote");
      }
    } else {
      std::size_t const end = std::min(line.find(',', i), line.size());
      std::string_view raw = line.substr(i, end - i);
      raw = raw.substr(0, raw.find_last_not_of(kBlank) + 1);
      if (auto const quote = raw.find('"'); quote != std::string_view::npos) {
        return fail(i + quote,
                    "stray double quote in an unquoted value (quote the value and write \"\")");
      }
      cell.value = std::string(raw);
      i = end;
    }

    cells.push_back(std::move(cell));
    if (i >= line.size()) {
      return cells;
    }
    ++i;  // the comma
  }
}

}  // namespace

CsvTable parse_csv_table(std::string_view text) {
  CsvTable table;
  if (text.starts_with(kUtf8Bom)) {
    text.remove_prefix(kUtf8Bom.size());
  }
  for (int line_number = 1; !text.empty(); ++line_number) {
    auto const end = text.find('\n');
    auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (line.find_first_not_of(kBlank) == std::string_view::npos) {
      continue;
    }

    std::optional<CsvProblem> problem;
    auto cells = split_line(line, line_number, problem);
    if (problem) {
      table.problems.push_back(std::move(*problem));
      continue;
    }
    table.rows.push_back(CsvRow{.line = line_number, .cells = std::move(cells)});
  }
  return table;
}

CsvColumn pick_csv_column(CsvTable const& table, std::optional<std::string_view> header) {
  CsvColumn out;
  out.problems = table.problems;
  auto problem = [&](CsvCell const& at, std::string message) {
    out.problems.push_back(CsvProblem{at.line, at.column, std::move(message)});
  };

  if (!header) {
    for (CsvRow const& row : table.rows) {
      if (row.cells.size() != 1) {
        problem(row.cells[1],
                fmt::format("{} columns; a file of several columns needs header: naming the "
                            "column to read (or quote a value that holds a comma)",
                            row.cells.size()));
      } else if (row.cells[0].value.empty()) {
        problem(row.cells[0], "empty value");
      } else {
        out.values.push_back(row.cells[0]);
      }
    }
    return out;
  }

  if (table.rows.empty()) {
    if (table.problems.empty()) {
      out.problems.push_back(CsvProblem{1, 1,
                                        fmt::format("the file is empty; expected a header row "
                                                    "naming the column {}",
                                                    quoted(*header))});
    }
    return out;
  }

  CsvRow const& names = table.rows.front();
  std::optional<std::size_t> column;
  std::string listed;
  for (std::size_t i = 0; i < names.cells.size(); ++i) {
    listed += fmt::format("{}{}", listed.empty() ? "" : ", ", quoted(names.cells[i].value));
    if (!equals_ignoring_case(names.cells[i].value, *header)) {
      continue;
    }
    if (column) {
      problem(names.cells[i], fmt::format("two columns are named {}", quoted(*header)));
      return out;
    }
    column = i;
  }
  if (!column) {
    problem(names.cells.front(),
            fmt::format("no column is named {}; the header row names {}", quoted(*header), listed));
    return out;
  }

  for (std::size_t r = 1; r < table.rows.size(); ++r) {
    CsvRow const& row = table.rows[r];
    if (row.cells.size() != names.cells.size()) {
      problem(row.cells.front(), fmt::format("{} cells; the header row (line {}) has {}",
                                             row.cells.size(), names.line, names.cells.size()));
      continue;
    }
    CsvCell const& cell = row.cells[*column];
    if (cell.value.empty()) {
      problem(cell,
              fmt::format("empty value in the column {}", quoted(names.cells[*column].value)));
      continue;
    }
    out.values.push_back(cell);
  }
  return out;
}

}  // namespace candor::scenarios
