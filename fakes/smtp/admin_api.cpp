#include "fakes/smtp/admin_api.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fakes/http/admin_json.hpp"
#include "fakes/http/server.hpp"
#include "fakes/smtp/fake_smtp.hpp"

namespace candor::fakes::smtp {
namespace {

using Json = nlohmann::json;
using http::admin_body;
using http::AdminError;
using http::guard_admin;
using http::integer_field;
using http::Request;
using http::Response;
using http::text_field;

/// Longest latency an admin request may set (a day).
constexpr std::int64_t kMaxLatencyMs = 24LL * 60 * 60 * 1000;

std::chrono::milliseconds millis(Json const& body, char const* field) {
  return std::chrono::milliseconds(integer_field(body, field, 0, 0, kMaxLatencyMs));
}

int sessions_field(Json const& body) {
  return static_cast<int>(integer_field(body, "sessions", 1, 1, kMaxFaultSessions));
}

Response ok() {
  return Response::json(200, R"({"ok":true})");
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
  SmtpRejectRule rule{.domain = text_field(body, "domain"),
                      .address_pattern = text_field(body, "address_pattern"),
                      .text = text_field(body, "text")};
  auto const stage = text_field(body, "stage");
  if (stage.empty() || stage == "rcpt") {
    rule.stage = RejectStage::kRcpt;
  } else if (stage == "data") {
    rule.stage = RejectStage::kData;
  } else {
    throw AdminError(fmt::format("stage: '{}' is not rcpt or data", stage));
  }
  rule.code = static_cast<int>(integer_field(body, "code", 0, 0, 599));
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

  server.route("POST", "/__admin/reject_rules", guard_admin([f](Request const& r) {
                 auto rule = rule_from(admin_body(r));
                 // The fake compiles the pattern; one it cannot is the request's fault.
                 try {
                   f->add_reject_rule(std::move(rule));
                 } catch (std::invalid_argument const& e) {
                   throw AdminError(e.what());
                 }
                 return ok();
               }));

  server.route("POST", "/__admin/reject_rules/clear", [f](Request const&) {
    f->clear_reject_rules();
    return ok();
  });

  server.route("POST", "/__admin/faults", guard_admin([f](Request const& r) {
                 auto const body = admin_body(r);
                 auto const kind = text_field(body, "kind");
                 if (kind == "temporary") {
                   auto const code = integer_field(body, "code", 421, 400, 499);
                   if (code != 421 && code != 451) {
                     throw AdminError("code: must be 421 (at the greeting) or 451 (at MAIL)");
                   }
                   f->fail_next_sessions(sessions_field(body), static_cast<int>(code));
                   return ok();
                 }
                 if (kind == "drop") {
                   f->drop_next_sessions(sessions_field(body),
                                         drop_point_from(text_field(body, "point")));
                   return ok();
                 }
                 throw AdminError(fmt::format("kind: '{}' is not temporary or drop", kind));
               }));

  server.route("POST", "/__admin/faults/clear", [f](Request const&) {
    f->clear_faults();
    return ok();
  });

  server.route("POST", "/__admin/latency", guard_admin([f](Request const& r) {
                 auto const body = admin_body(r);
                 f->set_latency(millis(body, "reply_ms"), millis(body, "data_ms"));
                 return ok();
               }));

  server.route("POST", "/__admin/clear", [f](Request const&) {
    f->clear();
    return ok();
  });
}

}  // namespace candor::fakes::smtp
