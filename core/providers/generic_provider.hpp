#pragma once

// GenericProvider: SMS through any HTTP endpoint described by configuration (a
// URL, headers, credentials and a JSON body template). It has no delivery
// callbacks, so an accepted message stays Sent.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/clock/clock.hpp"
#include "core/common/result.hpp"
#include "core/providers/http_client.hpp"
#include "core/providers/provider.hpp"

namespace candor::providers {

struct GenericSmsConfig {
  /// The configured provider name, stored on messages.
  std::string name = "generic";
  /// Absolute http or https URL of the send call.
  std::string url;
  /// "POST" or "PUT".
  std::string method = "POST";
  /// Extra request headers, sent as given. Values may be secret: never logged.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Basic credentials, sent when basic_user is not empty. The password is secret.
  std::string basic_user;
  std::string basic_password;
  /// The body; ${RECIPIENT_PHONE_NUMBER} and ${MESSAGE_BODY} are replaced by the
  /// JSON-escaped number and text (so they belong inside JSON string quotes).
  std::string body_template = R"({"to":"${RECIPIENT_PHONE_NUMBER}","body":"${MESSAGE_BODY}"})";
  std::string content_type = "application/json";
  /// Dotted path of the provider's id in a JSON reply ("id", "data.message_id");
  /// empty = no id is read.
  std::string id_field;
  /// Timeouts, limits and retries of the HTTP client.
  HttpClientOptions http{.provider = "generic"};

  /// Checks every field; the error names the field ("generic.url ...").
  Status validate() const;
};

/// The generic provider. Thread-safe; see Provider.
class GenericProvider final : public Provider {
 public:
  /// Validates `config` and builds the provider; `io` must be run by the caller.
  /// `io` and `clock` must outlive the provider.
  static Result<std::unique_ptr<GenericProvider>> create(GenericSmsConfig config,
                                                         boost::asio::io_context& io,
                                                         clock::Clock& clock);

  // Provider
  std::string const& name() const override { return config_.name; }
  domain::ProviderKind kind() const override { return domain::ProviderKind::kGeneric; }
  domain::Channel channel() const override { return domain::Channel::kSms; }
  bool has_delivery_callbacks() const override { return false; }
  void send(OutboundMessage message, SendCallback done) override;

  /// The request for `message`. Exposed for tests.
  HttpRequest build_request(OutboundMessage const& message) const;

  HttpClientStats stats() const { return client_.stats(); }

 private:
  GenericProvider(GenericSmsConfig config, boost::asio::io_context& io, clock::Clock& clock);

  GenericSmsConfig config_;
  HttpClient client_;
};

/// Replaces the two placeholders of `body_template` with JSON-escaped values.
std::string render_generic_body(std::string const& body_template, std::string const& to,
                                std::string const& body);

/// Maps the final result: any 2xx -> kAccepted (raw status = the HTTP status,
/// id from `id_field` when present); otherwise by HTTP status.
SendOutcome map_generic_result(HttpResult const& result, std::string const& id_field);

}  // namespace candor::providers
