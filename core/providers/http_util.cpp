#include "core/providers/http_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace candor::providers {
namespace {

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

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

Error url_error(std::string_view text, std::string_view why) {
  return make_error(Errc::kInvalidArgument, fmt::format("URL '{}': {}", text, why));
}

}  // namespace

std::string Url::origin() const {
  return fmt::format("{}://{}:{}", scheme, host, port);
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  auto const scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return url_error(text, "must start with http:// or https://");
  }
  url.scheme = std::string(text.substr(0, scheme_end));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (url.scheme != "http" && url.scheme != "https") {
    return url_error(text, "scheme must be http or https");
  }

  auto rest = text.substr(scheme_end + 3);
  auto const authority_end = rest.find_first_of("/?#");
  auto const authority = rest.substr(0, authority_end);
  auto const tail =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return url_error(text, "credentials in the URL are not supported; configure them separately");
  }
  if (authority.find('[') != std::string_view::npos) {
    return url_error(text, "IPv6 literals are not supported");
  }
  if (tail.find('#') != std::string_view::npos) {
    return url_error(text, "fragments are not allowed");
  }

  auto const colon = authority.find(':');
  url.host = std::string(authority.substr(0, colon));
  if (url.host.empty()) {
    return url_error(text, "host is missing");
  }
  url.port = url.tls() ? 443 : 80;
  if (colon != std::string_view::npos) {
    auto const port_text = authority.substr(colon + 1);
    unsigned value = 0;
    auto const [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return url_error(text, "port must be a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }

  url.target = tail.empty() || tail.front() != '/' ? "/" + std::string(tail) : std::string(tail);
  return url;
}

std::string join_url(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') {
    base.remove_suffix(1);
  }
  while (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  return fmt::format("{}/{}", base, path);
}

std::string form_encode(FormFields const& fields) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (auto const& [name, value] : fields) {
    if (!out.empty()) {
      out += '&';
    }
    for (auto const* part : {&name, &value}) {
      for (unsigned char c : *part) {
        if (is_unreserved(c)) {
          out += static_cast<char>(c);
        } else if (c == ' ') {
          out += '+';
        } else {
          out += '%';
          out += kHex[c >> 4];
          out += kHex[c & 0x0F];
        }
      }
      if (part == &name) {
        out += '=';
      }
    }
  }
  return out;
}

std::string form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char const c = text[i];
    if (c == '+') {
      out += ' ';
      continue;
    }
    if (c == '%' && i + 2 < text.size()) {
      int const high = hex_value(text[i + 1]);
      int const low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += c;
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    auto const n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  auto const left = bytes.size() - i;
  if (left == 0) {
    return out;
  }
  unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
  if (left == 2) {
    n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
  }
  out += kAlphabet[(n >> 18) & 63];
  out += kAlphabet[(n >> 12) & 63];
  out += left == 2 ? kAlphabet[(n >> 6) & 63] : '=';
  out += '=';
  return out;
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  return "Basic " + base64_encode(fmt::format("{}:{}", user, password));
}

std::string json_escape(std::string_view text) {
  // dump() escapes exactly as JSON requires; only the surrounding quotes go. Invalid
  // UTF-8 becomes U+FFFD instead of an exception, so a bad body cannot crash a send.
  auto quoted = nlohmann::json(std::string(text))
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return quoted.substr(1, quoted.size() - 2);
}

}  // namespace candor::providers
