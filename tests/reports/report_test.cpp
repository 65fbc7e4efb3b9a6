#include "reports/report.hpp"

#include <numeric>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace candor::reports {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

MessageTimeline timeline(std::string id, std::vector<TimelineEvent> events,
                         std::string final_status = {}, std::string reason = {}) {
  return MessageTimeline{.message_id = std::move(id),
                         .candidate = "CAND-1",
                         .channel = "sms",
                         .provider = "twilio",
                         .final_status = std::move(final_status),
                         .block_reason = std::move(reason),
                         .events = std::move(events)};
}

std::vector<MessageTimeline> three_messages() {
  return {
      timeline("m1",
               {{1'000, "", "queued", ""},
                {1'100, "queued", "queued", ""},
                {1'250, "accepted", "sent", ""},
                {3'000, "delivered", "delivered", ""},
                {3'500, "delivered", "delivered", ""}},
               "delivered"),
      timeline("m2",
               {{2'000, "", "queued", ""},
                {2'400, "sent", "sent", ""},
                {9'000, "undelivered", "failed", "30003"},
                {9'100, "undelivered", "failed", "30003"}},
               "failed"),
      timeline("m3", {{5'000, "", "blocked", ""}}, "blocked", "country_not_allowed"),
  };
}

TEST(Report, LatencyPercentilesUseNearestRank) {
  std::vector<std::int64_t> samples(100);
  std::iota(samples.rbegin(), samples.rend(), 1);  // 100 .. 1, unsorted on purpose

  auto const stats = compute_latency_stats(samples);

  EXPECT_EQ(stats,
            (LatencyStats{.count = 100, .p50_ms = 50, .p90_ms = 90, .p99_ms = 99, .max_ms = 100}));
}

TEST(Report, LatencyPercentilesOfFewSamples) {
  EXPECT_EQ(compute_latency_stats({}), LatencyStats{});
  EXPECT_EQ(compute_latency_stats({7}),
            (LatencyStats{.count = 1, .p50_ms = 7, .p90_ms = 7, .p99_ms = 7, .max_ms = 7}));

  // Ranks ceil(0.5*3)=2, ceil(0.9*3)=3, ceil(0.99*3)=3.
  EXPECT_EQ(compute_latency_stats({30, 10, 20}),
            (LatencyStats{.count = 3, .p50_ms = 20, .p90_ms = 30, .p99_ms = 30, .max_ms = 30}));
}

TEST(Report, LatencyMeasuresFromAdmissionToFirstSentAndDelivered) {
  auto const latency = compute_latency(three_messages());

  // m1: 250 ms to sent, 2000 ms to delivered; m2: 400 ms to sent, never delivered.
  EXPECT_EQ(latency.send_to_accepted.count, 2);
  EXPECT_EQ(latency.send_to_accepted.p50_ms, 250);
  EXPECT_EQ(latency.send_to_accepted.max_ms, 400);
  EXPECT_EQ(latency.send_to_delivered,
            (LatencyStats{
                .count = 1, .p50_ms = 2'000, .p90_ms = 2'000, .p99_ms = 2'000, .max_ms = 2'000}));
}

TEST(Report, DeliveryWithoutAcceptanceCountsAsAccepted) {
  auto const latency = compute_latency(
      {timeline("m", {{0, "", "queued", ""}, {700, "DELIVERED", "delivered", ""}})});

  EXPECT_EQ(latency.send_to_accepted.p50_ms, 700);
  EXPECT_EQ(latency.send_to_delivered.p50_ms, 700);
}

TEST(Report, TransitionsSkipRepeatedStatuses) {
  auto const transitions = compute_transitions(three_messages());

  EXPECT_THAT(transitions,
              ElementsAre(Transition{"new", "blocked", 1}, Transition{"new", "queued", 2},
                          Transition{"queued", "sent", 2}, Transition{"sent", "delivered", 1},
                          Transition{"sent", "failed", 1}));
}

TEST(Report, TimelineWithoutEventsTransitionsToItsFinalStatus) {
  auto const transitions = compute_transitions({timeline("m", {}, "blocked", "opted_out")});

  EXPECT_THAT(transitions, ElementsAre(Transition{"new", "blocked", 1}));
}

TEST(Report, TimeSeriesCountsEntriesPerBucket) {
  auto const series =
      compute_time_series(three_messages(), 0, 10'000, DeriveOptions{.bucket_ms = 2'500});

  ASSERT_EQ(series.bucket_ms, 2'500);
  ASSERT_EQ(series.buckets.size(), 5u);  // 0, 2500, 5000, 7500, 10000
  EXPECT_THAT(series.buckets[0].entered,
              ElementsAre(Pair("queued", 2), Pair("sent", 2)));  // m1 and m2
  EXPECT_THAT(series.buckets[1].entered, ElementsAre(Pair("delivered", 1)));
  EXPECT_THAT(series.buckets[2].entered, ElementsAre(Pair("blocked", 1)));
  EXPECT_THAT(series.buckets[3].entered, ElementsAre(Pair("failed", 1)));
  EXPECT_TRUE(series.buckets[4].entered.empty());
  EXPECT_EQ(series.buckets[4].start_ms, 10'000);
}

TEST(Report, TimeSeriesPicksARoundWidth) {
  auto const series = compute_time_series(three_messages(), 0, 60'000, DeriveOptions{});

  // 60 s in at most 24 buckets: 5 s is the smallest round width that fits.
  EXPECT_EQ(series.bucket_ms, 5'000);
  EXPECT_EQ(series.buckets.size(), 13u);
}

TEST(Report, TimeSeriesWithoutRangeUsesTheEvents) {
  auto const series =
      compute_time_series(three_messages(), 0, 0, DeriveOptions{.bucket_ms = 1'000});

  ASSERT_FALSE(series.buckets.empty());
  EXPECT_EQ(series.buckets.front().start_ms, 1'000);
  EXPECT_EQ(series.buckets.size(), 9u);  // 1000 .. 9100
}

TEST(Report, TimeSeriesOfTimesFarApartStaysInBounds) {
  // Found by fuzz/report_writers: the span overflowed int64 and the index ran past the end.
  MessageTimeline late{.message_id = "m", .events = {{.virtual_ms = INT64_MAX, .status = "sent"}}};
  auto const series = compute_time_series({late}, INT64_MIN / 2, 0, DeriveOptions{});

  ASSERT_FALSE(series.buckets.empty());
  EXPECT_LE(series.buckets.size(), 25u);
  EXPECT_THAT(series.buckets.back().entered, ElementsAre(Pair("sent", 1)));
}

TEST(Report, TimeSeriesOfNoEventsIsEmpty) {
  EXPECT_TRUE(compute_time_series({}, 0, 1'000).buckets.empty());
}

TEST(Report, CountsByStatusReasonAndError) {
  auto const messages = three_messages();

  EXPECT_THAT(compute_status_counts(messages),
              ElementsAre(Pair("blocked", 1), Pair("delivered", 1), Pair("failed", 1)));
  EXPECT_THAT(compute_block_reason_counts(messages), ElementsAre(Pair("country_not_allowed", 1)));

  // The repeated 30003 callback counts once for its message.
  EXPECT_THAT(compute_provider_errors(messages),
              ElementsAre(ProviderError{"twilio", "30003", 1, "m2"}));
}

TEST(Report, ThroughputCountsAdmittedSentDelivered) {
  auto const throughput = compute_throughput(three_messages());

  EXPECT_EQ(throughput.admitted, 2);
  EXPECT_EQ(throughput.sent, 2);
  EXPECT_EQ(throughput.delivered, 1);

  auto const rates = rates_per_second(throughput, 4'000);
  EXPECT_DOUBLE_EQ(rates.admitted, 0.5);
  EXPECT_DOUBLE_EQ(rates.delivered, 0.25);
  EXPECT_DOUBLE_EQ(rates_per_second(throughput, 0).sent, 0);
}

TEST(Report, VirtualRatesSpanTheMessagesOwnActivity) {
  auto const throughput = compute_throughput(three_messages());

  // Admitted at 1 s and 2 s; first sent at 1.25 s and 2.4 s; delivered at 3 s.
  EXPECT_EQ(throughput.first_admitted_ms, 1'000);
  EXPECT_EQ(throughput.last_admitted_ms, 2'000);
  EXPECT_EQ(throughput.last_sent_ms, 2'400);
  EXPECT_EQ(throughput.last_delivered_ms, 3'000);

  // Whatever the scenario waited for afterwards does not dilute the rates.
  auto const rates = virtual_rates(throughput);
  EXPECT_DOUBLE_EQ(*rates.admitted, 2.0);   // 2 in 1 s
  EXPECT_DOUBLE_EQ(*rates.sent, 1.429);     // 2 in 1.4 s, to a thousandth
  EXPECT_DOUBLE_EQ(*rates.delivered, 0.5);  // 1 in 2 s
}

TEST(Report, VirtualRateOfOneInstantHasNoValue) {
  auto const throughput = compute_throughput({timeline("a", {{7, "", "queued", ""}}, "queued"),
                                              timeline("b", {{7, "", "queued", ""}}, "queued")});

  auto const rates = virtual_rates(throughput);

  EXPECT_EQ(rates.admitted, std::nullopt);  // two admissions, no time between them
  EXPECT_EQ(rates.sent, 0.0);               // nothing sent: a rate of 0, not "no value"
  EXPECT_EQ(rate_over(3, 0), std::nullopt);
  EXPECT_EQ(rate_over(3, std::nullopt), std::nullopt);
  EXPECT_EQ(rate_over(0, std::nullopt), 0.0);
  EXPECT_EQ(rate_over(3, 1'500), 2.0);
}

TEST(Report, FormatsRatesInAReadableUnit) {
  EXPECT_EQ(format_rate(12.5), "12.5 per second");
  EXPECT_EQ(format_rate(0.05), "3.0 per minute");
  EXPECT_EQ(format_rate(1.0 / 7200), "0.5 per hour");
  EXPECT_EQ(format_rate(0), "0.0 per second");
}

TEST(Report, DerivedTimeSeriesSpansTheEventsNotTheRun) {
  // Retries over 9 s in a scenario that then waits 30 minutes: the buckets
  // follow the 9 s of traffic, so its shape shows.
  ScenarioReport scenario{.name = "s", .virtual_start_ms = 0, .virtual_end_ms = 1'800'000};
  for (int i = 0; i < 10; ++i) {
    scenario.timelines.push_back(timeline(
        std::to_string(i), {{0, "", "queued", ""}, {i * 1'000, "accepted", "sent", ""}}, "sent"));
  }

  derive_from_timelines(scenario);

  auto const& series = scenario.time_series;
  EXPECT_EQ(series.bucket_ms, 500);
  ASSERT_EQ(series.buckets.size(), 19u);
  std::size_t buckets_with_sends = 0;
  for (auto const& bucket : series.buckets) {
    buckets_with_sends += bucket.entered.count("sent");
  }
  EXPECT_EQ(buckets_with_sends, 10u);
}

TEST(Report, ExpectationNamesCarryTheStepAndStayUnique) {
  ScenarioReport scenario;
  scenario.expectations = {{1, "total", true, "1", "1", ""},
                           {3, "total", true, "1", "1", "", "after restart"},
                           {3, "total", true, "1", "1", "", "after restart"}};

  EXPECT_THAT(expectation_names(scenario),
              ElementsAre("step 1: total", "step 3 (after restart): total",
                          "step 3 (after restart): total #2"));
}

TEST(Report, RunHadInputErrorLooksAtEveryScenario) {
  RunReport run;
  run.scenarios.push_back(ScenarioReport{.error = "x", .error_kind = std::string(kRunError)});
  EXPECT_FALSE(run_had_input_error(run));
  run.scenarios.push_back(ScenarioReport{.error = "y", .error_kind = std::string(kInputError)});
  EXPECT_TRUE(run_had_input_error(run));
}

TEST(Report, DeriveKeepsCountsTheRunnerSet) {
  ScenarioReport scenario{.name = "s", .virtual_start_ms = 0, .virtual_end_ms = 10'000};
  scenario.timelines = three_messages();
  scenario.status_counts = {{"delivered", 500}};

  derive_from_timelines(scenario);

  EXPECT_THAT(scenario.status_counts, ElementsAre(Pair("delivered", 500)));
  EXPECT_THAT(scenario.block_reason_counts, ElementsAre(Pair("country_not_allowed", 1)));
  EXPECT_EQ(scenario.transitions.size(), 5u);
  EXPECT_EQ(scenario.throughput.admitted, 2);
  EXPECT_EQ(scenario.latency.send_to_delivered.count, 1);
  EXPECT_FALSE(scenario.time_series.buckets.empty());
  EXPECT_EQ(message_count(scenario), 500);
}

TEST(Report, OrderedStatusesFollowTheMessageLife) {
  std::map<std::string, std::int64_t> counts{{"blocked", 1}, {"delivered", 1}, {"zeta", 1},
                                             {"queued", 1},  {"alpha", 1},     {"sent", 1}};

  EXPECT_THAT(ordered_statuses(counts),
              ElementsAre("queued", "sent", "delivered", "blocked", "alpha", "zeta"));
}

TEST(Report, StripTimingClearsOnlyWallClockFields) {
  RunReport run{.tool_version = "1", .started_at = "2024-01-01T00:00:00Z", .wall_ms = 5, .seed = 3};
  run.scenarios.push_back(ScenarioReport{.name = "s", .virtual_end_ms = 9, .wall_ms = 4});

  strip_timing(run);

  EXPECT_EQ(run.started_at, "");
  EXPECT_EQ(run.wall_ms, 0);
  EXPECT_EQ(run.scenarios[0].wall_ms, 0);
  EXPECT_EQ(run.scenarios[0].virtual_end_ms, 9);
  EXPECT_EQ(run.seed, std::optional<std::uint64_t>(3));
}

TEST(Report, RunPassesOnlyWhenEveryScenarioPasses) {
  RunReport run;
  EXPECT_FALSE(run_passed(run));
  run.scenarios.push_back(ScenarioReport{.passed = true});
  EXPECT_TRUE(run_passed(run));
  run.scenarios.push_back(ScenarioReport{.passed = false});
  EXPECT_FALSE(run_passed(run));
}

TEST(Report, FormatsIso8601) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(1'709'285'400'250), "2024-03-01T09:30:00.250Z");
  EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601(INT64_MIN), "0000-01-01T00:00:00.000Z");  // clamped
  EXPECT_EQ(format_iso8601(INT64_MAX), "9999-12-31T23:59:59.999Z");
}

TEST(Report, FormatsDurations) {
  EXPECT_EQ(format_duration(0), "0 ms");
  EXPECT_EQ(format_duration(850), "850 ms");
  EXPECT_EQ(format_duration(12'500), "12.5 s");
  EXPECT_EQ(format_duration(2'000), "2 s");
  EXPECT_EQ(format_duration(200'000), "3 min 20 s");
  EXPECT_EQ(format_duration(600'000), "10 min");
  EXPECT_EQ(format_duration(7'500'000), "2 h 5 min");
  EXPECT_EQ(format_duration(97'200'000), "1 d 3 h");
  EXPECT_EQ(format_duration(-850), "-850 ms");
  EXPECT_EQ(format_duration(INT64_MIN), "-106751991167 d 7 h");
}

}  // namespace
}  // namespace candor::reports
