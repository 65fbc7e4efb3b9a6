#pragma once

// Helpers shared by the fuzz targets: splitting one byte string into the several
// arguments a parser takes, and the check that turns a broken property into a crash
// the fuzzer (or the replay driver) reports with its input.
//
//   extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
//     candor::fuzz::Input input(data, size);
//     auto const region = input.take_line();
//     auto const parsed = parse(input.rest(), region);
//     CANDOR_FUZZ_EXPECT(parsed || !parsed.error().message.empty(), "errors say why");
//     return 0;
//   }

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

/// Aborts with a message when a property of the code under test does not hold.
/// Unlike CANDOR_CHECK it is meant for fuzz oracles: `cond` is about what a parser
/// made of its input, and a failure is a finding, reproduced from the saved input.
#define CANDOR_FUZZ_EXPECT(cond, what)                                                          \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
                   what);                                                                       \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)

namespace candor::fuzz {

/// A cursor over the fuzzer's bytes. Every take_* consumes from the front and
/// returns an empty value once the bytes run out, so a target can ask for as many
/// arguments as it needs whatever the input's length.
class Input {
 public:
  Input(std::uint8_t const* data, std::size_t size)
      : rest_(reinterpret_cast<char const*>(data), size) {}

  /// The next byte, or 0 at the end.
  std::uint8_t take_byte() {
    if (rest_.empty()) {
      return 0;
    }
    auto const byte = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return byte;
  }

  /// Two bytes, big-endian, or fewer at the end.
  std::uint16_t take_u16() {
    auto const high = take_byte();
    return static_cast<std::uint16_t>((high << 8) | take_byte());
  }

  /// Eight bytes, big-endian, or fewer at the end.
  std::uint64_t take_u64() {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) {
      value = (value << 8) | take_byte();
    }
    return value;
  }

  /// Text up to the next '\n' (not included); the rest when there is none.
  std::string_view take_line() {
    auto const end = rest_.find('\n');
    auto const line = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
    return line;
  }

  /// Everything not taken yet.
  std::string_view rest() const { return rest_; }

  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace candor::fuzz
