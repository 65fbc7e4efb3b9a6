#include "core/domain/types.hpp"

#include <array>
#include <utility>

namespace candor::domain {
namespace {

template <class E, std::size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

constexpr NameTable<Channel, 2> kChannelNames{{{Channel::kEmail, "email"}, {Channel::kSms, "sms"}}};

constexpr NameTable<Direction, 2> kDirectionNames{
    {{Direction::kOutbound, "outbound"}, {Direction::kInbound, "inbound"}}};

constexpr NameTable<ContextKind, 4> kContextNames{{{ContextKind::kProfile, "profile"},
                                                   {ContextKind::kRequisition, "requisition"},
                                                   {ContextKind::kPool, "pool"},
                                                   {ContextKind::kSearch, "search"}}};

constexpr NameTable<Status, 6> kStatusNames{{{Status::kQueued, "queued"},
                                             {Status::kSent, "sent"},
                                             {Status::kDelivered, "delivered"},
                                             {Status::kFailed, "failed"},
                                             {Status::kReceived, "received"},
                                             {Status::kBlocked, "blocked"}}};

constexpr NameTable<BlockReason, 9> kBlockReasonNames{
    {{BlockReason::kNone, "none"},
     {BlockReason::kInvalidNumber, "invalid_number"},
     {BlockReason::kOptedOut, "opted_out"},
     {BlockReason::kCountryNotAllowed, "country_not_allowed"},
     {BlockReason::kNumberBlocked, "number_blocked"},
     {BlockReason::kPatternBlocked, "pattern_blocked"},
     {BlockReason::kCandidateDailyLimit, "candidate_daily_limit"},
     {BlockReason::kApplicationDailyLimit, "application_daily_limit"},
     {BlockReason::kInvalidEmail, "invalid_email"}}};

constexpr NameTable<ProviderKind, 4> kProviderKindNames{{{ProviderKind::kTwilio, "twilio"},
                                                         {ProviderKind::kSyniverse, "syniverse"},
                                                         {ProviderKind::kSmtp, "smtp"},
                                                         {ProviderKind::kGeneric, "generic"}}};

template <class E, std::size_t N>
std::string_view name_of(NameTable<E, N> const& table, E value) {
  for (auto const& [candidate, name] : table) {
    if (candidate == value) {
      return name;
    }
  }
  return "unknown";
}

template <class E, std::size_t N>
std::optional<E> value_of(NameTable<E, N> const& table, std::string_view name) {
  for (auto const& [value, candidate] : table) {
    if (candidate == name) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Channel value) {
  return name_of(kChannelNames, value);
}
std::string_view to_string(Direction value) {
  return name_of(kDirectionNames, value);
}
std::string_view to_string(ContextKind value) {
  return name_of(kContextNames, value);
}
std::string_view to_string(Status value) {
  return name_of(kStatusNames, value);
}
std::string_view to_string(BlockReason value) {
  return name_of(kBlockReasonNames, value);
}

std::string_view to_string(ProviderKind value) {
  return name_of(kProviderKindNames, value);
}

std::optional<Channel> parse_channel(std::string_view name) {
  return value_of(kChannelNames, name);
}
std::optional<Direction> parse_direction(std::string_view name) {
  return value_of(kDirectionNames, name);
}
std::optional<ContextKind> parse_context_kind(std::string_view name) {
  return value_of(kContextNames, name);
}
std::optional<Status> parse_status(std::string_view name) {
  return value_of(kStatusNames, name);
}
std::optional<BlockReason> parse_block_reason(std::string_view name) {
  return value_of(kBlockReasonNames, name);
}
std::optional<ProviderKind> parse_provider_kind(std::string_view name) {
  return value_of(kProviderKindNames, name);
}

}  // namespace candor::domain
