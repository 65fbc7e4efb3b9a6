#pragma once

// The fake Twilio's admin HTTP API, on the same server as the REST API, so that a
// scenario or a person can steer a running fake with curl. Every body is JSON; every
// error answers 400 with {"error": "<field>: <problem>"}.
//
//   GET  /__admin/journal           every API request and callback attempt
//   GET  /__admin/messages          every message the fake holds
//   POST /__admin/outcomes          {"outcomes": [{"outcome": "undelivered",
//                                    "error_code": 30003, "weight": 2}, ...]}
//   POST /__admin/delays            {"queued_ms": 200, "sent_ms": 1000, "final_ms": 3000}
//   POST /__admin/callback-faults   {"duplicate_rate": 0.1, "drop_rate": 0, "reorder_rate": 0,
//                                    "retry_once": true, "retry_delay_ms": 1000,
//                                    "timeout_ms": 15000}
//   POST /__admin/faults            {"kind": "rate_limit"|"server_error"|"reset"|"drop"|"delay",
//                                    "count": 3, "status": 503, "delay_ms": 500,
//                                    "request_number": 7}   (request_number: that request only)
//   POST /__admin/latency           {"latency_ms": 250}
//   POST /__admin/faults/clear      {}
//   POST /__admin/inbound           {"from": "+15558675310", "to": "+15005550006", "body": "STOP"}
//
// Fields left out take the defaults of the matching C++ struct.

namespace candor::fakes::twilio {

class FakeTwilio;

/// Adds the /__admin routes to `fake`'s server. Called by FakeTwilio's constructor.
void install_admin_routes(FakeTwilio& fake);

}  // namespace candor::fakes::twilio
