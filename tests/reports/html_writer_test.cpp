#include "reports/html_writer.hpp"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/reports/sample_report.hpp"
#include "tests/reports/xml_check.hpp"

namespace candor::reports {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string render(RunReport const& run, HtmlOptions const& options = {}) {
  std::ostringstream out;
  write_html(out, run, options);
  return out.str();
}

std::size_t count(std::string const& text, std::string const& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

/// The <svg> ... </svg> elements of the page, in order.
std::vector<std::string> svg_elements(std::string const& html) {
  std::vector<std::string> out;
  for (auto start = html.find("<svg"); start != std::string::npos;
       start = html.find("<svg", start + 1)) {
    auto const end = html.find("</svg>", start);
    if (end == std::string::npos) {
      break;
    }
    out.push_back(html.substr(start, end + 6 - start));
  }
  return out;
}

TEST(HtmlWriter, IsOneCompletePage) {
  auto const html = render(make_sample_run());

  EXPECT_THAT(html, StartsWith("<!DOCTYPE html>\n<html lang=\"en\">"));
  EXPECT_THAT(html, HasSubstr("<meta charset=\"utf-8\">"));
  EXPECT_THAT(html, HasSubstr("<title>candor run report — FAIL</title>"));
  EXPECT_THAT(html, HasSubstr("</html>\n"));
  EXPECT_EQ(count(html, "<section class=\"card\" id=\"scenario-"), 2u);
}

TEST(HtmlWriter, NeedsNoScriptAndNoExternalAsset) {
  auto const html = render(make_sample_run());

  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));

  // The only URL is the SVG namespace name, which nothing fetches.
  EXPECT_EQ(count(html, "http"), count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
}

TEST(HtmlWriter, EscapesEveryText) {
  auto const html = render(make_sample_run());

  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; limits"));
  EXPECT_THAT(html, HasSubstr("Body: &lt;b&gt;Hi {{FirstName}}&lt;/b&gt; &amp; welcome"));
  EXPECT_THAT(html, HasSubstr("scenarios/&lt;odd&gt; &amp; &quot;quoted&quot;.yaml"));
  EXPECT_THAT(html, HasSubstr("blocked count &lt;exact&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<b>Hi")));
}

TEST(HtmlWriter, DrawsFourChartsPerScenario) {
  auto const html = render(make_sample_run());

  auto const charts = svg_elements(html);
  ASSERT_EQ(charts.size(), 2u * kHtmlChartsPerScenario);
  EXPECT_EQ(count(html, "<svg"), charts.size());
  for (auto const& chart : charts) {
    EXPECT_THAT(chart, HasSubstr("role=\"img\""));
    auto const parsed = parse_xml(chart);
    ASSERT_EQ(parsed.error, "") << chart.substr(0, 200);
    auto const titles = parsed.root->find_all("title");
    ASSERT_FALSE(titles.empty());
    EXPECT_NE(titles[0]->text, "");
    EXPECT_EQ(parsed.root->find_all("desc").size(), 1u);
  }
  EXPECT_THAT(html, HasSubstr("<title id=\"scenario-0-funnel-title\">Status funnel</title>"));
  EXPECT_THAT(html, HasSubstr(">Block reasons</title>"));
  EXPECT_THAT(html, HasSubstr(">Status entries over virtual time</title>"));
  EXPECT_THAT(html, HasSubstr(">Throughput over virtual time</title>"));
}

TEST(HtmlWriter, ChartsShowNoDataInsteadOfDisappearing) {
  RunReport run;
  run.scenarios.push_back(ScenarioReport{.name = "empty", .passed = true});

  auto const html = render(run);

  EXPECT_EQ(svg_elements(html).size(), static_cast<std::size_t>(kHtmlChartsPerScenario));
  EXPECT_THAT(html, HasSubstr(">No data</text>"));
}

TEST(HtmlWriter, ListsExpectationsAndFailures) {
  auto const html = render(make_sample_run());

  EXPECT_THAT(html, HasSubstr("<td>no message sent twice</td>"));
  EXPECT_THAT(html, HasSubstr("<td><code>12</code></td><td><code>9</code></td>"));
  EXPECT_THAT(html, HasSubstr("class=\"result-fail\">FAIL</td>"));
}

TEST(HtmlWriter, LimitsListedTimelines) {
  auto const html = render(make_sample_run(), {.max_timelines = 5});

  EXPECT_THAT(html, HasSubstr("Message timelines (5 of 120 shown)"));
  EXPECT_THAT(html, HasSubstr("<code>msg-0004</code>"));
  EXPECT_THAT(html, Not(HasSubstr("<code>msg-0005</code>")));
}

TEST(HtmlWriter, SummaryTableHasSeedAndSentColumns) {
  auto const html = render(make_sample_run());

  EXPECT_THAT(html, HasSubstr("<th scope=\"col\" class=\"num\">Seed</th>"
                              "<th scope=\"col\" class=\"num\">Messages</th>"
                              "<th scope=\"col\" class=\"num\">Sent</th>"
                              "<th scope=\"col\" class=\"num\">Delivered</th>"));
  // bulk send: seed 42, 120 messages, 16 left Sent, 70 delivered.
  EXPECT_THAT(html, HasSubstr("<td class=\"num\">42</td><td class=\"num\">120</td>"
                              "<td class=\"num\">16</td><td class=\"num\">70</td>"));
  EXPECT_THAT(html, HasSubstr("· seed 42 for all ·"));

  auto run = make_sample_run();
  run.seed.reset();
  EXPECT_THAT(render(run), HasSubstr("each scenario's own seed"));
}

TEST(HtmlWriter, LatencyTilesUseOnePercentileAndSayWhich) {
  auto const html = render(make_sample_run());

  EXPECT_THAT(html, HasSubstr("<span class=\"label\">p90 send → accepted</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"label\">p90 send → delivered</span>"));
  EXPECT_THAT(html, Not(HasSubstr("p50 send")));
  EXPECT_THAT(html, HasSubstr("<span class=\"value\">12.0/min</span><span class=\"label\">"
                              "virtual send rate</span>"));
}

TEST(HtmlWriter, ShowsStepLabelsAndSaysWhenNoVirtualTimeElapsed) {
  auto run = make_sample_run();
  run.scenarios[0].expectations[0].step_label = "after <the> bulk";
  run.scenarios[1].timelines = {{.message_id = "1",
                                 .final_status = "sent",
                                 .events = {{5, "", "queued", ""}, {5, "accepted", "sent", ""}}}};
  derive_from_timelines(run.scenarios[1]);

  auto const html = render(run);

  EXPECT_THAT(html, HasSubstr("<td class=\"step\">step 0 (after &lt;the&gt; bulk)</td>"));
  EXPECT_THAT(html, HasSubstr("virtual send rate: no virtual time elapsed"));
}

TEST(HtmlWriter, TimingFieldsCanBeLeftOut) {
  EXPECT_THAT(render(make_sample_run()), HasSubstr("Wall time"));

  auto const html = render(make_sample_run(), {.show_timing = false});
  EXPECT_THAT(html, Not(HasSubstr("Wall time")));
  EXPECT_THAT(html, Not(HasSubstr("wall time")));
  EXPECT_THAT(html, Not(HasSubstr("started")));
}

}  // namespace
}  // namespace candor::reports
