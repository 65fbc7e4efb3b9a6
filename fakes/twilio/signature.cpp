#include "fakes/twilio/signature.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

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

/// HMAC-SHA1 with a MAC context kept per thread and re-keyed only when the token
/// changes: the fake signs every callback with one token, and OpenSSL 3's
/// one-shot HMAC() looks its algorithms up again on each call.
std::string hmac_sha1(std::string_view key, std::string_view data) {
  struct KeyedMac {
    std::string key;
    EVP_MAC_CTX* context = nullptr;
    ~KeyedMac() { EVP_MAC_CTX_free(context); }
  };
  thread_local KeyedMac keyed;
  static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  auto const* const bytes = reinterpret_cast<unsigned char const*>(key.data());

  bool ready = false;
  if (keyed.context != nullptr && keyed.key == key) {
    // Without a key the context starts over with the one it has.
    ready = EVP_MAC_init(keyed.context, nullptr, 0, nullptr) == 1;
  } else if (hmac != nullptr) {
    EVP_MAC_CTX_free(keyed.context);
    keyed.context = EVP_MAC_CTX_new(hmac);
    keyed.key.assign(key);
    char digest_name[] = "SHA1";
    OSSL_PARAM const params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end()};
    ready = keyed.context != nullptr && EVP_MAC_init(keyed.context, bytes, key.size(), params) == 1;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  if (!ready ||
      EVP_MAC_update(keyed.context, reinterpret_cast<unsigned char const*>(data.data()),
                     data.size()) != 1 ||
      EVP_MAC_final(keyed.context, digest, &length, sizeof(digest)) != 1) {
    EVP_MAC_CTX_free(std::exchange(keyed.context, nullptr));
    return {};  // no signature: the receiver refuses the callback, as it should
  }
  return std::string(reinterpret_cast<char const*>(digest), length);
}

}  // namespace

std::string signing_string(std::string_view url, http::Fields const& params) {
  // Names in byte order, each distinct value of a name once, values in byte order.
  std::vector<std::pair<std::string_view, std::string_view>> sorted;
  sorted.reserve(params.size());
  for (auto const& [name, value] : params) {
    sorted.emplace_back(name, value);
  }
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  std::string out(url);
  for (auto const& [name, value] : sorted) {
    out += name;
    out += value;
  }
  return out;
}

std::string sign_request(std::string_view auth_token, std::string_view url,
                         http::Fields const& params) {
  return http::base64_encode(hmac_sha1(auth_token, signing_string(url, params)));
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
