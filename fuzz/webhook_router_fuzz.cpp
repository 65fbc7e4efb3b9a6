// Fuzzes the webhook router (core/webhooks/webhook_router.hpp): one whole request
// per input, routed, authenticated, parsed and handed to a sink, without sockets.
//
// Input layout: byte 0 picks the path, byte 1 holds flags (method, content type,
// whether to sign or authenticate correctly), then lines: query string, signature or
// Authorization value, and the body. Correct credentials are computed here, because
// a fuzzer cannot guess an HMAC; without them only the refusal paths would run.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock/manual_clock.hpp"
#include "core/common/log.hpp"
#include "core/webhooks/form_params.hpp"
#include "core/webhooks/twilio_signature.hpp"
#include "core/webhooks/webhook_router.hpp"
#include "core/webhooks/webhook_server.hpp"
#include "core/webhooks/webhook_sink.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

namespace webhooks = candor::webhooks;

constexpr std::string_view kBaseUrl = "https://hooks.example.test";
constexpr std::string_view kToken = "fuzz-auth-token";

class CountingSink final : public webhooks::WebhookSink {
 public:
  void on_status(candor::domain::StatusUpdate update) override {
    CANDOR_FUZZ_EXPECT(!update.provider.empty(), "updates name their provider");
    ++calls;
  }
  void on_inbound(webhooks::InboundSms message) override {
    CANDOR_FUZZ_EXPECT(!message.provider.empty(), "inbound messages name their provider");
    ++calls;
  }

  int calls = 0;
};

webhooks::WebhookServerOptions options() {
  webhooks::WebhookServerOptions out;
  out.twilio_auth_token = std::string(kToken);
  out.syniverse_user = "fuzz";
  out.syniverse_password = "secret";
  return out;
}

std::string path_for(std::uint8_t selector, webhooks::WebhookServerOptions const& options) {
  switch (selector % 5) {
    case 0:
      return options.twilio_status_path;
    case 1:
      return options.twilio_inbound_path;
    case 2:
      return options.syniverse_events_path;
    case 3:
      return "/webhooks/other";
    default:
      return "";
  }
}

std::string content_type_for(std::uint8_t flags) {
  switch ((flags >> 1) & 3) {
    case 0:
      return "application/x-www-form-urlencoded";
    case 1:
      return "application/json";
    case 2:
      return "text/plain";
    default:
      return "";
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  static bool const quiet = candor::log::set_level("off");
  (void)quiet;

  candor::fuzz::Input input(data, size);
  auto const opts = options();
  auto const selector = input.take_byte();
  auto const flags = input.take_byte();
  auto const query = input.take_line();
  auto const credential = input.take_line();

  webhooks::WebhookRequest request;
  request.method = (flags & 1) != 0 ? "GET" : "POST";
  request.target = path_for(selector, opts) + std::string(query);
  request.content_type = content_type_for(flags);
  request.body = std::string(input.rest());

  // Flag 0x08 signs or authenticates correctly; 0x10 drops the header entirely.
  bool const correct = (flags & 0x08) != 0;
  bool const absent = (flags & 0x10) != 0;
  if (!absent) {
    std::string value(credential);
    if (correct) {
      auto const url = std::string(kBaseUrl) + request.target;
      auto const params = webhooks::parse_form(request.body);
      value = params ? webhooks::twilio_signature(kToken, url, *params) : value;
    }
    request.twilio_signature = value;
    request.authorization = correct ? "Basic ZnV6ejpzZWNyZXQ=" : std::string(credential);
  }

  candor::clock::ManualClock clock(candor::clock::from_unix_ms(1'700'000'000'000));
  CountingSink sink;
  webhooks::WebhookRouter router(opts, std::string(kBaseUrl), sink, clock);
  auto const reply = router.handle(request);

  CANDOR_FUZZ_EXPECT(reply.status >= 200 && reply.status < 600, "the reply is an HTTP status");
  CANDOR_FUZZ_EXPECT(sink.calls == 0 || reply.status == 200, "the sink runs only on success");
  CANDOR_FUZZ_EXPECT(reply.status < 400 || !reply.body.empty(), "refusals say why");
  return 0;
}
