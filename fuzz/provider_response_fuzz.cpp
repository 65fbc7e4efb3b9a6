// Fuzzes how the providers read their vendors' answers (map_twilio_result,
// map_syniverse_result, map_generic_result and the helpers in
// core/providers/provider_support.hpp): status codes, headers and bodies come from
// the network, so any of them may be wrong.
//
// Input layout: two bytes of HTTP status, byte 2 picks the provider and whether a
// response arrived at all, line 1 is a Retry-After value, the rest is the body.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/providers/generic_provider.hpp"
#include "core/providers/http_client.hpp"
#include "core/providers/provider_support.hpp"
#include "core/providers/syniverse_provider.hpp"
#include "core/providers/twilio_provider.hpp"
#include "fuzz/fuzz_support.hpp"

namespace providers = candor::providers;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);
  int const status = input.take_u16() % 1000;
  auto const selector = input.take_byte();
  auto const retry_after = input.take_line();
  auto const body = input.rest();

  providers::HttpResult result;
  result.attempts = 1;
  if ((selector & 0x08) != 0) {
    result.failure = static_cast<providers::HttpFailure>((selector >> 4) % 6);
    result.error_message = std::string(retry_after);
  } else {
    providers::HttpResponse response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "application/json");
    response.headers.emplace_back("Retry-After", std::string(retry_after));
    response.body = std::string(body);
    result.response = std::move(response);
  }

  providers::SendOutcome outcome;
  switch (selector % 4) {
    case 0:
      outcome = providers::map_twilio_result(result);
      break;
    case 1:
      outcome = providers::map_syniverse_result(result);
      break;
    case 2:
      outcome = providers::map_generic_result(result, std::string(retry_after));
      break;
    default:
      outcome = result.response ? providers::outcome_from_status(status)
                                : providers::outcome_without_response(result);
      providers::is_sid(body, retry_after);
      break;
  }

  bool const accepted = outcome.kind == providers::OutcomeKind::kAccepted;
  CANDOR_FUZZ_EXPECT(!accepted || (status >= 200 && status < 300 && result.response),
                     "only a 2xx response is accepted");
  CANDOR_FUZZ_EXPECT(accepted || outcome.provider_message_id.empty(),
                     "only accepted sends carry a provider id");
  return 0;
}
