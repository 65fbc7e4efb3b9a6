#pragma once

// The SMS status machine: which raw provider statuses mean what, and which moves
// between shown statuses are allowed.
//
// Callbacks may arrive twice or out of order, so the machine only moves forward:
// Queued -> Sent -> Delivered | Failed. Delivered, Failed, Received and Blocked
// are final. A raw status the machine does not know changes nothing; the caller
// still keeps it in the message's history.

#include <optional>
#include <string_view>

#include "core/domain/types.hpp"

namespace candor::domain {

/// Maps a provider's raw status to a shown status; nullopt for a value the
/// machine does not know (for example Twilio's "partially_delivered").
/// Twilio values are lower case ("delivered"), Syniverse values upper case
/// ("DELIVERED"); matching ignores case.
std::optional<Status> map_raw_status(ProviderKind provider, std::string_view raw);

/// True for Delivered, Failed, Received and Blocked.
bool is_final(Status status);

/// The status after `proposed` is applied to `current`: the proposal when it
/// moves forward, `current` otherwise. Received and Blocked are never reached
/// this way: a message is born with them or not at all.
Status next_status(Status current, Status proposed);

}  // namespace candor::domain
