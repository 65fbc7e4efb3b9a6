#include "scenarios/generator.hpp"

#include <set>

#include <gtest/gtest.h>

namespace candor::scenarios {
namespace {

GenerateSpec spec_of(std::int64_t count) {
  GenerateSpec spec;
  spec.count = count;
  spec.countries = {{"US", 3}, {"CA", 1}, {"GB", 1}};
  spec.shared_phone = 0.1;
  spec.opted_out = 0.05;
  spec.invalid_number = 0.02;
  spec.first_id = 100;
  return spec;
}

TEST(GenerateCandidates, SameSeedGivesSameCandidates) {
  auto a = generate_candidates(spec_of(500), 42);
  auto b = generate_candidates(spec_of(500), 42);
  ASSERT_EQ(a.size(), 500u);
  ASSERT_EQ(b.size(), 500u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].phone, b[i].phone);
    EXPECT_EQ(a[i].first_name, b[i].first_name);
    EXPECT_EQ(a[i].opted_out, b[i].opted_out);
  }
}

TEST(GenerateCandidates, OtherSeedGivesOtherNumbers) {
  auto a = generate_candidates(spec_of(50), 1);
  auto b = generate_candidates(spec_of(50), 2);
  int same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    same += a[i].phone == b[i].phone ? 1 : 0;
  }
  EXPECT_LT(same, 10);
}

TEST(GenerateCandidates, OwnSeedWinsOverScenarioSeed) {
  GenerateSpec spec = spec_of(20);
  spec.seed = 7;
  auto a = generate_candidates(spec, 1);
  auto b = generate_candidates(spec, 2);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].phone, b[i].phone);
  }
}

TEST(GenerateCandidates, HonoursIdsSharesAndCountries) {
  auto out = generate_candidates(spec_of(2000), 9);
  EXPECT_EQ(out.front().id, 100);
  EXPECT_EQ(out.back().id, 2099);
  EXPECT_EQ(out.front().number, "CAND-000100");

  int opted = 0;
  int gb = 0;
  std::set<std::string> phones;
  for (auto const& c : out) {
    opted += c.opted_out ? 1 : 0;
    gb += c.phone.rfind("+44", 0) == 0 ? 1 : 0;
    phones.insert(c.phone);
  }
  // Loose bounds: the shares are probabilities, but the seed is fixed.
  EXPECT_GT(opted, 50);
  EXPECT_LT(opted, 160);
  EXPECT_GT(gb, 250);
  EXPECT_LT(gb, 550);
  EXPECT_LT(phones.size(), 1900u);
}

TEST(SeededRandom, PickFollowsWeights) {
  SeededRandom random(3);
  double const weights[] = {0.0, 1.0, 0.0};
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(random.pick(weights), 1u);
  }
}

}  // namespace
}  // namespace candor::scenarios
