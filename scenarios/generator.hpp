#pragma once

// Generated candidates and the seeded random numbers scenarios use.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/scenario.hpp"

namespace candor::scenarios {

/// SplitMix64: small, fast, and the same sequence on every platform (unlike the
/// standard distributions), which keeps reports reproducible.
class SeededRandom {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next();
  /// Uniform in [0, bound); 0 when bound is 0.
  std::uint64_t below(std::uint64_t bound);
  /// Uniform in [0, 1).
  double unit();
  /// Index drawn by weight; weights must not all be zero.
  std::size_t pick(std::span<double const> weights);

 private:
  std::uint64_t state_;
};

/// Mixes several values into one seed (for "keyed by the message" draws).
std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b);

/// Regions the generator can make numbers for ("US", "CA", "GB", ...).
std::vector<std::string> const& generator_regions();
bool is_generator_region(std::string_view region);

/// Makes `spec.count` candidates. The same spec and seed always give the same
/// candidates; `scenario_seed` is used when the spec has no seed of its own.
/// Shared phones repeat an earlier generated candidate's number; invalid numbers
/// are strings no phone library accepts.
std::vector<CandidateSpec> generate_candidates(GenerateSpec const& spec,
                                               std::uint64_t scenario_seed);

}  // namespace candor::scenarios
