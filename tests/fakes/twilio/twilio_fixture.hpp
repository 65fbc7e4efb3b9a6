#pragma once

// A fake Twilio on a manual clock, a webhook receiver standing in for the core, and a
// synchronous API client, for the fake Twilio's tests.

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "core/clock/manual_clock.hpp"
#include "fakes/http/client.hpp"
#include "fakes/http/codec.hpp"
#include "fakes/http/server.hpp"
#include "fakes/twilio/fake_twilio.hpp"
#include "fakes/twilio/signature.hpp"

namespace candor::fakes::twilio {

inline clock::TimePoint const kFixtureStart = clock::from_unix_ms(1'700'000'000'000);

class TwilioFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    receiver_.route("POST", "/twilio/status", [this](http::Request const&) {
      return http::Response::text(receiver_status_, "");
    });
    receiver_.route("POST", "/twilio/inbound", [](http::Request const&) {
      return http::Response{
          .status = 200, .headers = {{"Content-Type", "text/xml"}}, .body = "<Response/>"};
    });
    ASSERT_TRUE(receiver_.start().ok());
  }

  /// Builds and starts the fake; `adjust` may change the default configuration.
  template <class Adjust>
  void start_fake(Adjust adjust) {
    FakeTwilioConfig config;
    config.services.front().status_callback = status_url();
    config.inbound_url = receiver_.base_url() + "/twilio/inbound";
    adjust(config);
    fake_ = std::make_unique<FakeTwilio>(clock_, config, &tracker_);
    ASSERT_TRUE(fake_->start().ok());
  }
  void start_fake() {
    start_fake([](FakeTwilioConfig&) {});
  }

  std::string status_url() const { return receiver_.base_url() + "/twilio/status"; }

  http::ClientResult call(http::ClientRequest request) {
    std::promise<http::ClientResult> promise;
    auto future = promise.get_future();
    client_.send(std::move(request),
                 [&promise](http::ClientResult const& r) { promise.set_value(r); });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return future.get();
  }

  /// POST .../Messages.json with the account's credentials unless `auth` is given.
  http::ClientResult create(http::Fields const& form, std::string auth = {}) {
    auto const& config = fake_->config();
    if (auth.empty()) {
      auth = http::basic_auth_header(config.account_sid, config.auth_token);
    }
    return call(http::ClientRequest{.method = "POST",
                                    .url = fake_->account_url() + "/Messages.json",
                                    .headers = {{"Authorization", auth}},
                                    .body = http::encode_form(form),
                                    .content_type = "application/x-www-form-urlencoded"});
  }

  http::ClientResult get(std::string const& path, std::string auth = {}) {
    auto const& config = fake_->config();
    if (auth.empty()) {
      auth = http::basic_auth_header(config.account_sid, config.auth_token);
    }
    return call(http::ClientRequest{
        .method = "GET", .url = fake_->base_url() + path, .headers = {{"Authorization", auth}}});
  }

  /// Status callbacks the receiver got, as form fields, in arrival order.
  std::vector<http::Fields> received(std::string const& target = "/twilio/status") const {
    std::vector<http::Fields> out;
    for (auto const& entry : receiver_.journal()) {
      if (entry.target == target) {
        out.push_back(*http::parse_form(entry.body));
      }
    }
    return out;
  }

  void advance(clock::Duration d) { ASSERT_TRUE(clock_.advance(d)); }

  clock::WorkTracker tracker_;
  clock::ManualClock clock_{kFixtureStart,
                            {.tracker = &tracker_, .settle_timeout = std::chrono::seconds(10)}};
  std::atomic<int> receiver_status_{200};
  http::HttpServer receiver_{clock_, {.log_name = "test.receiver"}, &tracker_};
  http::HttpClient client_{clock_};
  std::unique_ptr<FakeTwilio> fake_;
};

}  // namespace candor::fakes::twilio
