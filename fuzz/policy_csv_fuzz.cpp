// Fuzzes the policy's CSV value lists (load_csv_values in
// core/policy/send_policy.hpp). The function reads a file and has no string-level
// twin, so each input is written to one temporary file first.
//
// Input layout: line 1 is the header to skip, the rest is the file's content.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/policy/send_policy.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

// One file per process: libFuzzer runs inputs one at a time in a process.
std::string const& csv_path() {
  static std::string const path = (std::filesystem::temp_directory_path() /
                                   ("candor-fuzz-policy-" + std::to_string(::getpid()) + ".csv"))
                                      .string();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  candor::fuzz::Input input(data, size);
  auto const header = input.take_line();
  auto const content = input.rest();
  {
    std::ofstream out(csv_path(), std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }

  auto const values = candor::policy::load_csv_values(csv_path(), header);
  if (!values) {
    CANDOR_FUZZ_EXPECT(values.error().code == candor::Errc::kInvalidArgument,
                       "a readable file with bad content is kInvalidArgument");
    CANDOR_FUZZ_EXPECT(values.error().message.starts_with(csv_path() + ":"),
                       "errors name the file and line");
    return 0;
  }
  for (auto const& value : *values) {
    CANDOR_FUZZ_EXPECT(!value.empty(), "blank lines and empty values never come back");
    CANDOR_FUZZ_EXPECT(value.find('\n') == std::string::npos, "a value never spans lines");
  }
  std::filesystem::remove(csv_path());
  return 0;
}
