#pragma once

// ScratchDir: a fresh folder under the system temp folder for one test, removed
// with everything in it when the test ends. ctest runs each test case as its own
// process, several at once, so a fixed path shared by two cases lets one read a
// file the other is writing.

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace candor::testing_support {

class ScratchDir {
 public:
  /// `prefix` names the folder for whoever finds one left behind ("candor-cli-").
  explicit ScratchDir(std::string const& prefix = "candor-test-") {
    auto pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a scratch folder from " + pattern);
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(ScratchDir const&) = delete;
  ScratchDir& operator=(ScratchDir const&) = delete;

  std::filesystem::path const& path() const { return path_; }
  /// path() / name, as a string.
  std::string file(std::string const& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace candor::testing_support
