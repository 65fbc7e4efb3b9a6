#pragma once

// CSV files named by a scenario (blocked numbers, patterns, allowed countries),
// read as a table whose every cell keeps its line and column, so that a bad value
// is reported at its place in the CSV file.
//
//   CsvTable table = parse_csv_table(text);
//   auto column = pick_csv_column(table, "number");   // a multi-column export
//
// The syntax follows core/policy's load_csv_values() (which reads one column and
// keeps no places), widened to several columns: cells are separated by commas;
// spaces and tabs around a cell are trimmed; a cell in double quotes may hold
// commas and writes a quote as ""; a quoted cell cannot span lines; blank lines
// are skipped; a UTF-8 byte order mark is ignored; CRLF and LF both end a line.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace candor::scenarios {

/// One cell and where it starts; line and column count from 1 (the column in
/// bytes, at the cell's first character after trimming).
struct CsvCell {
  std::string value;
  int line = 0;
  int column = 0;
};

/// One non-blank line.
struct CsvRow {
  int line = 0;
  std::vector<CsvCell> cells;
};

/// A problem in the file, at its place.
struct CsvProblem {
  int line = 0;
  int column = 0;
  std::string message;
};

struct CsvTable {
  std::vector<CsvRow> rows;
  /// Syntax problems; a row with a problem is left out of `rows`.
  std::vector<CsvProblem> problems;
};

/// Reads CSV text. Never throws.
CsvTable parse_csv_table(std::string_view text);

/// The values of one column, each with its place.
struct CsvColumn {
  std::vector<CsvCell> values;
  std::vector<CsvProblem> problems;
};

/// Picks the values to read from `table`.
///
/// Without `header`, every row is a value and must have one cell. With `header`,
/// the first row names the columns and the column whose name equals `header`
/// (ignoring case) is read from the rows after it; each row must have as many
/// cells as the header row, and an empty cell in that column is a problem.
CsvColumn pick_csv_column(CsvTable const& table, std::optional<std::string_view> header);

}  // namespace candor::scenarios
