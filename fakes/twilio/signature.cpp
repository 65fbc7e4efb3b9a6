#include "fakes/twilio/signature.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fakes/http/codec.hpp"

namespace candor::fakes::twilio {

namespace {

/// The URL with an explicit port removed, or with the scheme's default port added when
/// it has none. Twilio signs with or without the port depending on its front end, so a
/// verifier tries both.
std::string toggle_port(std::string_view url) {
  auto const scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::string(url);
  }
  auto const authority_start = scheme_end + 3;
  auto const authority_end = std::min(url.find_first_of("/?#", authority_start), url.size());
  auto const authority = url.substr(authority_start, authority_end - authority_start);
  auto const host_start =
      authority.find('@') == std::string_view::npos ? 0 : authority.find('@') + 1;
  auto const colon = authority.find(':', host_start);

  std::string out(url.substr(0, authority_start));
  if (colon != std::string_view::npos) {
    out += authority.substr(0, colon);
  } else {
    auto const scheme = url.substr(0, scheme_end);
    out += authority;
    out += scheme == "https" ? ":443" : ":80";
  }
  out += url.substr(authority_end);
  return out;
}

}  // namespace

std::string signing_string(std::string_view url, http::Fields const& params) {
  std::map<std::string, std::set<std::string>> sorted;
  for (auto const& [name, value] : params) {
    sorted[name].insert(value);
  }

  std::string out(url);
  for (auto const& [name, values] : sorted) {
    for (auto const& value : values) {
      out += name;
      out += value;
    }
  }
  return out;
}

std::string sign_request(std::string_view auth_token, std::string_view url,
                         http::Fields const& params) {
  auto const data = signing_string(url, params);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<unsigned char const*>(data.data()), data.size(), digest, &length);
  return http::base64_encode(
      std::string_view(reinterpret_cast<char const*>(digest), static_cast<std::size_t>(length)));
}

bool verify_signature(std::string_view auth_token, std::string_view url, http::Fields const& params,
                      std::string_view signature) {
  if (signature.empty()) {
    return false;
  }
  for (auto const& candidate : {std::string(url), toggle_port(url)}) {
    auto const expected = sign_request(auth_token, candidate, params);
    if (expected.size() == signature.size() &&
        CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace candor::fakes::twilio
