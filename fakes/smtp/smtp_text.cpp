#include "fakes/smtp/smtp_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

#include <fmt/format.h>

namespace candor::fakes::smtp {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  auto const first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  auto const last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// A deliberately plain check: one '@', something on both sides, no spaces or brackets.
// The fake must refuse what a careless client could send, not validate RFC 5321 fully.
bool plausible_mailbox(std::string_view address) {
  auto const at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return false;
  }
  if (address.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return address.find_first_of(" \t<>,;") == std::string_view::npos;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

/// The octet of "=XX" at `text[at]`, if the two characters after '=' are hex digits.
std::optional<char> escaped_octet(std::string_view text, std::size_t at) {
  if (at + 2 >= text.size()) {
    return std::nullopt;
  }
  auto const high = hex_value(text[at + 1]);
  auto const low = hex_value(text[at + 2]);
  if (high < 0 || low < 0) {
    return std::nullopt;
  }
  return static_cast<char>(high * 16 + low);
}

/// The "Q" encoding of RFC 2047 4.2; nullopt when an "=" is not followed by hex.
std::optional<std::string> decode_q(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out.push_back(' ');
    } else if (text[i] == '=') {
      auto const octet = escaped_octet(text, i);
      if (!octet) {
        return std::nullopt;
      }
      out.push_back(*octet);
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

/// The encoded-word starting at `text[at]`: its decoded text and where it ends.
std::optional<std::pair<std::string, std::size_t>> encoded_word(std::string_view text,
                                                                std::size_t at) {
  if (text.substr(at, 2) != "=?") {
    return std::nullopt;
  }
  auto const charset_end = text.find('?', at + 2);
  if (charset_end == std::string_view::npos || charset_end == at + 2 ||
      charset_end + 2 >= text.size() || text[charset_end + 2] != '?') {
    return std::nullopt;
  }
  auto const encoding =
      static_cast<char>(std::toupper(static_cast<unsigned char>(text[charset_end + 1])));
  auto const payload_start = charset_end + 3;
  auto const payload_end = text.find("?=", payload_start);
  if (payload_end == std::string_view::npos) {
    return std::nullopt;
  }
  auto const charset = text.substr(at + 2, charset_end - at - 2);
  auto const payload = text.substr(payload_start, payload_end - payload_start);
  if (charset.find_first_of(" \t") != std::string_view::npos ||
      payload.find_first_of(" \t") != std::string_view::npos) {
    return std::nullopt;
  }
  std::optional<std::string> decoded;
  if (encoding == 'B') {
    decoded = base64_decode(payload);
  } else if (encoding == 'Q') {
    decoded = decode_q(payload);
  }
  if (!decoded) {
    return std::nullopt;
  }
  return std::make_pair(std::move(*decoded), payload_end + 2);
}

}  // namespace

Result<PathArgument> parse_path_argument(std::string_view argument, std::string_view keyword,
                                         bool allow_empty) {
  if (argument.size() <= keyword.size() || !iequals(argument.substr(0, keyword.size()), keyword) ||
      argument[keyword.size()] != ':') {
    return make_error(Errc::kInvalidArgument, fmt::format("expected '{}:<address>'", keyword));
  }
  auto rest = argument.substr(keyword.size() + 1);
  if (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }

  if (rest.empty() || rest.front() != '<') {
    return make_error(Errc::kInvalidArgument, "address must be enclosed in '<' and '>'");
  }
  auto const close = rest.find('>');
  if (close == std::string_view::npos) {
    return make_error(Errc::kInvalidArgument, "missing '>' after the address");
  }

  PathArgument parsed{.address = std::string(rest.substr(1, close - 1))};
  if (parsed.address.empty() && !allow_empty) {
    return make_error(Errc::kInvalidArgument, "empty address");
  }
  if (!parsed.address.empty() && !plausible_mailbox(parsed.address)) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("'{}' is not a mailbox (local@domain)", parsed.address));
  }

  auto params = rest.substr(close + 1);
  if (!params.empty() && params.front() != ' ') {
    return make_error(Errc::kInvalidArgument, "unexpected text after '>'");
  }
  while (!params.empty()) {
    params = trim(params);
    auto const end = std::min(params.find(' '), params.size());
    if (end > 0) {
      parsed.params.emplace_back(params.substr(0, end));
    }
    params.remove_prefix(end);
  }
  return parsed;
}

ParsedMessage parse_message(std::string_view raw) {
  ParsedMessage message;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    auto end = raw.find("\r\n", pos);
    auto const next = end == std::string_view::npos ? raw.size() : end + 2;
    end = end == std::string_view::npos ? raw.size() : end;
    auto const line = raw.substr(pos, end - pos);
    pos = next;

    // The first empty line ends the header section.
    if (line.empty()) {
      message.body = std::string(raw.substr(pos));
      return message;
    }

    // RFC 5322 unfolding: a continuation line belongs to the field above it.
    if ((line.front() == ' ' || line.front() == '\t') && !message.headers.empty()) {
      auto& value = message.headers.back().second;
      value = std::string(trim(value + " " + std::string(trim(line))));
      continue;
    }

    auto const colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      continue;
    }
    message.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                 std::string(trim(line.substr(colon + 1))));
  }
  return message;
}

std::optional<std::string> find_header(ParsedMessage const& message, std::string_view name) {
  for (auto const& [field, value] : message.headers) {
    if (iequals(field, name)) {
      return value;
    }
  }
  return std::nullopt;
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < data.size(); i += 3) {
    std::uint32_t chunk = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) {
      chunk |= static_cast<unsigned char>(data[i + 1]) << 8;
    }
    if (i + 2 < data.size()) {
      chunk |= static_cast<unsigned char>(data[i + 2]);
    }

    out += kBase64Alphabet[(chunk >> 18) & 0x3F];
    out += kBase64Alphabet[(chunk >> 12) & 0x3F];
    out += i + 1 < data.size() ? kBase64Alphabet[(chunk >> 6) & 0x3F] : '=';
    out += i + 2 < data.size() ? kBase64Alphabet[chunk & 0x3F] : '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }

  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char const c : text) {
    auto const index = kBase64Alphabet.find(c);
    if (index == std::string_view::npos) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(index);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  if (count >= 6) {
    return std::nullopt;  // one lone character cannot carry a whole byte
  }
  return out;
}

std::string decode_quoted_printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    bool const has_break = end != std::string_view::npos;
    auto const next = has_break ? end + 1 : text.size();
    end = has_break ? end : text.size();
    auto line = text.substr(pos, end - pos);
    pos = next;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }

    bool const soft_break = !line.empty() && line.back() == '=';
    if (soft_break) {
      line.remove_suffix(1);
    }
    for (std::size_t i = 0; i < line.size(); ++i) {
      auto const octet = line[i] == '=' ? escaped_octet(line, i) : std::nullopt;
      if (octet) {
        out.push_back(*octet);
        i += 2;
      } else {
        out.push_back(line[i]);
      }
    }
    if (has_break && !soft_break) {
      out += "\r\n";
    }
  }
  return out;
}

std::string decode_header_text(std::string_view text) {
  std::string out;
  std::string gap;
  bool after_word = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (auto word = encoded_word(text, pos)) {
      // RFC 2047 6.2: blanks between adjacent encoded-words are not displayed.
      if (!after_word) {
        out += gap;
      }
      gap.clear();
      out += word->first;
      pos = word->second;
      after_word = true;
      continue;
    }
    char const c = text[pos++];
    if (c == ' ' || c == '\t') {
      gap.push_back(c);
      continue;
    }
    out += gap;
    gap.clear();
    out.push_back(c);
    after_word = false;
  }
  return out + gap;
}

// Limitation: only the top-level Content-Transfer-Encoding is decoded; a multipart
// body is presented as sent, its parts undecoded — the core sends single-part
// text/plain, and the raw body is there for anything else.
std::string decode_body(ParsedMessage const& message) {
  auto const encoding =
      to_lower(trim(find_header(message, "Content-Transfer-Encoding").value_or("")));
  if (encoding == "quoted-printable") {
    return decode_quoted_printable(message.body);
  }
  if (encoding == "base64") {
    std::string compact;
    for (char const c : message.body) {
      if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
        compact.push_back(c);
      }
    }
    return base64_decode(compact).value_or(message.body);
  }
  return message.body;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace candor::fakes::smtp
