#include "fakes/smtp/admin_api.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fakes/http/server.hpp"
#include "fakes/smtp/fake_smtp.hpp"

namespace candor::fakes::smtp {
namespace {

using Json = nlohmann::json;
using http::Request;
using http::Response;

/// Longest latency an admin request may set (a day).
constexpr std::int64_t kMaxLatencyMs = 24LL * 60 * 60 * 1000;

/// A bad admin request; its text names the field.
struct AdminError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Json parse_body(Request const& request) {
  if (request.body.empty()) {
    return Json::object();
  }
  auto body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    throw AdminError("body: must be a JSON object");
  }
  return body;
}

std::string text(Json const& body, char const* field) {
  if (!body.contains(field) || body[field].is_null()) {
    return "";
  }
  if (!body[field].is_string()) {
    throw AdminError(fmt::format("{}: must be a string", field));
  }
  return body[field].get<std::string>();
}

/// The integer `field` in [min, max]; `fallback` when absent.
std::int64_t integer(Json const& body, char const* field, std::int64_t fallback, std::int64_t min,
                     std::int64_t max) {
  if (!body.contains(field)) {
    return fallback;
  }
  auto const& value = body[field];
  auto const fail = [&] {
    return AdminError(fmt::format("{}: must be an integer from {} to {}", field, min, max));
  };
  // Checked as unsigned first: a huge number must not wrap into range.
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() &&
       value.get<std::uint64_t>() > static_cast<std::uint64_t>(max))) {
    throw fail();
  }
  auto const number = value.get<std::int64_t>();
  if (number < min || number > max) {
    throw fail();
  }
  return number;
}

std::chrono::milliseconds millis(Json const& body, char const* field) {
  return std::chrono::milliseconds(integer(body, field, 0, 0, kMaxLatencyMs));
}

int sessions_field(Json const& body) {
  return static_cast<int>(integer(body, "sessions", 1, 1, kMaxFaultSessions));
}

Response ok() {
  return Response::json(200, R"({"ok":true})");
}

/// Wraps a handler so that bad input answers 400 instead of 500.
template <class Fn>
http::Handler guarded(Fn fn) {
  return [fn = std::move(fn)](Request const& request) -> Response {
    try {
      return fn(request);
    } catch (AdminError const& e) {
      return Response::json(400, Json{{"error", e.what()}}.dump());
    } catch (std::invalid_argument const& e) {
      return Response::json(400, Json{{"error", e.what()}}.dump());
    }
  };
}

Json message_json(SmtpMessage const& m) {
  return Json{{"queue_id", m.queue_id},
              {"mail_from", m.mail_from},
              {"recipients", m.recipients},
              {"subject", m.subject},
              {"from", m.from},
              {"to", m.to},
              {"message_id", m.message_id},
              {"body", m.body},
              {"raw_body", m.raw_body},
              {"raw", m.raw},
              {"helo", m.helo},
              {"auth_user", m.auth_user},
              {"session", m.session},
              {"received_at_ms", clock::to_unix_ms(m.received_at)}};
}

Json session_json(SmtpSession const& s) {
  Json transcript = Json::array();
  for (auto const& e : s.transcript) {
    transcript.push_back(
        {{"command", e.command}, {"reply", e.reply}, {"at_ms", clock::to_unix_ms(e.at)}});
  }
  return Json{{"number", s.number},
              {"opened_at_ms", clock::to_unix_ms(s.opened_at)},
              {"closed_at_ms", s.closed_at ? Json(clock::to_unix_ms(*s.closed_at)) : Json()},
              {"fault", s.fault},
              {"helo", s.helo},
              {"auth_user", s.auth_user},
              {"queue_ids", s.queue_ids},
              {"transcript", transcript},
              {"truncated", s.truncated}};
}

SmtpRejectRule rule_from(Json const& body) {
  SmtpRejectRule rule{.domain = text(body, "domain"),
                      .address_pattern = text(body, "address_pattern"),
                      .text = text(body, "text")};
  auto const stage = text(body, "stage");
  if (stage.empty() || stage == "rcpt") {
    rule.stage = RejectStage::kRcpt;
  } else if (stage == "data") {
    rule.stage = RejectStage::kData;
  } else {
    throw AdminError(fmt::format("stage: '{}' is not rcpt or data", stage));
  }
  rule.code = static_cast<int>(integer(body, "code", 0, 0, 599));
  if (rule.code != 0 && rule.code < 400) {
    throw AdminError("code: must be a 4xx or 5xx reply code (or 0 for the default)");
  }
  if (rule.text.find_first_of("\r\n") != std::string::npos) {
    throw AdminError("text: must be one line");
  }
  return rule;
}

DropPoint drop_point_from(std::string const& point) {
  if (point == "on_connect") {
    return DropPoint::kOnConnect;
  }
  if (point == "after_mail_from") {
    return DropPoint::kAfterMailFrom;
  }
  if (point == "after_data") {
    return DropPoint::kAfterData;
  }
  throw AdminError(
      fmt::format("point: '{}' is not on_connect, after_mail_from or after_data", point));
}

}  // namespace

void install_admin_routes(FakeSmtp& fake, http::HttpServer& server) {
  auto* const f = &fake;

  server.route("GET", "/__admin/messages", [f](Request const& r) {
    auto const to = r.query_param("to");
    Json out = Json::array();
    for (auto const& m : f->messages()) {
      if (!to || std::find(m.recipients.begin(), m.recipients.end(), *to) != m.recipients.end()) {
        out.push_back(message_json(m));
      }
    }
    return Response::json(200, Json{{"messages", out}}.dump());
  });

  server.route("GET", "/__admin/messages/{queue_id}", [f](Request const& r) {
    auto const m = f->find_message(r.path_param("queue_id"));
    if (!m) {
      return Response::json(404, Json{{"error", "queue_id: no such message"}}.dump());
    }
    return Response::json(200, message_json(*m).dump());
  });

  server.route("GET", "/__admin/sessions", [f](Request const&) {
    Json out = Json::array();
    for (auto const& s : f->sessions()) {
      out.push_back(session_json(s));
    }
    return Response::json(200, Json{{"sessions", out}}.dump());
  });

  server.route("GET", "/__admin/stats", [f](Request const&) {
    auto const s = f->stats();
    return Response::json(200, Json{{"sessions", s.sessions},
                                    {"messages", s.messages},
                                    {"rejected_recipients", s.rejected_recipients},
                                    {"rejected_messages", s.rejected_messages},
                                    {"auth_failures", s.auth_failures},
                                    {"temporary_failures", s.temporary_failures},
                                    {"dropped_sessions", s.dropped_sessions}}
                                   .dump());
  });

  server.route("POST", "/__admin/reject_rules", guarded([f](Request const& r) {
                 f->add_reject_rule(rule_from(parse_body(r)));
                 return ok();
               }));

  server.route("POST", "/__admin/reject_rules/clear", [f](Request const&) {
    f->clear_reject_rules();
    return ok();
  });

  server.route("POST", "/__admin/faults", guarded([f](Request const& r) {
                 auto const body = parse_body(r);
                 auto const kind = text(body, "kind");
                 if (kind == "temporary") {
                   auto const code = integer(body, "code", 421, 400, 499);
                   if (code != 421 && code != 451) {
                     throw AdminError("code: must be 421 (at the greeting) or 451 (at MAIL)");
                   }
                   f->fail_next_sessions(sessions_field(body), static_cast<int>(code));
                   return ok();
                 }
                 if (kind == "drop") {
                   f->drop_next_sessions(sessions_field(body),
                                         drop_point_from(text(body, "point")));
                   return ok();
                 }
                 throw AdminError(fmt::format("kind: '{}' is not temporary or drop", kind));
               }));

  server.route("POST", "/__admin/faults/clear", [f](Request const&) {
    f->clear_faults();
    return ok();
  });

  server.route("POST", "/__admin/latency", guarded([f](Request const& r) {
                 auto const body = parse_body(r);
                 f->set_latency(millis(body, "reply_ms"), millis(body, "data_ms"));
                 return ok();
               }));

  server.route("POST", "/__admin/clear", [f](Request const&) {
    f->clear();
    return ok();
  });
}

}  // namespace candor::fakes::smtp
