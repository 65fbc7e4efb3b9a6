#pragma once

// Names the calling thread, so that top -H, perf and gdb tell the core's threads
// apart ("candor-webhook", "candor-writer", "fake-twilio"). Linux keeps 15
// characters of a name; longer names are cut.

#include <string_view>

namespace candor {

void name_this_thread(std::string_view name);

}  // namespace candor
