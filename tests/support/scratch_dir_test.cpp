#include "tests/support/scratch_dir.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace candor::testing_support {
namespace {

TEST(ScratchDir, IsFreshPerInstanceAndRemovedWithItsFiles) {
  std::filesystem::path kept;
  {
    ScratchDir one("candor-scratch-");
    ScratchDir two("candor-scratch-");
    EXPECT_NE(one.path(), two.path());
    EXPECT_TRUE(std::filesystem::is_directory(one.path()));
    std::ofstream(one.file("a.txt")) << "x";
    EXPECT_TRUE(std::filesystem::exists(one.file("a.txt")));
    kept = one.path();
  }
  EXPECT_FALSE(std::filesystem::exists(kept));
}

}  // namespace
}  // namespace candor::testing_support
