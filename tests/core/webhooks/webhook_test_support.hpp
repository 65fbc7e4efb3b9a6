#pragma once

// Helpers shared by the webhook tests: a gMock sink, form encoding and a tiny
// blocking HTTP/1.1 client for loopback requests.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>

#include "core/webhooks/twilio_signature.hpp"
#include "core/webhooks/webhook_sink.hpp"

namespace candor::webhooks::testing_support {

class MockSink : public WebhookSink {
 public:
  MOCK_METHOD(void, on_status, (domain::StatusUpdate update), (override));
  MOCK_METHOD(void, on_inbound, (InboundSms message), (override));
};

/// application/x-www-form-urlencoded, every byte outside [A-Za-z0-9-._~] escaped.
std::string form_encode(FormParams const& params);

struct HttpResult {
  int status = 0;
  /// Header lines as received, lower-cased names, "name: value\r\n" each.
  std::string headers;
  std::string body;
};

/// Sends `raw` (a complete request) to 127.0.0.1:`port`, reads until the server
/// closes, and parses the first response. status 0 when nothing came back.
HttpResult exchange(std::uint16_t port, std::string const& raw);

/// Builds a request with Connection: close and Content-Length.
std::string make_request(std::string const& method, std::string const& target,
                         std::vector<std::pair<std::string, std::string>> const& headers,
                         std::string const& body);

}  // namespace candor::webhooks::testing_support
