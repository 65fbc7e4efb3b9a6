#include "core/common/thread_name.hpp"

#include <pthread.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace candor {
namespace {

std::string name_seen_inside(std::string const& given) {
  std::string seen;
  std::thread thread([&] {
    name_this_thread(given);
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    seen = name;
  });
  thread.join();
  return seen;
}

TEST(ThreadName, NamesTheCallingThread) {
  EXPECT_EQ(name_seen_inside("candor-writer"), "candor-writer");
}

TEST(ThreadName, CutsLongNamesToFifteenCharacters) {
  EXPECT_EQ(name_seen_inside("candor-webhook-server"), "candor-webhook-");
}

}  // namespace
}  // namespace candor
