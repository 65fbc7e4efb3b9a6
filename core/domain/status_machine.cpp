#include "core/domain/status_machine.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace candor::domain {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

using Mapping = std::pair<std::string_view, Status>;

// Twilio message_enum_status. accepted, scheduled, queued and sending all mean the
// provider holds the message: for a recruiter that is Sent. read follows delivered.
constexpr std::array<Mapping, 12> kTwilioStatuses{{
    {"accepted", Status::kSent},
    {"scheduled", Status::kSent},
    {"queued", Status::kSent},
    {"sending", Status::kSent},
    {"sent", Status::kSent},
    {"delivered", Status::kDelivered},
    {"read", Status::kDelivered},
    {"undelivered", Status::kFailed},
    {"failed", Status::kFailed},
    {"canceled", Status::kFailed},
    {"receiving", Status::kReceived},
    {"received", Status::kReceived},
}};

// Syniverse SCG message states, including those seen in real events but missing
// from the published definition (QUEUED, BAD_REQUEST, CLICKTHRU, CLICKED).
constexpr std::array<Mapping, 16> kSyniverseStatuses{{
    {"created", Status::kSent},
    {"queued", Status::kSent},
    {"scheduled", Status::kSent},
    {"paused", Status::kSent},
    {"sent", Status::kSent},
    {"delivered", Status::kDelivered},
    {"read", Status::kDelivered},
    {"converted", Status::kDelivered},
    {"clickthru", Status::kDelivered},
    {"clicked", Status::kDelivered},
    {"failed", Status::kFailed},
    {"expired", Status::kFailed},
    {"rejected", Status::kFailed},
    {"bad_request", Status::kFailed},
    {"deleted", Status::kFailed},
    {"received", Status::kReceived},
}};

template <std::size_t N>
std::optional<Status> look_up(std::array<Mapping, N> const& table, std::string_view raw) {
  auto const key = lower(raw);
  for (auto const& [name, status] : table) {
    if (name == key) {
      return status;
    }
  }
  return std::nullopt;
}

int rank(Status status) {
  switch (status) {
    case Status::kQueued:
      return 0;
    case Status::kSent:
      return 1;
    default:
      return 2;
  }
}

}  // namespace

std::optional<Status> map_raw_status(ProviderKind provider, std::string_view raw) {
  switch (provider) {
    case ProviderKind::kTwilio:
      return look_up(kTwilioStatuses, raw);
    case ProviderKind::kSyniverse:
      return look_up(kSyniverseStatuses, raw);
    case ProviderKind::kSmtp:
    case ProviderKind::kGeneric: {
      // These report only the outcome of the send itself.
      auto const key = lower(raw);
      if (key == "sent") {
        return Status::kSent;
      }
      if (key == "failed") {
        return Status::kFailed;
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

bool is_final(Status status) {
  return rank(status) == 2;
}

Status next_status(Status current, Status proposed) {
  // Received and Blocked are where inbound and blocked messages start; no report
  // about a message that went out can turn it into either.
  if (is_final(current) || proposed == Status::kReceived || proposed == Status::kBlocked) {
    return current;
  }
  return rank(proposed) > rank(current) ? proposed : current;
}

}  // namespace candor::domain
