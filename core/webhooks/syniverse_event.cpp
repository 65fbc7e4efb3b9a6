#include "core/webhooks/syniverse_event.hpp"

#include <optional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace candor::webhooks {
namespace {

using nlohmann::json;

Error field_error(std::string_view path, std::string_view what) {
  return make_error(Errc::kInvalidArgument, fmt::format("{}: {}", path, what));
}

/// Reads an optional scalar as text: strings as they are, numbers and booleans
/// in JSON form. Absent and null give an empty string.
Result<std::string> text_field(json const& object, std::string_view prefix,
                               std::string const& name) {
  auto const it = object.find(name);
  if (it == object.end() || it->is_null()) {
    return std::string();
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  if (it->is_number() || it->is_boolean()) {
    return it->dump();
  }
  return field_error(fmt::format("{}{}", prefix, name), "must be a string or a number");
}

Status require(json const& object, std::string_view prefix, std::string const& name) {
  auto const it = object.find(name);
  if (it == object.end() || it->is_null()) {
    return field_error(fmt::format("{}{}", prefix, name), "missing");
  }
  return ok_status();
}

Status read_fields(json const& fields, std::string_view prefix, SyniverseEvent& event) {
  std::pair<char const*, std::string*> const targets[] = {
      {"message_request_id", &event.message_request_id},
      {"external_message_request_id", &event.external_message_request_id},
      {"message_id", &event.message_id},
      {"previous_state", &event.previous_state},
      {"new_state", &event.new_state},
      {"reason_code", &event.reason_code},
      {"reason_description", &event.reason_description},
      {"from_address", &event.from_address},
      {"to_address", &event.to_address},
      {"message_body", &event.message_body},
  };
  for (auto const& [name, target] : targets) {
    auto value = text_field(fields, prefix, name);
    if (!value) {
      return std::move(value).error();
    }
    *target = std::move(*value);
  }

  if (event.event_type == kSyniverseStateChange) {
    CANDOR_RETURN_IF_ERROR(require(fields, prefix, "message_request_id"));
    CANDOR_RETURN_IF_ERROR(require(fields, prefix, "new_state"));
  } else if (event.event_type == kSyniverseMoReceived) {
    for (char const* name : {"message_id", "from_address", "to_address", "message_body"}) {
      CANDOR_RETURN_IF_ERROR(require(fields, prefix, name));
    }
  }
  return ok_status();
}

Status read_envelope(json const& root, SyniverseEvent& event) {
  auto topic = text_field(root, "", "topic");
  if (!topic) {
    return std::move(topic).error();
  }
  event.topic = std::move(*topic);

  // attempt is usually a number; one published test sends it as a string.
  if (auto const it = root.find("attempt"); it != root.end() && !it->is_null()) {
    if (it->is_number_integer()) {
      event.attempt = it->get<int>();
    } else if (it->is_string()) {
      auto const text = it->get<std::string>();
      std::size_t used = 0;
      try {
        event.attempt = std::stoi(text, &used);
      } catch (std::exception const&) {
        used = 0;
      }
      if (used != text.size() || text.empty()) {
        return field_error("attempt", "must be an integer");
      }
    } else {
      return field_error("attempt", "must be an integer");
    }
  }

  for (char const* name : {"event-id", "event_id"}) {
    auto id = text_field(root, "", name);
    if (!id) {
      return std::move(id).error();
    }
    if (!id->empty()) {
      event.event_id = std::move(*id);
      break;
    }
  }
  return ok_status();
}

std::string infer_type(json const& fields) {
  if (fields.contains("new_state")) {
    return std::string(kSyniverseStateChange);
  }
  if (fields.contains("message_body")) {
    return std::string(kSyniverseMoReceived);
  }
  return "unknown";
}

}  // namespace

Result<SyniverseEvent> parse_syniverse_event(std::string_view body) {
  auto const root = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return make_error(Errc::kInvalidArgument, "body: not valid JSON");
  }
  if (!root.is_object()) {
    return make_error(Errc::kInvalidArgument, "body: must be a JSON object");
  }

  SyniverseEvent event;
  CANDOR_RETURN_IF_ERROR(read_envelope(root, event));

  // The standard envelope.
  if (auto const it = root.find("event"); it != root.end()) {
    if (!it->is_object()) {
      return field_error("event", "must be an object");
    }
    auto const type = it->find("evt-tp");
    if (type == it->end() || !type->is_string()) {
      return field_error("event.evt-tp", type == it->end() ? "missing" : "must be a string");
    }
    event.event_type = type->get<std::string>();
    auto const fields = it->find("fld-val-list");
    if (fields == it->end() || !fields->is_object()) {
      return field_error("event.fld-val-list",
                         fields == it->end() ? "missing" : "must be an object");
    }
    CANDOR_RETURN_IF_ERROR(read_fields(*fields, "event.fld-val-list.", event));
    return event;
  }

  // {"topicID": ..., "fields": {...}}, seen in one Syniverse article.
  if (auto const it = root.find("fields"); it != root.end()) {
    if (!it->is_object()) {
      return field_error("fields", "must be an object");
    }
    if (auto topic = text_field(root, "", "topicID"); topic && !topic->empty()) {
      event.topic = std::move(*topic);
    }
    if (auto id = text_field(root, "", "id"); id && event.event_id.empty()) {
      event.event_id = std::move(*id);
    }
    event.event_type = infer_type(*it);
    CANDOR_RETURN_IF_ERROR(read_fields(*it, "fields.", event));
    return event;
  }

  // A bare field object, which some deliveries are reported to use.
  event.event_type = infer_type(root);
  if (event.event_type == "unknown") {
    return field_error("event", "missing (no envelope and no new_state or message_body)");
  }
  CANDOR_RETURN_IF_ERROR(read_fields(root, "", event));
  return event;
}

}  // namespace candor::webhooks
