#include "fakes/http/server.hpp"

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/clock/manual_clock.hpp"
#include "fakes/http/client.hpp"

namespace candor::fakes::http {
namespace {

using namespace std::chrono_literals;

clock::TimePoint const kStart = clock::from_unix_ms(1'700'000'000'000);

/// Sends one request through an untracked client and waits (real time) for the result.
ClientResult call(HttpClient& client, ClientRequest request) {
  std::promise<ClientResult> promise;
  auto future = promise.get_future();
  client.send(std::move(request), [&promise](ClientResult const& r) { promise.set_value(r); });
  EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
  return future.get();
}

/// Polls `condition` until it holds or `timeout` passes.
template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout = 5s) {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.route("GET", "/items/{id}.json", [](Request const& r) {
      return Response::json(200, "{\"id\":\"" + r.path_param("id") + "\",\"q\":\"" +
                                     r.query_param("q").value_or("") + "\"}");
    });
    server_.route("POST", "/echo", [](Request const& r) {
      return Response::text(201, r.header("content-type").value_or("") + "|" + r.body);
    });
    ASSERT_TRUE(server_.start().ok());
  }

  ClientRequest get(std::string const& target) {
    return ClientRequest{.method = "GET", .url = server_.base_url() + target};
  }

  clock::WorkTracker tracker_;
  clock::ManualClock clock_{kStart, {.tracker = &tracker_, .settle_timeout = 5s}};
  HttpServer server_{clock_, {.body_limit = 64}, &tracker_};
  HttpClient client_{clock_};
};

TEST_F(ServerTest, BindsLoopbackOnAChosenPort) {
  EXPECT_TRUE(server_.running());
  EXPECT_NE(server_.port(), 0);
  EXPECT_EQ(server_.base_url(), "http://127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(ServerTest, RoutesByMethodAndPatternWithParameters) {
  auto const result = call(client_, get("/items/SM12.json?q=a%20b"));
  ASSERT_FALSE(result.error) << result.error->message;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, R"({"id":"SM12","q":"a b"})");
  EXPECT_EQ(find_header(result.headers, "Content-Type"), "application/json; charset=utf-8");

  auto const posted = call(client_, ClientRequest{.url = server_.base_url() + "/echo",
                                                  .body = "x=1",
                                                  .content_type = "text/plain"});
  EXPECT_EQ(posted.status, 201);
  EXPECT_EQ(posted.body, "text/plain|x=1");
}

TEST_F(ServerTest, UnknownEndpointAnswers501AndIsJournaled) {
  EXPECT_EQ(call(client_, get("/nowhere")).status, 501);
  EXPECT_EQ(call(client_, get("/echo")).status, 501);         // wrong method
  EXPECT_EQ(call(client_, get("/items/.json")).status, 501);  // empty placeholder

  auto const journal = server_.journal();
  ASSERT_EQ(journal.size(), 3u);
  EXPECT_FALSE(journal[0].routed);
  EXPECT_EQ(journal[0].status, 501);
}

TEST_F(ServerTest, JournalRecordsEachRequestWithClockTime) {
  ASSERT_TRUE(clock_.advance(90s));
  call(client_, ClientRequest{.url = server_.base_url() + "/echo", .body = "a=1"});
  call(client_, get("/items/1.json"));

  ASSERT_TRUE(server_.wait_for_requests(2));
  auto const journal = server_.journal();
  ASSERT_EQ(journal.size(), 2u);
  EXPECT_EQ(journal[0].number, 1u);
  EXPECT_EQ(journal[0].method, "POST");
  EXPECT_EQ(journal[0].target, "/echo");
  EXPECT_EQ(journal[0].body, "a=1");
  EXPECT_EQ(journal[0].status, 201);
  EXPECT_EQ(journal[0].received_at, kStart + 90s);
  EXPECT_EQ(journal[1].number, 2u);
  EXPECT_EQ(server_.request_count(), 2u);

  server_.clear_journal();
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(ServerTest, AdminPrefixIsNeitherJournaledNorFaulted) {
  server_.route("GET", "/__admin/ping", [](Request const&) { return Response::text(200, "pong"); });
  server_.fail_next(1, Fault::with_status(503));

  EXPECT_EQ(call(client_, get("/__admin/ping")).status, 200);
  EXPECT_EQ(server_.request_count(), 0u);
  EXPECT_EQ(call(client_, get("/items/1.json")).status, 503);
}

TEST_F(ServerTest, BodyOverLimitAnswers413) {
  auto const result = call(
      client_, ClientRequest{.url = server_.base_url() + "/echo", .body = std::string(65, 'x')});
  EXPECT_EQ(result.status, 413);
}

TEST(ServerOptions, NotFoundAndErrorRendererReplaceTheDefaults) {
  clock::WorkTracker tracker;
  clock::ManualClock clock{kStart, {.tracker = &tracker, .settle_timeout = 5s}};
  auto const render = [](int status, std::string const& message) {
    return Response::json(
        status, "{\"status\":" + std::to_string(status) + ",\"message\":\"" + message + "\"}");
  };
  HttpServer server{clock,
                    {.body_limit = 16,
                     .not_found = [](Request const& r) { return Response::json(404, r.path); },
                     .error_response = render},
                    &tracker};
  server.route("POST", "/boom", [](Request const&) -> Response { throw std::runtime_error("x"); });
  ASSERT_TRUE(server.start().ok());
  HttpClient client{clock};

  auto const missing =
      call(client, ClientRequest{.method = "GET", .url = server.base_url() + "/a"});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "/a");
  auto const threw = call(client, ClientRequest{.url = server.base_url() + "/boom", .body = "x"});
  EXPECT_EQ(threw.status, 500);
  EXPECT_EQ(threw.body, R"({"status":500,"message":"handler failed"})");
  EXPECT_EQ(find_header(threw.headers, "Content-Type"), "application/json; charset=utf-8");
  auto const large =
      call(client, ClientRequest{.url = server.base_url() + "/boom", .body = std::string(17, 'x')});
  EXPECT_EQ(large.status, 413);
  EXPECT_EQ(large.body, R"({"status":413,"message":"request body over 16 bytes"})");

  ASSERT_TRUE(server.wait_for_requests(2));
  auto const journal = server.journal();
  EXPECT_FALSE(journal[0].routed);
  EXPECT_EQ(journal[0].status, 404);
  EXPECT_TRUE(journal[1].routed);
}

TEST_F(ServerTest, ScriptedFaultHitsOnlyThatRequestNumber) {
  server_.script_fault(2, Fault::with_status(429, R"({"code":20429})"));

  EXPECT_EQ(call(client_, get("/items/1.json")).status, 200);
  auto const second = call(client_, get("/items/1.json"));
  EXPECT_EQ(second.status, 429);
  EXPECT_EQ(second.body, R"({"code":20429})");
  EXPECT_EQ(call(client_, get("/items/1.json")).status, 200);
  EXPECT_EQ(server_.journal()[1].fault, "status");
}

TEST_F(ServerTest, FailNextQueuesBurstsInOrder) {
  server_.fail_next(2, Fault::with_status(500));
  server_.fail_next(1, Fault::with_status(502));

  EXPECT_EQ(call(client_, get("/items/1.json")).status, 500);
  EXPECT_EQ(call(client_, get("/items/1.json")).status, 500);
  EXPECT_EQ(call(client_, get("/items/1.json")).status, 502);
  EXPECT_EQ(call(client_, get("/items/1.json")).status, 200);
}

TEST_F(ServerTest, DropAndResetAnswerNothing) {
  server_.fail_next(1, Fault::drop());
  server_.fail_next(1, Fault::reset());

  auto const dropped = call(client_, get("/items/1.json"));
  ASSERT_TRUE(dropped.error.has_value());
  EXPECT_EQ(dropped.error->code, Errc::kUnavailable);
  auto const reset = call(client_, get("/items/1.json"));
  ASSERT_TRUE(reset.error.has_value());

  auto const journal = server_.journal();
  ASSERT_EQ(journal.size(), 2u);
  EXPECT_EQ(journal[0].fault, "drop");
  EXPECT_EQ(journal[0].status, 0);
  EXPECT_EQ(journal[1].fault, "reset");
}

TEST_F(ServerTest, DelayWaitsOnTheClockNotOnRealTime) {
  server_.fail_next(1, Fault::delayed(5s));

  std::promise<ClientResult> promise;
  auto future = promise.get_future();
  client_.send(get("/items/1.json"), [&promise](ClientResult const& r) { promise.set_value(r); });
  ASSERT_TRUE(wait_until([&] { return clock_.pending_timers() == 1; }));

  ASSERT_TRUE(clock_.advance(4s));
  EXPECT_EQ(future.wait_for(50ms), std::future_status::timeout);
  ASSERT_TRUE(clock_.advance(1s));
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get().status, 200);
  EXPECT_EQ(server_.journal()[0].fault, "delay");
}

TEST_F(ServerTest, LatencyAppliesToEveryRequestUntilCleared) {
  server_.set_latency(2s);
  std::promise<ClientResult> promise;
  auto future = promise.get_future();
  client_.send(get("/items/1.json"), [&promise](ClientResult const& r) { promise.set_value(r); });
  ASSERT_TRUE(wait_until([&] { return clock_.pending_timers() == 1; }));
  ASSERT_TRUE(clock_.advance(2s));
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);

  server_.clear_faults();
  EXPECT_EQ(call(client_, get("/items/1.json")).status, 200);
  EXPECT_EQ(clock_.pending_timers(), 0u);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), server_.port()});
  std::string const one = "GET /items/1.json HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string const two = "GET /items/2.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(one + two));

  // The server closes after the second answer, so reading to EOF collects both.
  std::string received;
  boost::system::error_code ec;
  boost::asio::read(socket, boost::asio::dynamic_buffer(received), ec);
  EXPECT_EQ(ec, boost::asio::error::eof);
  EXPECT_NE(received.find(R"({"id":"1","q":""})"), std::string::npos);
  EXPECT_NE(received.find(R"({"id":"2","q":""})"), std::string::npos);
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(ServerTest, HandlerExceptionAnswers500) {
  server_.route("GET", "/boom",
                [](Request const&) -> Response { throw std::runtime_error("broken handler"); });
  EXPECT_EQ(call(client_, get("/boom")).status, 500);
}

TEST_F(ServerTest, StopClosesAndStartRebinds) {
  server_.stop();
  EXPECT_FALSE(server_.running());
  server_.stop();  // idempotent

  ASSERT_TRUE(server_.start().ok());
  EXPECT_FALSE(server_.start().ok());
  EXPECT_EQ(call(client_, get("/items/9.json")).status, 200);
}

TEST(Server, StartReportsAPortInUse) {
  clock::ManualClock clock(kStart);
  HttpServer first(clock);
  ASSERT_TRUE(first.start().ok());
  HttpServer second(clock, {.port = first.port()});
  auto const status = second.start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::kUnavailable);
}

}  // namespace
}  // namespace candor::fakes::http
