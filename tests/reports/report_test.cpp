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
  EXPECT_EQ(run.seed, 3u);
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
