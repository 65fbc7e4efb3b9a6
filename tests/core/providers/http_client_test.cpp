#include "core/providers/http_client.hpp"

#include <chrono>
#include <future>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock/manual_clock.hpp"
#include "core/clock/system_clock.hpp"
#include "core/clock/work_tracker.hpp"
#include "tests/core/providers/loopback_server.hpp"

namespace candor::providers {
namespace {

using namespace std::chrono_literals;
using testing::IoThread;
using testing::LoopbackServer;
using testing::RecordedRequest;
using testing::Reply;

clock::TimePoint start_time() {
  return clock::from_unix_ms(1'700'000'000'000);
}

/// A manual clock that waits for the client's work, plus the thread running I/O.
struct VirtualTime {
  clock::WorkTracker tracker;
  clock::ManualClock clock{start_time(), {.tracker = &tracker}};
};

HttpRequest post(std::string const& url, std::string body = "{}") {
  return HttpRequest{.method = "POST", .url = url, .headers = {{"X-Test", "1"}}, .body = body};
}

/// Sends and returns a future of the result.
std::future<HttpResult> send(HttpClient& client, HttpRequest request, domain::MessageId id) {
  auto promise = std::make_shared<std::promise<HttpResult>>();
  auto future = promise->get_future();
  client.send(std::move(request), id,
              [promise](HttpResult result) { promise->set_value(std::move(result)); });
  return future;
}

HttpResult get(std::future<HttpResult>& future) {
  if (future.wait_for(10s) != std::future_status::ready) {
    ADD_FAILURE() << "send did not finish";
    return {};
  }
  return future.get();
}

bool ready(std::future<HttpResult>& future) {
  return future.wait_for(0s) == std::future_status::ready;
}

TEST(HttpClient, SendsRequestAndReturnsResponse) {
  LoopbackServer server([](RecordedRequest const&, int) { return Reply{201, R"({"ok":true})"}; });
  IoThread io;
  clock::SystemClock clock;
  HttpClient client(io.io(), clock);

  auto future = send(client, post(server.base_url() + "/a/b?c=1", "payload"), 1);
  auto result = get(future);

  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 201);
  EXPECT_EQ(result.response->body, R"({"ok":true})");
  EXPECT_EQ(result.response->header("content-type"), "application/json");
  EXPECT_EQ(result.attempts, 1);
  auto const requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/a/b?c=1");
  EXPECT_EQ(requests[0].body, "payload");
  EXPECT_EQ(requests[0].header("X-Test"), "1");
  EXPECT_EQ(requests[0].header("Host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(HttpClient, RetriesAfterJitteredBackoffInVirtualTime) {
  LoopbackServer server([](RecordedRequest const&, int n) {
    return n == 1 ? Reply{503, "{}"} : Reply{200, "{}"};
  });
  IoThread io;
  VirtualTime time;
  HttpClientOptions const options{.max_attempts = 3, .tracker = &time.tracker};
  HttpClient client(io.io(), time.clock, options);
  auto const delay = backoff_delay(options, 42, 1);
  ASSERT_GT(delay.count(), 0);

  auto future = send(client, post(server.base_url() + "/"), 42);
  ASSERT_TRUE(time.clock.settle());
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_FALSE(ready(future));

  ASSERT_TRUE(time.clock.advance(delay - clock::Duration(1)));
  EXPECT_EQ(server.requests().size(), 1u);
  ASSERT_TRUE(time.clock.advance(clock::Duration(1)));

  auto result = get(future);
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 200);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(client.stats().retries, 1);
}

TEST(HttpClient, ReturnsLast5xxWhenAttemptsAreUsedUp) {
  LoopbackServer server([](RecordedRequest const&, int) { return Reply{500, "{}"}; });
  IoThread io;
  VirtualTime time;
  HttpClient client(io.io(), time.clock, {.max_attempts = 3, .tracker = &time.tracker});

  auto future = send(client, post(server.base_url() + "/"), 7);
  ASSERT_TRUE(time.clock.advance(1min));

  auto result = get(future);
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 500);
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(HttpClient, Permanent4xxFailsAtOnce) {
  LoopbackServer server([](RecordedRequest const&, int) { return Reply{400, "{}"}; });
  IoThread io;
  VirtualTime time;
  HttpClient client(io.io(), time.clock, {.max_attempts = 5, .tracker = &time.tracker});

  auto future = send(client, post(server.base_url() + "/"), 7);
  ASSERT_TRUE(time.clock.settle());

  auto result = get(future);
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 400);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(time.clock.pending_timers(), 0u);
}

TEST(HttpClient, HonoursRetryAfter) {
  LoopbackServer server([](RecordedRequest const&, int n) {
    return n == 1 ? Reply{429, "{}", {{"Retry-After", "30"}}} : Reply{200, "{}"};
  });
  IoThread io;
  VirtualTime time;
  HttpClient client(io.io(), time.clock,
                    {.max_attempts = 2, .backoff_cap = 1000ms, .tracker = &time.tracker});

  auto future = send(client, post(server.base_url() + "/"), 3);
  ASSERT_TRUE(time.clock.advance(29s));
  EXPECT_EQ(server.requests().size(), 1u);
  ASSERT_TRUE(time.clock.advance(1s));

  auto result = get(future);
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 200);
}

TEST(HttpClient, TotalTimeoutEndsRetries) {
  LoopbackServer server([](RecordedRequest const&, int) { return Reply{503, "{}"}; });
  IoThread io;
  VirtualTime time;
  HttpClient client(io.io(), time.clock,
                    {.max_attempts = 10,
                     .backoff_base = 1000ms,
                     .backoff_cap = 1000ms,
                     .total_timeout = 1ms,
                     .tracker = &time.tracker});

  auto future = send(client, post(server.base_url() + "/"), 11);
  ASSERT_TRUE(time.clock.advance(1min));

  auto result = get(future);
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 503);
  // The first draw may be 0, which fits before the deadline; never more than two.
  EXPECT_LE(result.attempts, 2);
}

TEST(HttpClient, ConnectionRefusedIsRetriedThenReported) {
  IoThread io;
  VirtualTime time;
  HttpClient client(io.io(), time.clock, {.max_attempts = 2, .tracker = &time.tracker});

  auto future =
      send(client, post("http://127.0.0.1:" + std::to_string(testing::closed_port()) + "/"), 5);
  ASSERT_TRUE(time.clock.advance(1min));

  auto result = get(future);
  EXPECT_FALSE(result.response);
  EXPECT_EQ(result.failure, HttpFailure::kConnect);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_NE(result.error_message.find("connect"), std::string::npos);
}

TEST(HttpClient, ReadTimeoutIsReported) {
  LoopbackServer server([](RecordedRequest const&, int) { return Reply{.hang = true}; });
  IoThread io;
  clock::SystemClock clock;
  HttpClient client(io.io(), clock, {.max_attempts = 1, .read_timeout = 100ms});

  auto future = send(client, post(server.base_url() + "/"), 5);
  auto result = get(future);

  EXPECT_FALSE(result.response);
  EXPECT_EQ(result.failure, HttpFailure::kTimeout);
}

// A request the server received but did not answer may have been acted on: it is
// not sent again here, and the result says so.
TEST(HttpClient, TimedOutRequestIsNotSentAgain) {
  LoopbackServer server([](RecordedRequest const&, int n) {
    return n == 1 ? Reply{.hang = true} : Reply{200, "{}"};
  });
  IoThread io;
  clock::SystemClock clock;
  HttpClient client(
      io.io(), clock,
      {.max_attempts = 3, .backoff_base = 1ms, .backoff_cap = 1ms, .read_timeout = 100ms});

  auto future = send(client, post(server.base_url() + "/", "same"), 5);
  auto result = get(future);

  EXPECT_FALSE(result.response);
  EXPECT_EQ(result.failure, HttpFailure::kTimeout);
  EXPECT_TRUE(result.written);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_THAT(result.error_message, ::testing::HasSubstr("may have been taken"));
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpClient, ConnectionDroppedAfterTheRequestIsNotSentAgain) {
  LoopbackServer server([](RecordedRequest const&, int n) {
    return n == 1 ? Reply{.drop = true} : Reply{200, "{}"};
  });
  IoThread io;
  clock::SystemClock clock;
  HttpClient client(io.io(), clock, {.max_attempts = 3, .backoff_base = 1ms, .backoff_cap = 1ms});

  auto future = send(client, post(server.base_url() + "/"), 5);
  auto result = get(future);

  EXPECT_FALSE(result.response);
  EXPECT_EQ(result.failure, HttpFailure::kConnection);
  EXPECT_TRUE(result.written);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpClient, AConnectionTheServerClosedWhileIdleIsNotReused) {
  // Each answer says keep-alive, then the server closes the connection.
  LoopbackServer server([](RecordedRequest const&, int) { return Reply{.close_after = true}; });
  IoThread io;
  clock::SystemClock clock;
  HttpClient client(io.io(), clock, {.max_attempts = 1});

  auto first = send(client, post(server.base_url() + "/"), 1);
  ASSERT_EQ(get(first).response->status, 200);
  ASSERT_TRUE(server.wait_for_connections_closed(1));
  auto next = send(client, post(server.base_url() + "/"), 2);
  auto second = get(next);

  ASSERT_TRUE(second.response) << second.error_message;
  EXPECT_EQ(second.response->status, 200);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(client.stats().reused, 0);
}

TEST(HttpClient, BadUrlIsNotRetried) {
  IoThread io;
  clock::SystemClock clock;
  HttpClient client(io.io(), clock, {.max_attempts = 3});

  auto future = send(client, post("ftp://example.com/"), 5);
  auto result = get(future);

  EXPECT_EQ(result.failure, HttpFailure::kBadRequest);
  EXPECT_EQ(result.attempts, 0);
}

TEST(HttpClient, TokenBucketPacesAttemptsInVirtualTime) {
  LoopbackServer server([](RecordedRequest const&, int) { return Reply{200, "{}"}; });
  IoThread io;
  VirtualTime time;
  HttpClient client(io.io(), time.clock,
                    {.max_per_second = 10, .burst = 1, .tracker = &time.tracker});

  auto first = send(client, post(server.base_url() + "/"), 1);
  auto second = send(client, post(server.base_url() + "/"), 2);
  auto third = send(client, post(server.base_url() + "/"), 3);
  ASSERT_TRUE(time.clock.settle());
  EXPECT_EQ(server.requests().size(), 1u);

  ASSERT_TRUE(time.clock.advance(99ms));
  EXPECT_EQ(server.requests().size(), 1u);
  ASSERT_TRUE(time.clock.advance(1ms));
  EXPECT_EQ(server.requests().size(), 2u);
  ASSERT_TRUE(time.clock.advance(100ms));
  EXPECT_EQ(server.requests().size(), 3u);

  EXPECT_EQ(get(first).attempts, 1);
  EXPECT_EQ(get(second).attempts, 1);
  EXPECT_EQ(get(third).attempts, 1);
}

TEST(HttpClient, CapsRequestsInFlightAndQueuesTheRest) {
  LoopbackServer server(
      [](RecordedRequest const&, int) { return Reply{.status = 200, .hold = true}; });
  IoThread io;
  clock::SystemClock clock;
  HttpClient client(io.io(), clock, {.max_in_flight = 2});

  std::vector<std::future<HttpResult>> futures;
  for (int i = 1; i <= 5; ++i) {
    futures.push_back(send(client, post(server.base_url() + "/"), i));
  }
  ASSERT_TRUE(server.wait_for_requests(2));
  ASSERT_TRUE(testing::eventually([&] { return client.stats().queued == 3; }));
  EXPECT_EQ(server.requests().size(), 2u);

  server.release_held();
  for (auto& future : futures) {
    EXPECT_EQ(get(future).response->status, 200);
  }
  EXPECT_EQ(server.max_pending(), 2);
}

TEST(HttpClient, ReusesKeepAliveConnection) {
  LoopbackServer server([](RecordedRequest const&, int) { return Reply{200, "{}"}; });
  IoThread io;
  clock::SystemClock clock;
  HttpClient client(io.io(), clock);

  for (int i = 1; i <= 3; ++i) {
    auto future = send(client, post(server.base_url() + "/"), i);
    EXPECT_EQ(get(future).response->status, 200);
  }

  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.stats().connections, 1);
  EXPECT_EQ(client.stats().reused, 2);
}

TEST(HttpClient, BackoffIsFullJitterKeyedByMessage) {
  HttpClientOptions const options{.backoff_base = 100ms, .backoff_cap = 1000ms};

  EXPECT_EQ(backoff_delay(options, 9, 2), backoff_delay(options, 9, 2));
  bool differs = false;
  for (int retry = 1; retry <= 8; ++retry) {
    auto const ceiling = std::min<clock::Duration>(1000ms, 100ms * (1 << (retry - 1)));
    for (domain::MessageId id = 1; id <= 50; ++id) {
      auto const delay = backoff_delay(options, id, retry);
      EXPECT_GE(delay.count(), 0);
      EXPECT_LE(delay, ceiling);
      differs = differs || delay != backoff_delay(options, 1, retry);
    }
  }
  EXPECT_TRUE(differs);

  auto reseeded = options;
  reseeded.jitter_seed = 1;
  EXPECT_NE(backoff_delay(options, 9, 3), backoff_delay(reseeded, 9, 3));
}

TEST(HttpClient, RetryableStatuses) {
  EXPECT_TRUE(is_retryable_status(429));
  EXPECT_TRUE(is_retryable_status(500));
  EXPECT_TRUE(is_retryable_status(503));
  EXPECT_FALSE(is_retryable_status(400));
  EXPECT_FALSE(is_retryable_status(401));
  EXPECT_FALSE(is_retryable_status(404));
  EXPECT_FALSE(is_retryable_status(200));
}

}  // namespace
}  // namespace candor::providers
