#include "core/common/thread_name.hpp"

#include <pthread.h>

#include <string>

namespace candor {

void name_this_thread(std::string_view name) {
  constexpr std::size_t kLongest = 15;
  std::string const cut(name.substr(0, kLongest));
  // Naming is a courtesy to whoever debugs; a refusal changes nothing else.
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace candor
