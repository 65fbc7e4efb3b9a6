#include "core/domain/template.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace candor::domain {
namespace {

bool is_candidate_token(std::string_view name) {
  return std::find(std::begin(kCandidateTokens), std::end(kCandidateTokens), name) !=
         std::end(kCandidateTokens);
}

bool is_token_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_';
  });
}

std::string candidate_value(Candidate const& candidate, std::string_view token) {
  if (token == "FirstName")
    return candidate.first_name;
  if (token == "LastName")
    return candidate.last_name;
  if (token == "FullName") {
    if (candidate.first_name.empty() || candidate.last_name.empty()) {
      return candidate.first_name + candidate.last_name;
    }
    return candidate.first_name + " " + candidate.last_name;
  }
  if (token == "CandidateNumber")
    return candidate.candidate_number;
  if (token == "Email")
    return candidate.email;
  if (token == "Phone")
    return candidate.phone;
  return {};
}

}  // namespace

Result<MessageTemplate> MessageTemplate::parse(
    std::string_view text, std::map<std::string, std::string> const& extra_values) {
  MessageTemplate parsed;
  parsed.extra_values_ = extra_values;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto const open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      parsed.pieces_.push_back({false, std::string(text.substr(pos))});
      break;
    }
    if (open > pos) {
      parsed.pieces_.push_back({false, std::string(text.substr(pos, open - pos))});
    }
    auto const close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("template offset {}: '{{{{' is never closed by '}}}}'", open));
    }
    auto const name = text.substr(open + 2, close - open - 2);
    if (!is_token_name(name)) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("template offset {}: '{{{{{}}}}}' is not a token name "
                                    "(letters, digits and '_')",
                                    open, name));
    }
    if (!is_candidate_token(name) && !extra_values.contains(std::string(name))) {
      return make_error(
          Errc::kInvalidArgument,
          fmt::format("template offset {}: unknown token '{{{{{}}}}}'; known tokens are "
                      "FirstName, LastName, FullName, CandidateNumber, Email, Phone{}",
                      open, name, extra_values.empty() ? "" : " and the request's variables"));
    }
    parsed.pieces_.push_back({true, std::string(name)});
    pos = close + 2;
  }
  return parsed;
}

Result<std::string> MessageTemplate::render(Candidate const& candidate) const {
  std::string out;
  for (auto const& piece : pieces_) {
    if (!piece.is_token) {
      out += piece.text;
      continue;
    }
    auto const extra = extra_values_.find(piece.text);
    auto value =
        extra != extra_values_.end() ? extra->second : candidate_value(candidate, piece.text);
    if (value.empty()) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("token '{{{{{}}}}}' has no value for candidate {}", piece.text,
                                    candidate.candidate_number));
    }
    out += value;
  }
  return out;
}

std::vector<std::string> MessageTemplate::tokens() const {
  std::vector<std::string> names;
  for (auto const& piece : pieces_) {
    if (piece.is_token && std::find(names.begin(), names.end(), piece.text) == names.end()) {
      names.push_back(piece.text);
    }
  }
  return names;
}

}  // namespace candor::domain
