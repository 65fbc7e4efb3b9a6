#include "scenarios/generator.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace candor::scenarios {

namespace {

/// How numbers of one region are made: a fixed prefix (country code and a
/// range libphonenumber knows as valid for the region) plus random digits.
struct NumberPlan {
  std::string_view region;
  std::array<std::string_view, 4> prefixes;
  int random_digits;
  /// US and CA exchanges must not start with 0 or 1.
  bool nanp = false;
};

constexpr NumberPlan kPlans[] = {
    {"US", {"+1201", "+1212", "+1415", "+1617"}, 7, true},
    {"CA", {"+1416", "+1604", "+1514", "+1613"}, 7, true},
    {"GB", {"+447400", "+447400", "+447400", "+447400"}, 6},
    {"IN", {"+9198", "+9198", "+9197", "+9197"}, 8},
    {"DE", {"+49151", "+49151", "+49152", "+49152"}, 8},
    {"FR", {"+336", "+336", "+336", "+336"}, 8},
    {"ES", {"+346", "+346", "+346", "+346"}, 8},
    {"MX", {"+5255", "+5255", "+5255", "+5255"}, 8},
    {"BR", {"+55119", "+55119", "+55119", "+55119"}, 8},
    {"AU", {"+614", "+614", "+614", "+614"}, 8},
    {"ZA", {"+2782", "+2782", "+2782", "+2782"}, 7},
};

constexpr std::string_view kFirstNames[] = {"Ada",   "Ben",  "Chloe", "Dev",   "Elena", "Farid",
                                            "Grace", "Hugo", "Ines",  "Jon",   "Kemi",  "Liam",
                                            "Maya",  "Noor", "Omar",  "Priya", "Quinn", "Rosa"};
constexpr std::string_view kLastNames[] = {"Adams", "Brown",  "Chen",   "Diaz",   "Evans",
                                           "Fox",   "Garcia", "Haddad", "Ito",    "Jones",
                                           "Khan",  "Lopez",  "Moreau", "Nakata", "Okafor"};
constexpr std::string_view kInvalidNumbers[] = {"12345", "+1555", "not-a-number", "+999123", ""};

NumberPlan const& plan_for(std::string_view region) {
  for (NumberPlan const& plan : kPlans) {
    if (plan.region == region) {
      return plan;
    }
  }
  return kPlans[0];
}

std::string make_number(NumberPlan const& plan, SeededRandom& random) {
  std::string number(plan.prefixes[random.below(plan.prefixes.size())]);
  for (int i = 0; i < plan.random_digits; ++i) {
    std::uint64_t digit = random.below(10);
    if (plan.nanp && i == 0) {
      digit = 2 + random.below(8);
    }
    number += static_cast<char>('0' + digit);
  }
  return number;
}

}  // namespace

std::uint64_t SeededRandom::next() {
  state_ += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t SeededRandom::below(std::uint64_t bound) {
  return bound == 0 ? 0 : next() % bound;
}

double SeededRandom::unit() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::size_t SeededRandom::pick(std::span<double const> weights) {
  double total = 0;
  for (double w : weights) {
    total += std::max(w, 0.0);
  }
  double target = unit() * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    target -= std::max(weights[i], 0.0);
    if (target < 0) {
      return i;
    }
  }
  return weights.empty() ? 0 : weights.size() - 1;
}

std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
  SeededRandom random(a ^ (b * 0xD6E8FEB86659FD93ULL));
  return random.next();
}

std::vector<std::string> const& generator_regions() {
  static std::vector<std::string> const kRegions = [] {
    std::vector<std::string> out;
    for (NumberPlan const& plan : kPlans) {
      out.emplace_back(plan.region);
    }
    return out;
  }();
  return kRegions;
}

bool is_generator_region(std::string_view region) {
  auto const& regions = generator_regions();
  return std::find(regions.begin(), regions.end(), region) != regions.end();
}

std::vector<CandidateSpec> generate_candidates(GenerateSpec const& spec,
                                               std::uint64_t scenario_seed) {
  SeededRandom random(spec.seed.value_or(scenario_seed));
  std::vector<double> weights;
  for (CountryWeight const& country : spec.countries) {
    weights.push_back(country.weight);
  }

  std::vector<CandidateSpec> out;
  out.reserve(static_cast<std::size_t>(std::max<std::int64_t>(spec.count, 0)));
  for (std::int64_t i = 0; i < spec.count; ++i) {
    CandidateSpec c;
    c.id = spec.first_id + i;
    c.number = fmt::format("CAND-{:06}", c.id);
    c.first_name = kFirstNames[random.below(std::size(kFirstNames))];
    c.last_name = kLastNames[random.below(std::size(kLastNames))];
    c.email = fmt::format("cand{}@example.test", c.id);
    c.tags = spec.tags;

    // Every draw happens for every candidate so that changing one share does not
    // reshuffle the numbers of all later candidates.
    // A std::string, not a view: the conditional yields a temporary string.
    std::string const region =
        weights.empty() ? std::string("US") : spec.countries[random.pick(weights)].region;
    std::string const fresh = make_number(plan_for(region), random);
    double const shared_draw = random.unit();
    double const opt_draw = random.unit();
    double const invalid_draw = random.unit();
    std::uint64_t const earlier = random.below(out.empty() ? 1 : out.size());
    std::uint64_t const invalid_pick = random.below(std::size(kInvalidNumbers));

    c.phone = fresh;
    if (invalid_draw < spec.invalid_number) {
      c.phone = kInvalidNumbers[invalid_pick];
    } else if (shared_draw < spec.shared_phone && !out.empty()) {
      c.phone = out[earlier].phone;
    }
    c.opted_out = opt_draw < spec.opted_out;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace candor::scenarios
