#include "scenarios/csv_table.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/policy/send_policy.hpp"

namespace candor::scenarios {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> values_of(CsvColumn const& column) {
  std::vector<std::string> out;
  for (CsvCell const& cell : column.values) {
    out.push_back(cell.value);
  }
  return out;
}

CsvColumn one_column(std::string const& text) {
  return pick_csv_column(parse_csv_table(text), std::nullopt);
}

TEST(CsvTable, KeepsTheLineAndColumnOfEachCell) {
  CsvTable const table = parse_csv_table("\xEF\xBB\xBFname, phone\r\n\n  \"Ada\",+1800\n");

  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_THAT(table.problems, IsEmpty());
  EXPECT_EQ(table.rows[0].cells[1].value, "phone");
  EXPECT_EQ(table.rows[0].cells[1].column, 7);
  EXPECT_EQ(table.rows[1].line, 3);
  EXPECT_EQ(table.rows[1].cells[0].value, "Ada");
  EXPECT_EQ(table.rows[1].cells[0].column, 3);
  EXPECT_EQ(table.rows[1].cells[1].column, 9);
}

TEST(CsvTable, ReportsSyntaxProblemsAtTheirPlace) {
  CsvTable const table = parse_csv_table("ok\n\"open\n\"a\" b\nx\"y\n");

  ASSERT_EQ(table.problems.size(), 3u);
  EXPECT_EQ(table.problems[0].line, 2);
  EXPECT_THAT(table.problems[0].message, HasSubstr("unterminated quote"));
  EXPECT_EQ(table.problems[1].line, 3);
  EXPECT_EQ(table.problems[1].column, 5);
  EXPECT_THAT(table.problems[1].message, HasSubstr("text after the closing quote"));
  EXPECT_EQ(table.problems[2].column, 2);
  EXPECT_THAT(table.problems[2].message, HasSubstr("stray double quote"));
  EXPECT_EQ(table.rows.size(), 1u);
}

TEST(CsvTable, HeaderNamesTheColumnIgnoringCase) {
  auto const column =
      pick_csv_column(parse_csv_table("Name,NUMBER\nAda,\"+1 800, ext\"\nBen,+1801\n"), "number");

  EXPECT_THAT(values_of(column), ElementsAre("+1 800, ext", "+1801"));
  EXPECT_EQ(column.values[1].line, 3);
  EXPECT_EQ(column.values[1].column, 5);
}

TEST(CsvTable, HeaderProblems) {
  EXPECT_THAT(pick_csv_column(parse_csv_table("a,b\n1,2\n"), "c").problems.at(0).message,
              HasSubstr("no column is named \"c\"; the header row names \"a\", \"b\""));
  EXPECT_THAT(pick_csv_column(parse_csv_table("a,A\n1,2\n"), "a").problems.at(0).message,
              HasSubstr("two columns are named \"a\""));
  EXPECT_THAT(pick_csv_column(parse_csv_table(""), "a").problems.at(0).message,
              HasSubstr("the file is empty"));
  EXPECT_THAT(pick_csv_column(parse_csv_table("a,b\n1,\n"), "b").problems.at(0).message,
              HasSubstr("empty value in the column \"b\""));
}

// The one-column form must read files exactly as core/policy's
// load_csv_values() does, which the policy uses elsewhere.
class CsvParity : public ::testing::TestWithParam<std::string> {};

TEST_P(CsvParity, OneColumnReadsLikeTheCorePolicy) {
  auto const path = std::filesystem::temp_directory_path() /
                    ("candor_csv_parity_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(path, std::ios::binary) << GetParam();
  auto const core = policy::load_csv_values(path.string());
  std::filesystem::remove(path);

  CsvColumn const ours = one_column(GetParam());
  EXPECT_EQ(core.ok(), ours.problems.empty()) << GetParam();
  if (core.ok()) {
    EXPECT_EQ(*core, values_of(ours)) << GetParam();
  }
}

INSTANTIATE_TEST_SUITE_P(CoreInputs, CsvParity,
                         ::testing::Values("+18005550100\n+18005550101\n", "\n  US  \r\n\t\n\r\nCA",
                                           "\"a, b\"\n\"say \"\"hi\"\"\"\n", "\xEF\xBB\xBF+1800\n",
                                           "a,b\n", "\"open\n", "\"a\" b\n", "x\"y\n", "\"\"\n",
                                           "  \"US\"  \n", "", "\n\n"));

}  // namespace
}  // namespace candor::scenarios
