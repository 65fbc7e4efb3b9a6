#include "fakes/http/codec.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace candor::fakes::http {

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

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char const c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
      continue;
    }
    if (c != '%') {
      out.push_back(c);
      continue;
    }

    int const hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    int const lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return make_error(Errc::kInvalidArgument, fmt::format("bad percent-escape at offset {}", i));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string valid_utf8(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto const lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out.push_back(text[i++]);
      continue;
    }

    // Continuation bytes allowed after `lead` (RFC 3629 section 4): the second byte's
    // range is narrower for E0, ED, F0 and F4, which rules out overlong forms,
    // surrogates and code points past U+10FFFF.
    std::size_t need = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      need = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      need = 2;
      low = lead == 0xE0 ? 0xA0 : 0x80;
      high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      need = 3;
      low = lead == 0xF0 ? 0x90 : 0x80;
      high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
      out += kReplacement;
      ++i;
      continue;
    }

    std::size_t taken = 1;
    while (taken <= need && i + taken < text.size()) {
      auto const next = static_cast<unsigned char>(text[i + taken]);
      if (next < low || next > high) {
        break;
      }
      low = 0x80;
      high = 0xBF;
      ++taken;
    }
    if (taken == need + 1) {
      out.append(text.substr(i, taken));
    } else {
      out += kReplacement;
    }
    i += taken;
  }
  return out;
}

std::string percent_encode(std::string_view text, bool space_as_plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char const c : text) {
    auto const u = static_cast<unsigned char>(c);
    if (is_unreserved(u)) {
      out.push_back(c);
    } else if (c == ' ' && space_as_plus) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0F]);
    }
  }
  return out;
}

Result<Fields> parse_form(std::string_view text) {
  Fields fields;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('&', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    auto const pair = text.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) {
      continue;
    }

    auto const eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name || !value) {
      auto const& error = !name ? name.error() : value.error();
      return make_error(Errc::kInvalidArgument,
                        fmt::format("form pair '{}': {}", pair, error.message));
    }
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return fields;
}

std::string encode_form(Fields const& fields) {
  std::string out;
  for (auto const& [name, value] : fields) {
    if (!out.empty()) {
      out.push_back('&');
    }
    out += percent_encode(name, true);
    out.push_back('=');
    out += percent_encode(value, true);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  auto const written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                       reinterpret_cast<unsigned char const*>(bytes.data()),
                                       static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out(3 * (text.size() / 4), '\0');
  auto const written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                       reinterpret_cast<unsigned char const*>(text.data()),
                                       static_cast<int>(text.size()));
  if (written < 0) {
    return std::nullopt;
  }

  // EVP_DecodeBlock counts padding as zero bytes; drop one per '='.
  auto size = static_cast<std::size_t>(written);
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && size > 0; ++it) {
    --size;
  }
  out.resize(size);
  return out;
}

std::optional<BasicCredentials> parse_basic_auth(std::string_view header_value) {
  constexpr std::string_view kScheme = "basic ";
  if (header_value.size() < kScheme.size() ||
      lower(header_value.substr(0, kScheme.size())) != kScheme) {
    return std::nullopt;
  }
  auto encoded = header_value.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') {
    encoded.remove_prefix(1);
  }

  auto decoded = base64_decode(encoded);
  if (!decoded) {
    return std::nullopt;
  }
  auto const colon = decoded->find(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::string basic_auth_header(std::string_view user, std::string_view password) {
  return "Basic " + base64_encode(fmt::format("{}:{}", user, password));
}

Result<Url> parse_url(std::string_view url) {
  auto const scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return make_error(Errc::kInvalidArgument, fmt::format("url '{}': no scheme", url));
  }
  Url out;
  out.scheme = lower(url.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https") {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("url '{}': scheme must be http or https", url));
  }

  auto rest = url.substr(scheme_end + 3);
  auto const fragment = rest.find('#');
  if (fragment != std::string_view::npos) {
    return make_error(Errc::kInvalidArgument, fmt::format("url '{}': fragments unsupported", url));
  }
  auto const path_start = rest.find_first_of("/?");
  auto authority = rest.substr(0, path_start);
  out.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (out.target.front() == '?') {
    out.target.insert(out.target.begin(), '/');
  }
  if (authority.find('@') != std::string_view::npos) {
    return make_error(Errc::kInvalidArgument, fmt::format("url '{}': userinfo unsupported", url));
  }

  out.port = out.scheme == "https" ? 443 : 80;
  auto const colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    auto const digits = authority.substr(colon + 1);
    unsigned port = 0;
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
      return make_error(Errc::kInvalidArgument, fmt::format("url '{}': bad port", url));
    }
    out.port = static_cast<std::uint16_t>(port);
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) {
    return make_error(Errc::kInvalidArgument, fmt::format("url '{}': no host", url));
  }
  out.host = std::string(authority);
  return out;
}

}  // namespace candor::fakes::http
