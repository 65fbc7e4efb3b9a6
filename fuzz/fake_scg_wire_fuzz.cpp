// Fuzzes the fake Syniverse's request validation (fakes/syniverse/scg_wire.hpp):
// the JSON bodies the Syniverse provider under test posts. Anything invalid must
// come back as an SCG error with a 4xx status and a JSON body.
//
// Input layout: byte 0 selects limits (known channels or any), the rest is the body.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "fakes/syniverse/scg_wire.hpp"
#include "fuzz/fuzz_support.hpp"

namespace scg = candor::fakes::syniverse;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);
  auto const selector = input.take_byte();
  auto const body = input.rest();

  scg::SendLimits limits;
  if ((selector & 1) != 0) {
    limits.channels = {"fuzz-channel"};
    limits.sender_ids = {"fuzz-sender"};
    limits.max_recipients = 3;
    limits.max_body_length = 40;
  }

  auto const parsed = scg::parse_send_request(body, limits);
  if (auto const* error = std::get_if<scg::ScgError>(&parsed)) {
    CANDOR_FUZZ_EXPECT(error->http_status >= 400 && error->http_status < 500, "errors are 4xx");
    CANDOR_FUZZ_EXPECT(error->code.starts_with("SCG_ERROR_"), "codes are SCG_ERROR_n");
    auto const json = nlohmann::json::parse(error->body(), nullptr, false);
    CANDOR_FUZZ_EXPECT(!json.is_discarded() && json.is_object(), "the error body is JSON");
    return 0;
  }

  auto const& request = std::get<scg::SendRequest>(parsed);
  CANDOR_FUZZ_EXPECT(!request.to.empty() && request.to.size() <= limits.max_recipients,
                     "accepted sends have between 1 and max_recipients recipients");
  for (auto const& to : request.to) {
    CANDOR_FUZZ_EXPECT(scg::is_e164(to), "accepted recipients are E.164");
  }
  CANDOR_FUZZ_EXPECT(request.body.size() <= limits.max_body_length, "bodies fit the limit");
  scg::is_e164(body);
  return 0;
}
