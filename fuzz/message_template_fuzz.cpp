// Fuzzes message templates (core/domain/template.hpp): recruiters type them, so
// every malformed token must be refused with its offset, and a template that parses
// must render for a candidate that has every value.
//
// Input layout: line 1 is the name of one extra request variable, the rest is the
// template text.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/domain/template.hpp"
#include "core/domain/types.hpp"
#include "fuzz/fuzz_support.hpp"

namespace domain = candor::domain;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);
  auto const extra_name = input.take_line();
  auto const text = input.rest();

  std::map<std::string, std::string> extra;
  if (!extra_name.empty()) {
    extra.emplace(std::string(extra_name), "value");
  }
  auto const parsed = domain::MessageTemplate::parse(text, extra);
  if (!parsed) {
    CANDOR_FUZZ_EXPECT(parsed.error().message.starts_with("template offset "),
                       "a refused template names the offset");
    return 0;
  }

  domain::Candidate full;
  full.candidate_number = "CAND-000001";
  full.first_name = "Ada";
  full.last_name = "Lovelace";
  full.email = "ada@example.test";
  full.phone = "+14155550100";
  auto const rendered = parsed->render(full);
  CANDOR_FUZZ_EXPECT(rendered.ok(), "a parsed template renders when every value is there");

  bool const has_tokens = !parsed->tokens().empty();
  CANDOR_FUZZ_EXPECT(has_tokens || *rendered == text, "text without tokens renders verbatim");

  domain::Candidate empty;
  auto const partial = parsed->render(empty);
  CANDOR_FUZZ_EXPECT(partial.ok() || !partial.error().message.empty(), "a failed render says why");

  // The domain's enum readers take the same untrusted text.
  domain::parse_channel(text);
  domain::parse_status(text);
  domain::parse_block_reason(text);
  domain::parse_provider_kind(text);
  domain::parse_context_kind(text);
  domain::parse_direction(text);
  return 0;
}
