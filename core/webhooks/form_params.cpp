#include "core/webhooks/form_params.hpp"

#include <fmt/format.h>

namespace candor::webhooks {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::optional<std::string> form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char const c = text[i];
    if (c == '+') {
      out.push_back(' ');
      continue;
    }
    if (c != '%') {
      out.push_back(c);
      continue;
    }

    if (i + 2 >= text.size()) {
      return std::nullopt;
    }
    int const high = hex_value(text[i + 1]);
    int const low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

Result<FormParams> parse_form(std::string_view text) {
  FormParams params;
  std::size_t piece_number = 0;
  while (!text.empty()) {
    auto const amp = text.find('&');
    auto const piece = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    ++piece_number;
    if (piece.empty()) {
      continue;
    }

    auto const eq = piece.find('=');
    auto name = form_decode(piece.substr(0, eq));
    auto value =
        form_decode(eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1));
    if (!name || !value) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("form field {}: bad percent escape", piece_number));
    }
    if (name->empty()) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("form field {}: empty name", piece_number));
    }
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

std::optional<std::string> find_param(FormParams const& params, std::string_view name) {
  for (auto const& [key, value] : params) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace candor::webhooks
