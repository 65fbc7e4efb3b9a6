#include "reports/write_all.hpp"

#include <fstream>
#include <random>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reports/sample_report.hpp"

namespace candor::reports {
namespace {

using ::testing::HasSubstr;

namespace fs = std::filesystem;

class TempFolder {
 public:
  TempFolder() {
    std::random_device seed;
    path_ = fs::temp_directory_path() / ("candor-reports-test-" + std::to_string(seed()));
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempFolder(TempFolder const&) = delete;
  TempFolder& operator=(TempFolder const&) = delete;

  fs::path const& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read(fs::path const& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(WriteAll, WritesEveryFormatIntoANewFolder) {
  TempFolder temp;
  std::ostringstream console;
  auto const folder = temp.path() / "nested" / "out";

  auto const outcome =
      write_all(make_sample_run(), folder, {.console = true, .console_stream = &console});

  ASSERT_TRUE(outcome.ok()) << outcome.error;
  EXPECT_EQ(outcome.written, (std::vector<fs::path>{folder / "report.json", folder / "junit.xml",
                                                    folder / "report.html"}));
  EXPECT_THAT(read(folder / "report.json"), HasSubstr("\"schema\": \"candor-report\""));
  EXPECT_THAT(read(folder / "junit.xml"), HasSubstr("<testsuites"));
  EXPECT_THAT(read(folder / "report.html"), HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(console.str(), HasSubstr("1 of 2 scenarios passed"));
  EXPECT_FALSE(fs::exists(folder / "report.json.tmp"));
}

TEST(WriteAll, WritesOnlyTheSelectedFormats) {
  TempFolder temp;

  auto const outcome =
      write_all(make_sample_run(), temp.path(), {.json = false, .junit = true, .html = false});

  ASSERT_TRUE(outcome.ok()) << outcome.error;
  EXPECT_EQ(outcome.written, std::vector<fs::path>{temp.path() / "junit.xml"});
  EXPECT_FALSE(fs::exists(temp.path() / "report.json"));
}

TEST(WriteAll, SameRunWithoutTimingGivesSameBytes) {
  TempFolder temp;
  auto first = make_sample_run();
  auto second = make_sample_run();
  second.started_at = "2030-01-01T00:00:00.000Z";
  second.wall_ms = 99'999;
  second.scenarios[0].wall_ms = 1'234;

  ASSERT_TRUE(write_all(first, temp.path() / "a", {.strip_timing = true}).ok());
  ASSERT_TRUE(write_all(second, temp.path() / "b", {.strip_timing = true}).ok());

  for (auto name : {kJsonFileName, kJunitFileName, kHtmlFileName}) {
    auto const a = read(temp.path() / "a" / name);
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, read(temp.path() / "b" / name)) << name;
  }
}

TEST(WriteAll, TimingDiffersWhenNotStripped) {
  TempFolder temp;
  auto second = make_sample_run();
  second.scenarios[0].wall_ms = 1'234;

  ASSERT_TRUE(write_all(make_sample_run(), temp.path() / "a").ok());
  ASSERT_TRUE(write_all(second, temp.path() / "b").ok());

  EXPECT_NE(read(temp.path() / "a" / kJsonFileName), read(temp.path() / "b" / kJsonFileName));
}

TEST(WriteAll, ReportsAFolderThatCannotBeCreated) {
  TempFolder temp;
  fs::create_directories(temp.path());
  std::ofstream(temp.path() / "file") << "x";

  auto const outcome = write_all(make_sample_run(), temp.path() / "file" / "out");

  EXPECT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error, HasSubstr("cannot create report folder"));
  EXPECT_THAT(outcome.error, HasSubstr("file/out"));
  EXPECT_TRUE(outcome.written.empty());
}

TEST(WriteAll, ParsesFormatLists) {
  std::string error;

  auto const some = parse_formats("json, html", error);
  ASSERT_TRUE(some.has_value()) << error;
  EXPECT_TRUE(some->json);
  EXPECT_FALSE(some->junit);
  EXPECT_TRUE(some->html);
  EXPECT_FALSE(some->console);

  auto const all = parse_formats("all", error);
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->json && all->junit && all->html && all->console);

  auto const none = parse_formats("none", error);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->json || none->junit || none->html || none->console);

  EXPECT_FALSE(parse_formats("json,pdf", error).has_value());
  EXPECT_THAT(error, HasSubstr("unknown report format 'pdf'"));
}

}  // namespace
}  // namespace candor::reports
