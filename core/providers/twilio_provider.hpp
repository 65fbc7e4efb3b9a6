#pragma once

// TwilioProvider: SMS through Twilio's Programmable Messaging REST API.
//
// Sends POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded, with
// Basic credentials, always through a Messaging Service (Twilio picks the
// sender); delivery arrives later by status callback.

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/clock/clock.hpp"
#include "core/common/result.hpp"
#include "core/providers/http_client.hpp"
#include "core/providers/provider.hpp"

namespace candor::providers {

struct TwilioConfig {
  /// The configured provider name, stored on messages.
  std::string name = "twilio";
  std::string base_url = "https://api.twilio.com";
  /// "AC" + 32 hex digits; always in the URL path.
  std::string account_sid;
  /// Basic password with the account SID as user. Secret: never logged.
  std::string auth_token;
  /// Alternative credentials: "SK" + 32 hex digits and its secret (never logged).
  std::string api_key_sid;
  std::string api_key_secret;
  /// "MG" + 32 hex digits. Required.
  std::string messaging_service_sid;
  /// Refused by validate(): the sender must come from the Messaging Service.
  std::string from_number;
  /// Per-message StatusCallback URL; "{message_id}" is replaced by our message
  /// id. Empty = the Messaging Service's own callback URL applies.
  std::string status_callback_url;
  /// Timeouts, limits and retries of the HTTP client.
  HttpClientOptions http{.provider = "twilio"};

  /// Checks every field; the error names the field ("twilio.account_sid ...").
  Status validate() const;
};

/// The Twilio provider. Thread-safe; see Provider.
class TwilioProvider final : public Provider {
 public:
  /// Validates `config` and builds the provider; `io` must be run by the caller.
  /// `io` and `clock` must outlive the provider.
  static Result<std::unique_ptr<TwilioProvider>> create(TwilioConfig config,
                                                        boost::asio::io_context& io,
                                                        clock::Clock& clock);

  // Provider
  std::string const& name() const override { return config_.name; }
  domain::ProviderKind kind() const override { return domain::ProviderKind::kTwilio; }
  domain::Channel channel() const override { return domain::Channel::kSms; }
  bool has_delivery_callbacks() const override { return true; }
  void send(OutboundMessage message, SendCallback done) override;

  /// The create-message request for `message`. Exposed for tests.
  HttpRequest build_request(OutboundMessage const& message) const;

  HttpClientStats stats() const { return client_.stats(); }

 private:
  TwilioProvider(TwilioConfig config, boost::asio::io_context& io, clock::Clock& clock);

  TwilioConfig config_;
  std::string url_;
  std::string authorization_;
  HttpClient client_;
};

/// Maps the final result of a create call: 2xx with a sid -> kAccepted; error
/// body code 20429 or HTTP 429 -> kRateLimited; 5xx -> kTransient; other 4xx
/// (21xxx validation, 20003 authentication, ...) -> kRejected with the code; a
/// body that is not the expected JSON -> kTransient on 2xx, else by status.
SendOutcome map_twilio_result(HttpResult const& result);

}  // namespace candor::providers
