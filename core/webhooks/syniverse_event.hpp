#pragma once

// The JSON events Syniverse's Event Subscription Service posts for topic
// SCG-Message: delivery reports (message_state_change) and inbound SMS
// (mo_message_received).

#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace candor::webhooks {

inline constexpr std::string_view kSyniverseStateChange = "message_state_change";
inline constexpr std::string_view kSyniverseMoReceived = "mo_message_received";

/// One parsed event. Fields not used by the event's type stay empty.
struct SyniverseEvent {
  std::string topic;
  /// Delivery attempt number, 0 when absent.
  int attempt = 0;
  /// "event-id" (what real payloads send) or "event_id" (what the guide writes).
  std::string event_id;
  /// event.evt-tp, e.g. "message_state_change".
  std::string event_type;

  // message_state_change
  std::string message_request_id;
  /// The external_id given with the request, "" when none.
  std::string external_message_request_id;
  std::string message_id;
  std::string previous_state;
  std::string new_state;
  std::string reason_code;
  std::string reason_description;

  // mo_message_received (message_id above is shared)
  std::string from_address;
  std::string to_address;
  std::string message_body;
};

/// Parses `body`. Accepts the standard envelope
/// {"topic", "attempt", "event": {"evt-tp", "fld-val-list": {...}}, "event-id"},
/// the {"topicID", "fields": {...}} form and a bare field object; for the last two
/// the type is inferred (new_state means a state change, message_body an inbound
/// message). Fields the type needs must be present: message_request_id and
/// new_state for a state change; message_id, from_address, to_address and
/// message_body for an inbound message. Strings and numbers are accepted for
/// field values. Fails with kInvalidArgument naming the field, e.g.
/// "event.fld-val-list.new_state: missing".
Result<SyniverseEvent> parse_syniverse_event(std::string_view body);

}  // namespace candor::webhooks
