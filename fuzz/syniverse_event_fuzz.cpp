// Fuzzes the Syniverse event parser (core/webhooks/syniverse_event.hpp) with raw
// request bodies: anything may arrive on the events endpoint.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/webhooks/syniverse_event.hpp"
#include "fuzz/fuzz_support.hpp"

namespace webhooks = candor::webhooks;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const body(reinterpret_cast<char const*>(data), size);
  auto const event = webhooks::parse_syniverse_event(body);
  if (!event) {
    CANDOR_FUZZ_EXPECT(event.error().code == candor::Errc::kInvalidArgument,
                       "bad events are kInvalidArgument");
    CANDOR_FUZZ_EXPECT(!event.error().message.empty(), "a refused event says why");
    return 0;
  }

  // Parsing is a pure function of the body.
  auto const again = webhooks::parse_syniverse_event(body);
  CANDOR_FUZZ_EXPECT(again && again->event_type == event->event_type &&
                         again->message_id == event->message_id &&
                         again->new_state == event->new_state,
                     "the same body parses the same way twice");
  return 0;
}
