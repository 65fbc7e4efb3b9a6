#include "core/webhooks/twilio_signature.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include "core/webhooks/form_params.hpp"

namespace candor::webhooks {
namespace {

std::string base64(unsigned char const* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  auto const written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

/// A URL split where the port sits: everything before the port, the port digits
/// (empty when absent) and everything after the authority.
struct UrlParts {
  std::string scheme;
  std::string before_port;
  std::string port;
  std::string rest;
};

std::optional<UrlParts> split_url(std::string_view url) {
  auto const scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::nullopt;
  }
  auto const authority_begin = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_begin);
  if (authority_end == std::string_view::npos) {
    authority_end = url.size();
  }
  auto const authority = url.substr(authority_begin, authority_end - authority_begin);

  // The port follows the last ':' after the user information and after an IPv6
  // literal's closing bracket; "user:pass@host" has no port.
  auto const at = authority.rfind('@');
  auto const host_begin = at == std::string_view::npos ? 0 : at + 1;
  auto const bracket = authority.rfind(']');
  auto const search_from =
      bracket == std::string_view::npos || bracket < host_begin ? host_begin : bracket;
  auto const colon = authority.find(':', search_from);

  UrlParts parts;
  parts.scheme = std::string(url.substr(0, scheme_end));
  std::transform(parts.scheme.begin(), parts.scheme.end(), parts.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  parts.rest = std::string(url.substr(authority_end));
  if (colon == std::string_view::npos) {
    parts.before_port = std::string(url.substr(0, authority_end));
    return parts;
  }
  parts.before_port = std::string(url.substr(0, authority_begin + colon));
  parts.port = std::string(authority.substr(colon + 1));
  return parts;
}

std::string with_port(UrlParts const& parts) {
  if (!parts.port.empty()) {
    return parts.before_port + ":" + parts.port + parts.rest;
  }
  if (parts.scheme == "https") {
    return parts.before_port + ":443" + parts.rest;
  }
  if (parts.scheme == "http") {
    return parts.before_port + ":80" + parts.rest;
  }
  return parts.before_port + parts.rest;
}

std::string encode_apostrophes(std::string_view url) {
  std::string out;
  out.reserve(url.size());
  for (char c : url) {
    if (c == '\'') {
      out += "%27";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> query_param(std::string_view url, std::string_view name) {
  auto const question = url.find('?');
  if (question == std::string_view::npos) {
    return std::nullopt;
  }
  auto query = url.substr(question + 1);
  query = query.substr(0, query.find('#'));
  auto params = parse_form(query);
  if (!params) {
    return std::nullopt;
  }
  return find_param(*params, name);
}

/// The parameters as Twilio appends them to the URL: sorted by name (byte
/// order), each distinct value of a name once, in sorted order, each name
/// followed by its value.
std::string signed_params(FormParams const& params) {
  std::vector<std::pair<std::string_view, std::string_view>> sorted(params.begin(), params.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out;
  for (auto const& [name, value] : sorted) {
    out.append(name);
    out.append(value);
  }
  return out;
}

/// HMAC-SHA1 through a MAC fetched once: OpenSSL 3's one-shot HMAC() looks the
/// algorithms up in its provider store on every call, which costs more than
/// the hash of a callback itself.
std::string hmac_sha1_base64(std::string_view key, std::string_view data) {
  static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  static OSSL_PARAM const kSha1[] = {
      OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA1"), 0), OSSL_PARAM_END};
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  std::size_t digest_size = 0;
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> context(
      kHmac != nullptr ? EVP_MAC_CTX_new(kHmac) : nullptr, &EVP_MAC_CTX_free);
  bool const ok = context != nullptr &&
                  EVP_MAC_init(context.get(), reinterpret_cast<unsigned char const*>(key.data()),
                               key.size(), kSha1) == 1 &&
                  EVP_MAC_update(context.get(), reinterpret_cast<unsigned char const*>(data.data()),
                                 data.size()) == 1 &&
                  EVP_MAC_final(context.get(), digest.data(), &digest_size, digest.size()) == 1;
  // Without a MAC no signature can match: an empty one is refused by every check.
  return ok ? base64(digest.data(), digest_size) : std::string();
}

}  // namespace

std::string twilio_signed_string(std::string_view url, FormParams const& params) {
  return std::string(url) + signed_params(params);
}

std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             FormParams const& params) {
  return hmac_sha1_base64(auth_token, twilio_signed_string(url, params));
}

std::vector<std::string> twilio_url_variants(std::string_view url) {
  std::vector<std::string> variants;
  auto add = [&variants](std::string candidate) {
    if (std::find(variants.begin(), variants.end(), candidate) == variants.end()) {
      variants.push_back(std::move(candidate));
    }
  };

  // Limitation: of the query re-encodings some Twilio signers apply, only '
  // -> %27 is tried — the others (@, :, ?) are open bugs in Twilio's own
  // validators and do not occur in the URLs candor configures.
  for (auto const& form : {std::string(url), encode_apostrophes(url)}) {
    // The URL exactly as given comes first, even when its port is odd (an empty
    // "host:/path" port is rebuilt differently by both port rules).
    add(form);
    auto parts = split_url(form);
    if (!parts) {
      continue;
    }
    add(parts->before_port + parts->rest);
    add(with_port(*parts));
  }
  return variants;
}

bool validate_twilio_signature(std::string_view auth_token, std::string_view url,
                               FormParams const& params, std::string_view signature) {
  if (auth_token.empty() || signature.empty()) {
    return false;
  }
  // Stopping at the first match tells a caller only which URL form matched, and
  // a caller whose signature matches is let in anyway.
  auto const suffix = signed_params(params);
  auto matches = [&](std::string_view variant) {
    return equal_constant_time(hmac_sha1_base64(auth_token, std::string(variant) + suffix),
                               signature);
  };
  // The URL as configured comes first among the variants and is what a genuine
  // callback is nearly always signed over; the others are built only when needed.
  if (matches(url)) {
    return true;
  }
  auto const variants = twilio_url_variants(url);
  return std::any_of(variants.begin() + 1, variants.end(), matches);
}

bool validate_twilio_signature_with_body(std::string_view auth_token, std::string_view url,
                                         std::string_view body, std::string_view signature) {
  auto const expected_hash = query_param(url, "bodySHA256");
  if (!expected_hash || !equal_constant_time(*expected_hash, sha256_hex(body))) {
    return false;
  }
  return validate_twilio_signature(auth_token, url, {}, signature);
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<unsigned char const*>(data.data()), data.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0f]);
  }
  return out;
}

}  // namespace candor::webhooks
