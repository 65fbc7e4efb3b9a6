// Cost of checking X-Twilio-Signature on a status callback, the webhook's
// per-request work besides parsing: one check per callback, three callbacks per
// message in the end-to-end run.

#include <string>

#include <benchmark/benchmark.h>

#include "core/webhooks/form_params.hpp"
#include "core/webhooks/twilio_signature.hpp"

namespace candor::webhooks {
namespace {

constexpr char kToken[] = "12345678901234567890123456789012";
constexpr char kUrl[] = "http://127.0.0.1:8080/webhooks/twilio/status";

// The fields of a delivered status callback.
FormParams delivered() {
  return {{"AccountSid", "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
          {"ApiVersion", "2010-04-01"},
          {"From", "+15005550006"},
          {"MessageSid", "SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
          {"MessageStatus", "delivered"},
          {"MessagingServiceSid", "MGcccccccccccccccccccccccccccccccc"},
          {"RawDlrDoneDate", "2603091201"},
          {"SmsSid", "SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
          {"SmsStatus", "delivered"},
          {"To", "+14155550101"}};
}

void BM_TwilioSignature_Sign(benchmark::State& state) {
  auto const params = delivered();
  for (auto _ : state) {
    benchmark::DoNotOptimize(twilio_signature(kToken, kUrl, params));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TwilioSignature_Sign);

// A genuine callback signed over the URL exactly as configured.
void BM_TwilioSignature_ValidateGenuine(benchmark::State& state) {
  auto const params = delivered();
  auto const signature = twilio_signature(kToken, kUrl, params);
  for (auto _ : state) {
    benchmark::DoNotOptimize(validate_twilio_signature(kToken, kUrl, params, signature));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TwilioSignature_ValidateGenuine);

// A forged one: every URL variant is tried before it is refused.
void BM_TwilioSignature_ValidateForged(benchmark::State& state) {
  auto const params = delivered();
  std::string const forged = "Zm9yZ2VkIHNpZ25hdHVyZSEhIQ==";
  for (auto _ : state) {
    benchmark::DoNotOptimize(validate_twilio_signature(kToken, kUrl, params, forged));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TwilioSignature_ValidateForged);

}  // namespace
}  // namespace candor::webhooks

BENCHMARK_MAIN();
