#pragma once

// Invariant checks. Never use them on network, YAML, JSON or user input: those
// are error paths with a Result and a test.
//
// CANDOR_CHECK(cond, why) aborts in every build; CANDOR_ASSERT(cond, why) only in
// debug builds. `why` says why the condition holds, as a string literal.

#include <cstdio>
#include <cstdlib>

#define CANDOR_CHECK(cond, why)                                                               \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #cond, why); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)

#ifdef NDEBUG
#define CANDOR_ASSERT(cond, why) \
  do {                           \
  } while (false)
#else
#define CANDOR_ASSERT(cond, why) CANDOR_CHECK(cond, why)
#endif
