#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/policy/send_policy.hpp"

namespace candor::policy {
namespace {

using Values = std::vector<std::string>;

class CsvFile {
 public:
  explicit CsvFile(std::string const& content) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("candor_policy_csv_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
              ".csv"))
                .string();
    std::ofstream out(path_, std::ios::binary);
    out << content;
  }
  ~CsvFile() { std::filesystem::remove(path_); }

  std::string const& path() const { return path_; }

 private:
  std::string path_;
};

Values load_ok(std::string const& content, std::string_view header = {}) {
  CsvFile file(content);
  auto values = load_csv_values(file.path(), header);
  EXPECT_TRUE(values.ok()) << values.error().message;
  return values.ok() ? *values : Values{};
}

std::string load_error(std::string const& content, std::string_view header = {}) {
  CsvFile file(content);
  auto values = load_csv_values(file.path(), header);
  EXPECT_FALSE(values.ok());
  if (values.ok()) {
    return {};
  }
  EXPECT_EQ(values.error().code, Errc::kInvalidArgument);
  auto message = values.error().message;
  EXPECT_EQ(message.rfind(file.path(), 0), 0u) << message;
  return message.substr(file.path().size());
}

TEST(LoadCsvValues, RefusesDevicesAndDirectories) {
  for (auto path : {"/dev/zero", "/tmp"}) {
    auto values = load_csv_values(path);
    ASSERT_FALSE(values.ok()) << path;
    EXPECT_EQ(values.error().code, Errc::kInvalidArgument);
    EXPECT_NE(values.error().message.find("not a regular file"), std::string::npos);
  }
}

TEST(LoadCsvValues, RefusesAFileLargerThan16MiB) {
  CsvFile file(std::string((16U << 20U) + 1U, '1'));
  auto values = load_csv_values(file.path());
  ASSERT_FALSE(values.ok());
  EXPECT_NE(values.error().message.find("at most"), std::string::npos);
}

TEST(LoadCsvValues, ReadsOneValuePerLine) {
  EXPECT_EQ(load_ok("+18005550100\n+18005550101\n"), (Values{"+18005550100", "+18005550101"}));
}

TEST(LoadCsvValues, SkipsBlankLinesAndTrimsSpaces) {
  EXPECT_EQ(load_ok("\n  US  \r\n\t\n\r\nCA"), (Values{"US", "CA"}));
}

TEST(LoadCsvValues, ReadsQuotedValuesWithCommasAndEscapedQuotes) {
  EXPECT_EQ(load_ok("\"1(800|888),?\\d+\"\n\"+1 (212) 555-0100\"\n\"say \"\"hi\"\"\"\n"),
            (Values{"1(800|888),?\\d+", "+1 (212) 555-0100", "say \"hi\""}));
}

TEST(LoadCsvValues, SkipsTheHeaderOnlyOnTheFirstLine) {
  EXPECT_EQ(load_ok("Number\n+18005550100\nnumber\n", "number"),
            (Values{"+18005550100", "number"}));
  EXPECT_EQ(load_ok("\"country\"\nUS\n", "Country"), (Values{"US"}));
  EXPECT_EQ(load_ok("US\n", "country"), (Values{"US"}));
}

TEST(LoadCsvValues, SkipsAByteOrderMark) {
  EXPECT_EQ(load_ok("\xEF\xBB\xBFUS\n"), (Values{"US"}));
}

TEST(LoadCsvValues, ReadsAnEmptyFile) {
  EXPECT_EQ(load_ok(""), Values{});
}

TEST(LoadCsvValues, NamesLineOfAnUnterminatedQuote) {
  EXPECT_EQ(load_error("US\n\n\"CA\n"), ":3: unterminated quote");
}

TEST(LoadCsvValues, NamesLineOfASecondColumn) {
  EXPECT_EQ(load_error("number\n+18005550100,spam\n", "number"),
            ":2: more than one column (quote a value that holds a comma)");
}

TEST(LoadCsvValues, NamesLineOfAStrayQuote) {
  EXPECT_NE(load_error("ab\"c\n").find(":1: stray double quote"), std::string::npos);
}

TEST(LoadCsvValues, NamesLineOfTextAfterTheClosingQuote) {
  EXPECT_EQ(load_error("\"US\" x\n"), ":1: text after the closing quote");
}

TEST(LoadCsvValues, NamesLineOfAnEmptyQuotedValue) {
  EXPECT_EQ(load_error("US\n\"\"\n"), ":2: empty quoted value");
}

TEST(LoadCsvValues, LimitationQuotedValuesDoNotSpanLines) {
  EXPECT_EQ(load_error("\"18\n00\"\n"), ":1: unterminated quote");
}

TEST(LoadCsvValues, ReportsAMissingFile) {
  auto values = load_csv_values("/nonexistent/candor/blocked.csv");
  ASSERT_FALSE(values.ok());
  EXPECT_EQ(values.error().code, Errc::kNotFound);
  EXPECT_NE(values.error().message.find("/nonexistent/candor/blocked.csv: cannot open"),
            std::string::npos);
}

TEST(LoadCsvValues, SurvivesRandomBytes) {
  std::mt19937 random(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 300);
  std::string const alphabet = "\"\",\r\n \t+1abc";
  for (int round = 0; round < 300; ++round) {
    std::string content;
    auto const size = length(random);
    for (int i = 0; i < size; ++i) {
      // Half the bytes come from the characters CSV gives meaning to, so the
      // quote and column paths are reached often.
      content.push_back(byte(random) % 2 == 0 ? static_cast<char>(byte(random))
                                              : alphabet[byte(random) % alphabet.size()]);
    }
    CsvFile file(content);
    auto values = load_csv_values(file.path(), "number");
    if (!values.ok()) {
      EXPECT_EQ(values.error().message.rfind(file.path() + ":", 0), 0u);
    }
  }
}

}  // namespace
}  // namespace candor::policy
