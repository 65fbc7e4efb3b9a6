#pragma once

// SyniverseProvider: SMS through the Syniverse Communication Gateway (SCG).
//
// Sends POST /scg-external-api/api/v1/messaging/message_requests with a Bearer
// token and a JSON body; the returned id is the message request id. Delivery
// arrives later as SCG-Message events.

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/clock/clock.hpp"
#include "core/common/result.hpp"
#include "core/providers/http_client.hpp"
#include "core/providers/provider.hpp"

namespace candor::providers {

struct SyniverseConfig {
  /// The configured provider name, stored on messages.
  std::string name = "syniverse";
  std::string base_url = "https://api.syniverse.com";
  /// Bearer token of the SDC application. Secret: never logged.
  std::string access_token;
  /// Exactly one of the two senders: "from" becomes "channel:<channel_id>" or
  /// "sender_id:<sender_id>".
  std::string channel_id;
  std::string sender_id;
  /// Timeouts, limits and retries of the HTTP client.
  HttpClientOptions http{.provider = "syniverse"};

  /// Checks every field; the error names the field ("syniverse.access_token ...").
  Status validate() const;
};

/// The Syniverse provider. Thread-safe; see Provider.
class SyniverseProvider final : public Provider {
 public:
  /// Validates `config` and builds the provider; `io` must be run by the caller.
  /// `io` and `clock` must outlive the provider.
  static Result<std::unique_ptr<SyniverseProvider>> create(SyniverseConfig config,
                                                           boost::asio::io_context& io,
                                                           clock::Clock& clock);

  // Provider
  std::string const& name() const override { return config_.name; }
  domain::ProviderKind kind() const override { return domain::ProviderKind::kSyniverse; }
  domain::Channel channel() const override { return domain::Channel::kSms; }
  bool has_delivery_callbacks() const override { return true; }
  void send(OutboundMessage message, SendCallback done) override;

  /// The message request for `message`. Exposed for tests.
  HttpRequest build_request(OutboundMessage const& message) const;

  HttpClientStats stats() const { return client_.stats(); }

 private:
  SyniverseProvider(SyniverseConfig config, boost::asio::io_context& io, clock::Clock& clock);

  SyniverseConfig config_;
  std::string url_;
  std::string from_;
  HttpClient client_;
};

/// Maps the final result of a message request: any 2xx with a string "id" ->
/// kAccepted. Error bodies {"error_code": "SCG_ERROR_n" or n}: 401/4010 and
/// 4046 (token expired) -> kRejected; HTTP 429 and the throttling codes 1039,
/// 1067 and 4021 (quota) -> kRateLimited; 5xx -> kTransient; other 4xx ->
/// kRejected. error_code is always "SCG_ERROR_<n>" when the body had a code.
SendOutcome map_syniverse_result(HttpResult const& result);

}  // namespace candor::providers
