// Fuzzes the fake Twilio's reading of request dates (fakes/twilio/request_date.hpp):
// the DateSent filters of the list operation and a scheduled message's SendAt,
// which any client may send. A date read must be one that exists; a whole day is
// its midnight; what ISO 8601 reads, the filter reader reads the same.
//
// Input layout: the text.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "fakes/twilio/request_date.hpp"
#include "fuzz/fuzz_support.hpp"

namespace twilio = candor::fakes::twilio;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);
  auto const text = input.rest();

  auto const iso = twilio::parse_iso8601_date(text);
  auto const any = twilio::parse_request_date(text);
  if (iso) {
    CANDOR_FUZZ_EXPECT(any.has_value(), "the filter reader reads every ISO 8601 date");
    CANDOR_FUZZ_EXPECT(any->at == iso->at && any->whole_day == iso->whole_day,
                       "both readers agree on an ISO 8601 date");
  }
  if (any && any->whole_day) {
    auto const day = std::chrono::floor<std::chrono::days>(any->at);
    CANDOR_FUZZ_EXPECT(any->at == day, "a whole day is read as its midnight");
  }
  return 0;
}
