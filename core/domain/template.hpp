#pragma once

// Message templates: "Hello {{FirstName}}, about {{RequisitionTitle}}".
//
// A token is {{Name}}: case-sensitive letters and digits. A template is parsed
// once, then rendered per candidate; an unknown token, an unclosed token or a
// token without a value is an error, never sent verbatim.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"
#include "core/domain/types.hpp"

namespace candor::domain {

/// The tokens every candidate provides.
inline constexpr std::string_view kCandidateTokens[] = {"FirstName",       "LastName", "FullName",
                                                        "CandidateNumber", "Email",    "Phone"};

/// A parsed template: literal text and token names, in order.
class MessageTemplate {
 public:
  /// Parses `text`. `extra_tokens` are the names the request supplies values for
  /// (for example "RequisitionTitle"); anything else but the candidate tokens is
  /// refused, naming the token and its offset.
  static Result<MessageTemplate> parse(std::string_view text,
                                       std::map<std::string, std::string> const& extra_values = {});

  /// Renders for one candidate. Fails, naming the token and the candidate
  /// number, when a token used in the text has no value for this candidate.
  Result<std::string> render(Candidate const& candidate) const;

  /// The distinct token names used, in order of first use.
  std::vector<std::string> tokens() const;

 private:
  struct Piece {
    bool is_token = false;
    std::string text;  ///< literal text, or the token's name
  };

  std::vector<Piece> pieces_;
  std::map<std::string, std::string> extra_values_;
};

}  // namespace candor::domain
