# Every dependency comes from a Debian 12 package; nothing is downloaded.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# libphonenumber ships no CMake or pkg-config file in Debian 12.
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
find_library(PHONENUMBER_LIBRARY phonenumber REQUIRED)
add_library(candor_phonenumber INTERFACE)
target_include_directories(candor_phonenumber SYSTEM INTERFACE ${PHONENUMBER_INCLUDE_DIR})
target_link_libraries(candor_phonenumber INTERFACE ${PHONENUMBER_LIBRARY})

# The programs that run the core under load (the candor command line, the
# end-to-end bench) allocate from a dozen threads at once. With jemalloc instead of
# glibc's malloc the end-to-end run needs about 13% less CPU per message. Libraries
# and tests keep the system allocator; a program links candor_allocator to get it.
add_library(candor_allocator INTERFACE)
if(CANDOR_JEMALLOC)
  find_library(CANDOR_JEMALLOC_LIBRARY jemalloc)
  if(CANDOR_JEMALLOC_LIBRARY)
    target_link_libraries(candor_allocator INTERFACE ${CANDOR_JEMALLOC_LIBRARY})
  else()
    message(STATUS "jemalloc not found (Debian: libjemalloc-dev); programs use glibc's malloc")
  endif()
endif()

if(CANDOR_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(CANDOR_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
