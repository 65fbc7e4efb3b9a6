#include "fakes/twilio/signature.hpp"

#include <gtest/gtest.h>

namespace candor::fakes::twilio {
namespace {

// Published vectors from providers/twilio.md §7.
constexpr char kToken[] = "12345";
constexpr char kUrl[] = "https://mycompany.com/myapp.php?foo=1&bar=2";

http::Fields base_params() {
  return {{"CallSid", "CA1234567890ABCDE"},
          {"Caller", "+14158675309"},
          {"Digits", "1234"},
          {"From", "+14158675309"},
          {"To", "+18005551212"}};
}

TEST(Signature, SigningStringSortsNamesAndConcatenates) {
  EXPECT_EQ(signing_string(kUrl, base_params()),
            "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+"
            "14158675309Digits1234From+14158675309To+18005551212");
}

TEST(Signature, PublishedVectorsForFormParameters) {
  struct Vector {
    char const* url;
    char const* expected;
  };
  Vector const vectors[] = {
      {kUrl, "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
      {"https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w="},
      {"http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="},
      {"http://mycompany.com:80/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="},
      {"https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", "CukzLTc1tT5dXEDIHm/tKBanW10="},
      {"https://user@mycompany.com/myapp.php?foo=1&bar=2", "2YRLlVAflCqxaNicjMpJcSTgzSs="},
      {"https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2", "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="},
      {"https://mycompany.com/myapp.php?foo=1&bar=2&Body=It%27s+amazing",
       "TfZzewPq8wqrGlMfyAud8+/IvJ0="},
  };
  for (auto const& v : vectors) {
    EXPECT_EQ(sign_request(kToken, v.url, base_params()), v.expected) << v.url;
    EXPECT_TRUE(verify_signature(kToken, v.url, base_params(), v.expected)) << v.url;
  }
}

TEST(Signature, RepeatedNamesSignEachDistinctValueSorted) {
  http::Fields const params = {{"Sid", "CA123"},
                               {"SidAccount", "AC123"},
                               {"Digits", "5678"},
                               {"Digits", "1234"},
                               {"Digits", "1234"}};
  EXPECT_EQ(sign_request(kToken, kUrl, params), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");

  for (auto const& order : {http::Fields{{"MessagingBinding.Address", "+1325xxxxxxx"},
                                         {"MessagingBinding.Address", "+1415xxxxxxx"}},
                            http::Fields{{"MessagingBinding.Address", "+1415xxxxxxx"},
                                         {"MessagingBinding.Address", "+1325xxxxxxx"}}}) {
    EXPECT_EQ(sign_request(kToken, kUrl, order), "83O6e2vORAoJHUNzJjDWN1jz+BA=");
  }
}

TEST(Signature, StatusCallbackShapedVector) {
  http::Fields const params = {{"AccountSid", "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
                               {"ApiVersion", "2010-04-01"},
                               {"From", "+15017122661"},
                               {"MessageSid", "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
                               {"MessageStatus", "delivered"},
                               {"RawDlrDoneDate", "2508011200"},
                               {"SmsSid", "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
                               {"SmsStatus", "delivered"},
                               {"To", "+15558675310"}};
  EXPECT_EQ(sign_request(kToken, "https://example.com/twilio/status", params),
            "UQZMfqIk0pryIOMvy3Le721+aBU=");
  EXPECT_EQ(sign_request(kToken, "https://example.com:443/twilio/status", params),
            "kInxtOlFmg3yaaLpVbsjx2ED7/I=");
}

TEST(Signature, VerifierAcceptsWithOrWithoutDefaultPort) {
  // Signed with ":443", validated against the URL without it, and the reverse.
  EXPECT_TRUE(verify_signature(kToken, kUrl, base_params(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
  EXPECT_TRUE(verify_signature(kToken, "http://mycompany.com/myapp.php?foo=1&bar=2", base_params(),
                               "0ZXoZLH/DfblKGATFgpif+LLRf4="));
  EXPECT_TRUE(verify_signature(kToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                               base_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST(Signature, VerifierRejectsMismatches) {
  EXPECT_FALSE(verify_signature(kToken, kUrl, base_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B9="));
  EXPECT_FALSE(verify_signature(kToken, kUrl, base_params(), ""));
  EXPECT_FALSE(verify_signature("54321", kUrl, base_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  auto params = base_params();
  params.emplace_back("Extra", "1");
  EXPECT_FALSE(verify_signature(kToken, kUrl, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));

  auto const signed_one = sign_request(kToken, "https://x.com/a?test=param", {});
  EXPECT_FALSE(verify_signature(kToken, "https://x.com/a?test=param2", {}, signed_one));
}

}  // namespace
}  // namespace candor::fakes::twilio
