#include "fakes/twilio/admin_api.hpp"

#include <chrono>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fakes/http/admin_json.hpp"
#include "fakes/http/json_text.hpp"
#include "fakes/twilio/fake_twilio.hpp"

namespace candor::fakes::twilio {

namespace {

using Json = nlohmann::json;
using http::admin_body;
using http::AdminError;
using http::guard_admin;
using http::Request;
using http::Response;

template <class T>
T get_or(Json const& body, char const* field, T fallback) {
  if (!body.contains(field)) {
    return fallback;
  }
  try {
    return body.at(field).get<T>();
  } catch (Json::exception const&) {
    throw AdminError(fmt::format("{}: wrong type", field));
  }
}

double rate(Json const& body, char const* field) {
  auto const value = get_or<double>(body, field, 0.0);
  if (value < 0.0 || value > 1.0) {
    throw AdminError(fmt::format("{}: must be in [0, 1]", field));
  }
  return value;
}

std::chrono::milliseconds millis(Json const& body, char const* field,
                                 std::chrono::milliseconds fallback) {
  auto const value = get_or<long long>(body, field, fallback.count());
  if (value < 0) {
    throw AdminError(fmt::format("{}: must be >= 0", field));
  }
  return std::chrono::milliseconds(value);
}

template <class Duration>
std::chrono::milliseconds as_millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

Response ok(Json body = Json{{"ok", true}}) {
  return Response::json(200, http::json_text(body));
}

Status set_outcomes_from(FakeTwilio& fake, Json const& body) {
  if (!body.contains("outcomes") || !body["outcomes"].is_array()) {
    throw AdminError("outcomes: must be an array");
  }
  std::vector<OutcomeWeight> outcomes;
  for (std::size_t i = 0; i < body["outcomes"].size(); ++i) {
    auto const& item = body["outcomes"][i];
    if (!item.is_object()) {
      throw AdminError(fmt::format("outcomes[{}]: must be an object", i));
    }
    auto const name = get_or<std::string>(item, "outcome", "");
    auto const outcome = parse_outcome(name);
    if (!outcome) {
      throw AdminError(fmt::format(
          "outcomes[{}].outcome: '{}' is not delivered, undelivered, failed or sent", i, name));
    }
    outcomes.push_back(OutcomeWeight{.outcome = *outcome,
                                     .error_code = get_or<int>(item, "error_code", 0),
                                     .weight = get_or<double>(item, "weight", 1.0)});
  }
  return fake.set_outcomes(std::move(outcomes));
}

http::Fault fault_from(Json const& body) {
  auto const kind = get_or<std::string>(body, "kind", "");
  if (kind == "rate_limit") {
    return http::Fault::with_status(
        429, R"({"code":20429,"message":"Too Many Requests",)"
             R"("more_info":"https://www.twilio.com/docs/errors/20429","status":429})");
  }
  if (kind == "server_error") {
    auto const status = get_or<int>(body, "status", 500);
    if (status < 500 || status > 599) {
      throw AdminError("status: must be 5xx");
    }
    return http::Fault::with_status(
        status, http::json_text(Json{{"code", 20500},
                                     {"message", "Internal Server Error"},
                                     {"more_info", "https://www.twilio.com/docs/errors/20500"},
                                     {"status", status}}));
  }
  if (kind == "reset") {
    return http::Fault::reset();
  }
  if (kind == "drop") {
    return http::Fault::drop();
  }
  if (kind == "delay") {
    return http::Fault::delayed(millis(body, "delay_ms", std::chrono::milliseconds(0)));
  }
  throw AdminError(
      fmt::format("kind: '{}' is not rate_limit, server_error, reset, drop or delay", kind));
}

Json message_json(MessageRecord const& m) {
  return Json{{"sid", m.sid},
              {"direction", m.direction},
              {"to", m.to},
              {"from", m.from},
              {"body", m.body},
              {"messaging_service_sid", m.messaging_service_sid},
              {"status_callback", m.status_callback},
              {"status", m.status},
              {"error_code", m.error_code ? Json(*m.error_code) : Json(nullptr)},
              {"num_segments", m.num_segments},
              {"send_at_ms", m.send_at ? Json(clock::to_unix_ms(*m.send_at)) : Json(nullptr)},
              {"date_created_ms", clock::to_unix_ms(m.date_created)},
              {"date_updated_ms", clock::to_unix_ms(m.date_updated)}};
}

}  // namespace

void install_admin_routes(FakeTwilio& fake) {
  auto& server = fake.server();
  auto* const f = &fake;

  server.route("GET", "/__admin/journal",
               [f](Request const&) { return Response::json(200, f->journal_json()); });

  server.route("GET", "/__admin/messages", [f](Request const&) {
    Json out = Json::array();
    for (auto const& m : f->messages()) {
      out.push_back(message_json(m));
    }
    return ok(Json{{"messages", out}});
  });

  server.route("POST", "/__admin/outcomes", guard_admin([f](Request const& r) {
                 auto const status = set_outcomes_from(*f, admin_body(r));
                 if (!status) {
                   throw AdminError(status.error().message);
                 }
                 return ok();
               }));

  server.route("POST", "/__admin/delays", guard_admin([f](Request const& r) {
                 auto const body = admin_body(r);
                 CallbackDelays const defaults;
                 f->set_delays(
                     CallbackDelays{.queued = millis(body, "queued_ms", as_millis(defaults.queued)),
                                    .sent = millis(body, "sent_ms", as_millis(defaults.sent)),
                                    .final = millis(body, "final_ms", as_millis(defaults.final))});
                 return ok();
               }));

  server.route("POST", "/__admin/callback-faults", guard_admin([f](Request const& r) {
                 auto const body = admin_body(r);
                 CallbackFaults const defaults;
                 auto const status = f->set_callback_faults(CallbackFaults{
                     .duplicate_rate = rate(body, "duplicate_rate"),
                     .drop_rate = rate(body, "drop_rate"),
                     .reorder_rate = rate(body, "reorder_rate"),
                     .retry_once = get_or<bool>(body, "retry_once", defaults.retry_once),
                     .retry_delay = millis(body, "retry_delay_ms", as_millis(defaults.retry_delay)),
                     .timeout = millis(body, "timeout_ms", defaults.timeout)});
                 if (!status) {
                   throw AdminError(status.error().message);
                 }
                 return ok();
               }));

  server.route("POST", "/__admin/faults", guard_admin([f](Request const& r) {
                 auto const body = admin_body(r);
                 auto fault = fault_from(body);
                 if (body.contains("request_number")) {
                   auto const number = get_or<long long>(body, "request_number", 0);
                   if (number < 1) {
                     throw AdminError("request_number: must be >= 1");
                   }
                   f->server().script_fault(static_cast<std::uint64_t>(number), std::move(fault));
                   return ok();
                 }
                 auto const count = get_or<long long>(body, "count", 1);
                 if (count < 1) {
                   throw AdminError("count: must be >= 1");
                 }
                 f->server().fail_next(static_cast<std::size_t>(count), std::move(fault));
                 return ok();
               }));

  server.route("POST", "/__admin/latency", guard_admin([f](Request const& r) {
                 f->set_latency(millis(admin_body(r), "latency_ms", std::chrono::milliseconds(0)));
                 return ok();
               }));

  server.route("POST", "/__admin/faults/clear", [f](Request const&) {
    f->server().clear_faults();
    return ok();
  });

  server.route("POST", "/__admin/inbound", guard_admin([f](Request const& r) {
                 auto const body = admin_body(r);
                 auto sid =
                     f->send_inbound(InboundMessage{.from = get_or<std::string>(body, "from", ""),
                                                    .to = get_or<std::string>(body, "to", ""),
                                                    .body = get_or<std::string>(body, "body", "")});
                 if (!sid) {
                   throw AdminError(sid.error().message);
                 }
                 return ok(Json{{"sid", *sid}});
               }));
}

}  // namespace candor::fakes::twilio
