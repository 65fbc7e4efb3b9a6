#include "reports/junit_writer.hpp"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reports/sample_report.hpp"
#include "tests/reports/xml_check.hpp"

namespace candor::reports {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string render(RunReport const& run) {
  std::ostringstream out;
  write_junit(out, run);
  return out.str();
}

XmlElement parse_or_fail(std::string const& xml) {
  auto parsed = parse_xml(xml);
  EXPECT_EQ(parsed.error, "");
  return parsed.root.value_or(XmlElement{});
}

TEST(JunitWriter, IsWellFormedWithEscapedNames) {
  auto const xml = render(make_sample_run());

  EXPECT_THAT(xml, StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
  EXPECT_THAT(xml, HasSubstr("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; limits"));
  auto const root = parse_or_fail(xml);
  EXPECT_EQ(root.name, "testsuites");

  auto const suites = root.find_all("testsuite");
  ASSERT_EQ(suites.size(), 2u);
  EXPECT_EQ(suites[1]->attributes.at("name"), kHostileName);
}

TEST(JunitWriter, HasOneTestcasePerExpectation) {
  auto const root = parse_or_fail(render(make_sample_run()));

  EXPECT_EQ(root.attributes.at("tests"), "6");
  EXPECT_EQ(root.attributes.at("failures"), "2");
  EXPECT_EQ(root.attributes.at("errors"), "0");
  EXPECT_EQ(root.attributes.at("time"), "0.102");

  auto const suite = root.find_all("testsuite")[1];
  EXPECT_EQ(suite->attributes.at("tests"), "3");
  EXPECT_EQ(suite->attributes.at("failures"), "2");
  EXPECT_EQ(suite->attributes.at("time"), "0.015");

  auto const cases = suite->find_all("testcase");
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[1]->attributes.at("classname"), kHostileName);
  EXPECT_EQ(cases[1]->attributes.at("name"), "step 2: blocked count <exact>");
}

TEST(JunitWriter, CaseNamesCarryTheStepAndAreUniqueWithinASuite) {
  RunReport run;
  run.scenarios.push_back(ScenarioReport{
      .name = "last contacted",
      .passed = true,
      .expectations = {{2, "last_contacted.1", true, "unset", "unset", ""},
                       {4, "last_contacted.1", true, "set", "set", "", "after compose"},
                       {4, "history.1[0].raw", true, "[a]", "[a]", "", "after compose"},
                       {4, "history.1[0].raw", true, "[a]", "[a]", "", "after compose"}}});

  auto const root = parse_or_fail(render(run));

  std::vector<std::string> names;
  for (auto const* testcase : root.find_all("testcase")) {
    names.push_back(testcase->attributes.at("name"));
  }
  EXPECT_THAT(names, ::testing::ElementsAre("step 2: last_contacted.1",
                                            "step 4 (after compose): last_contacted.1",
                                            "step 4 (after compose): history.1[0].raw",
                                            "step 4 (after compose): history.1[0].raw #2"));
}

TEST(JunitWriter, FailureCarriesExpectedAndActual) {
  auto const root = parse_or_fail(render(make_sample_run()));

  auto const failures = root.find_all("failure");
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0]->attributes.at("message"), "expected 12, actual 9");
  EXPECT_EQ(failures[0]->attributes.at("type"), "expectation");
  EXPECT_EQ(failures[0]->text,
            "step 2\nexpected: 12\nactual: 9\ndetail: candidate_daily_limit counted 9 & not 12");
  EXPECT_EQ(failures[1]->text,
            "step 5\nexpected: delivered\nactual: failed\ndetail: error 30003 \"unreachable\"");
}

TEST(JunitWriter, ScenarioErrorBecomesAnErrorCase) {
  RunReport run;
  run.scenarios.push_back(
      ScenarioReport{.name = "broken", .passed = false, .error = "a.yaml:3:7: unknown key <x>"});
  run.scenarios.push_back(ScenarioReport{.name = "empty", .passed = true});

  auto const root = parse_or_fail(render(run));

  EXPECT_EQ(root.attributes.at("tests"), "2");
  EXPECT_EQ(root.attributes.at("errors"), "1");
  EXPECT_EQ(root.attributes.at("failures"), "0");
  auto const errors = root.find_all("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]->attributes.at("message"), "a.yaml:3:7: unknown key <x>");
  auto const cases = root.find_all("testcase");
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[1]->attributes.at("name"), kScenarioCaseName);
  EXPECT_TRUE(cases[1]->children.empty());
}

TEST(JunitWriter, ControlCharactersAndBrokenUtf8StayWellFormed) {
  RunReport run;
  run.scenarios.push_back(ScenarioReport{
      .name = std::string("bell\x07 and \xff byte"),
      .passed = false,
      .expectations = {{0, "label\x01", false, "a]]>b", "<&>", std::string("nul\0here", 8)}}});

  auto const root = parse_or_fail(render(run));

  EXPECT_EQ(root.find_all("testsuite")[0]->attributes.at("name"),
            "bell\xEF\xBF\xBD and \xEF\xBF\xBD byte");
}

TEST(XmlCheck, RejectsMalformedDocuments) {
  EXPECT_NE(parse_xml("<a><b></a></b>").error, "");
  EXPECT_NE(parse_xml("<a x=1/>").error, "");
  EXPECT_NE(parse_xml("<a>x & y</a>").error, "");
  EXPECT_NE(parse_xml("<a>x < y</a>").error, "");
  EXPECT_NE(parse_xml("<a b=\"1\" b=\"2\"/>").error, "");
  EXPECT_EQ(parse_xml("<?xml version=\"1.0\"?><a b=\"&lt;\">&#10;<c/></a>").error, "");
}

}  // namespace
}  // namespace candor::reports
