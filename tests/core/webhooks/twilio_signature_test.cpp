#include "core/webhooks/twilio_signature.hpp"

#include <string>

#include <gtest/gtest.h>

namespace candor::webhooks {
namespace {

constexpr char kToken[] = "12345";
constexpr char kUrl[] = "https://mycompany.com/myapp.php?foo=1&bar=2";

FormParams call_params() {
  return {{"CallSid", "CA1234567890ABCDE"},
          {"Caller", "+14158675309"},
          {"Digits", "1234"},
          {"From", "+14158675309"},
          {"To", "+18005551212"}};
}

FormParams status_params() {
  return {{"AccountSid", "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
          {"ApiVersion", "2010-04-01"},
          {"From", "+15017122661"},
          {"MessageSid", "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
          {"MessageStatus", "delivered"},
          {"RawDlrDoneDate", "2508011200"},
          {"SmsSid", "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
          {"SmsStatus", "delivered"},
          {"To", "+15558675310"}};
}

TEST(TwilioSignature, SignedStringAppendsSortedParams) {
  EXPECT_EQ(twilio_signed_string(kUrl, call_params()),
            "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309"
            "Digits1234From+14158675309To+18005551212");
}

TEST(TwilioSignature, Vector1BaseCase) {
  EXPECT_EQ(twilio_signature(kToken, kUrl, call_params()), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  EXPECT_TRUE(
      validate_twilio_signature(kToken, kUrl, call_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST(TwilioSignature, Vector2HttpsDefaultPortAddedToRequestUrl) {
  EXPECT_EQ(
      twilio_signature(kToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2", call_params()),
      "kvajT1Ptam85bY51eRf/AJRuM3w=");
  EXPECT_TRUE(
      validate_twilio_signature(kToken, kUrl, call_params(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
}

TEST(TwilioSignature, Vector3ExplicitNonDefaultPort) {
  auto const url = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
  EXPECT_EQ(twilio_signature(kToken, url, call_params()), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=");
  EXPECT_TRUE(
      validate_twilio_signature(kToken, url, call_params(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
}

TEST(TwilioSignature, Vector4HttpDefaultPortAddedToRequestUrl) {
  EXPECT_EQ(
      twilio_signature(kToken, "http://mycompany.com:80/myapp.php?foo=1&bar=2", call_params()),
      "0ZXoZLH/DfblKGATFgpif+LLRf4=");
  EXPECT_TRUE(validate_twilio_signature(kToken, "http://mycompany.com/myapp.php?foo=1&bar=2",
                                        call_params(), "0ZXoZLH/DfblKGATFgpif+LLRf4="));
}

TEST(TwilioSignature, PortRemovedFromRequestUrl) {
  // Signed without the port, requested with it: vector 1 seen through ":443".
  EXPECT_TRUE(validate_twilio_signature(kToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                                        call_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST(TwilioSignature, Vector5RepeatedValuesSortedAndDeduplicated) {
  FormParams const params{{"Sid", "CA123"},
                          {"SidAccount", "AC123"},
                          {"Digits", "5678"},
                          {"Digits", "1234"},
                          {"Digits", "1234"}};
  EXPECT_EQ(twilio_signed_string(kUrl, params),
            std::string(kUrl) + "Digits1234Digits5678SidCA123SidAccountAC123");
  EXPECT_EQ(twilio_signature(kToken, kUrl, params), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
  EXPECT_TRUE(validate_twilio_signature(kToken, kUrl, params, "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
}

TEST(TwilioSignature, Vector6RepeatedValuesInEitherOrder) {
  FormParams const forward{{"MessagingBinding.Address", "+1325xxxxxxx"},
                           {"MessagingBinding.Address", "+1415xxxxxxx"}};
  FormParams const backward{{"MessagingBinding.Address", "+1415xxxxxxx"},
                            {"MessagingBinding.Address", "+1325xxxxxxx"}};
  EXPECT_EQ(twilio_signature(kToken, kUrl, forward), "83O6e2vORAoJHUNzJjDWN1jz+BA=");
  EXPECT_EQ(twilio_signature(kToken, kUrl, backward), "83O6e2vORAoJHUNzJjDWN1jz+BA=");
}

TEST(TwilioSignature, Vector7UserAndPasswordKept) {
  auto const url = "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2";
  EXPECT_EQ(twilio_signature(kToken, url, call_params()), "CukzLTc1tT5dXEDIHm/tKBanW10=");
  EXPECT_TRUE(
      validate_twilio_signature(kToken, url, call_params(), "CukzLTc1tT5dXEDIHm/tKBanW10="));
}

TEST(TwilioSignature, Vector8UserOnlyKept) {
  auto const url = "https://user@mycompany.com/myapp.php?foo=1&bar=2";
  EXPECT_EQ(twilio_signature(kToken, url, call_params()), "2YRLlVAflCqxaNicjMpJcSTgzSs=");
  EXPECT_TRUE(
      validate_twilio_signature(kToken, url, call_params(), "2YRLlVAflCqxaNicjMpJcSTgzSs="));
}

TEST(TwilioSignature, Vector9UserInfoWithPort) {
  EXPECT_EQ(twilio_signature(kToken, "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2",
                             call_params()),
            "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=");
  // Requested without the port; the password's ':' is not taken for a port.
  EXPECT_TRUE(validate_twilio_signature(kToken,
                                        "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
                                        call_params(), "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="));
}

TEST(TwilioSignature, Vector10ApostropheEncodedBySigner) {
  auto const signed_url = std::string(kUrl) + "&Body=It%27s+amazing";
  auto const request_url = std::string(kUrl) + "&Body=It's+amazing";
  EXPECT_EQ(twilio_signature(kToken, signed_url, call_params()), "TfZzewPq8wqrGlMfyAud8+/IvJ0=");
  EXPECT_TRUE(validate_twilio_signature(kToken, request_url, call_params(),
                                        "TfZzewPq8wqrGlMfyAud8+/IvJ0="));
}

constexpr char kJsonBody[] = R"({"property": "value", "boolean": true})";
constexpr char kJsonBodyHash[] = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

TEST(TwilioSignature, Vector11BodyHash) {
  EXPECT_EQ(sha256_hex(kJsonBody), kJsonBodyHash);
  auto const url = std::string(kUrl) + "&bodySHA256=" + kJsonBodyHash;
  EXPECT_EQ(twilio_signature(kToken, url, {}), "a9nBmqA0ju/hNViExpshrM61xv4=");
  EXPECT_TRUE(
      validate_twilio_signature_with_body(kToken, url, kJsonBody, "a9nBmqA0ju/hNViExpshrM61xv4="));
}

TEST(TwilioSignature, Vector12BodyHashWithDefaultPort) {
  auto const hash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
  EXPECT_EQ(sha256_hex("{}"), hash);
  auto const query = std::string("/myapp.php?foo=1&bar=2&bodySHA256=") + hash;
  EXPECT_EQ(twilio_signature(kToken, "https://mycompany.com:443" + query, {}),
            "Ldidvp12m26NI7eqEvxnEpkd9Hc=");
  EXPECT_TRUE(validate_twilio_signature_with_body(kToken, "https://mycompany.com" + query, "{}",
                                                  "Ldidvp12m26NI7eqEvxnEpkd9Hc="));
}

TEST(TwilioSignature, Vector13BodyHashOnlyQueryParam) {
  auto const url = std::string("https://mycompany.com/myapp.php?bodySHA256=") + kJsonBodyHash;
  EXPECT_EQ(twilio_signature(kToken, url, {}), "y77kIzt2vzLz71DgmJGsen2scGs=");
  EXPECT_TRUE(
      validate_twilio_signature_with_body(kToken, url, kJsonBody, "y77kIzt2vzLz71DgmJGsen2scGs="));
}

TEST(TwilioSignature, StatusCallbackVector) {
  EXPECT_EQ(twilio_signature(kToken, "https://example.com/twilio/status", status_params()),
            "UQZMfqIk0pryIOMvy3Le721+aBU=");
  EXPECT_EQ(twilio_signature(kToken, "https://example.com:443/twilio/status", status_params()),
            "kInxtOlFmg3yaaLpVbsjx2ED7/I=");
  EXPECT_TRUE(validate_twilio_signature(kToken, "https://example.com/twilio/status",
                                        status_params(), "kInxtOlFmg3yaaLpVbsjx2ED7/I="));
  EXPECT_TRUE(validate_twilio_signature(kToken, "https://example.com:443/twilio/status",
                                        status_params(), "UQZMfqIk0pryIOMvy3Le721+aBU="));
}

TEST(TwilioSignature, RefusesWrongSignature) {
  EXPECT_FALSE(
      validate_twilio_signature(kToken, kUrl, call_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B9="));
  EXPECT_FALSE(validate_twilio_signature(kToken, kUrl, call_params(), "not a signature"));
  EXPECT_FALSE(
      validate_twilio_signature("54321", kUrl, call_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST(TwilioSignature, RefusesEmptySignatureOrToken) {
  EXPECT_FALSE(validate_twilio_signature(kToken, kUrl, call_params(), ""));
  EXPECT_FALSE(validate_twilio_signature("", kUrl, call_params(),
                                         twilio_signature("", kUrl, call_params())));
}

TEST(TwilioSignature, RefusesChangedQuery) {
  auto const signature = twilio_signature(kToken, "https://mycompany.com/myapp.php?test=param", {});
  EXPECT_TRUE(validate_twilio_signature(kToken, "https://mycompany.com/myapp.php?test=param", {},
                                        signature));
  EXPECT_FALSE(validate_twilio_signature(kToken, "https://mycompany.com/myapp.php?test=param2", {},
                                         signature));
}

TEST(TwilioSignature, RefusesChangedParamValue) {
  auto params = call_params();
  params[2].second = "9999";
  EXPECT_FALSE(validate_twilio_signature(kToken, kUrl, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST(TwilioSignature, RefusesBodyWithoutBodyHashParam) {
  EXPECT_FALSE(validate_twilio_signature_with_body(kToken, kUrl, kJsonBody,
                                                   twilio_signature(kToken, kUrl, {})));
}

TEST(TwilioSignature, RefusesBodyThatDoesNotMatchItsHash) {
  auto const url = std::string(kUrl) + "&bodySHA256=" + kJsonBodyHash;
  EXPECT_FALSE(validate_twilio_signature_with_body(kToken, url, R"({"property": "other"})",
                                                   "a9nBmqA0ju/hNViExpshrM61xv4="));
}

TEST(TwilioSignature, OnlyApostropheReencodingIsTried) {
  // Limitation pinned: a signer that encoded '@' in the query is not matched.
  auto const signature =
      twilio_signature(kToken, "https://mycompany.com/myapp.php?to=a%40b", call_params());
  EXPECT_FALSE(validate_twilio_signature(kToken, "https://mycompany.com/myapp.php?to=a@b",
                                         call_params(), signature));
}

TEST(TwilioSignature, UrlVariantsCoverPortsAndApostrophes) {
  EXPECT_EQ(twilio_url_variants("https://a.example/x"),
            (std::vector<std::string>{"https://a.example/x", "https://a.example:443/x"}));
  EXPECT_EQ(
      twilio_url_variants("http://a.example:8080/x?q='"),
      (std::vector<std::string>{"http://a.example:8080/x?q='", "http://a.example/x?q='",
                                "http://a.example:8080/x?q=%27", "http://a.example/x?q=%27"}));
  EXPECT_EQ(twilio_url_variants("http://[::1]:8080/x"),
            (std::vector<std::string>{"http://[::1]:8080/x", "http://[::1]/x"}));
  EXPECT_EQ(twilio_url_variants("not a url"), (std::vector<std::string>{"not a url"}));
}

TEST(TwilioSignature, AcceptsASignatureOverTheUrlExactlyAsGiven) {
  // Found by fuzzing: an empty port was rebuilt by both port rules, so the URL as
  // configured was not among its own variants.
  auto const url = "https://example.test:/a'b";
  EXPECT_TRUE(validate_twilio_signature(kToken, url, call_params(),
                                        twilio_signature(kToken, url, call_params())));
}

}  // namespace
}  // namespace candor::webhooks
