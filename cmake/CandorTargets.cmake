# Helpers that give every module the same flags and the same shape of target.

function(candor_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                                           -Wnon-virtual-dtor -Wno-missing-field-initializers)
  # g++ 12 reports false -Wrestrict overlaps inside std::string at -O2/-O3, false
  # -Wmaybe-uninitialized for std::string members of designated-initializer
  # temporaries at -O3 (-Wuninitialized stays on), and false -Wmismatched-new-delete
  # on Asio's coroutine frames when sanitizers are on.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-maybe-uninitialized
                                             -Wno-mismatched-new-delete)
  endif()
  if(CANDOR_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# candor_add_library(NAME <name> ALIAS <ns::name> SRCS ... DEPS ...)
# Creates a static library with the repository root on its include path.
function(candor_add_library)
  cmake_parse_arguments(ARG "" "NAME;ALIAS" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS})
  add_library(${ARG_ALIAS} ALIAS ${ARG_NAME})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  candor_set_warnings(${ARG_NAME})
endfunction()

# candor_add_test(NAME <name> SRCS ... DEPS ...)
# One GoogleTest executable, its cases discovered by ctest.
function(candor_add_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${ARG_NAME} PRIVATE
      CANDOR_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      CANDOR_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
  candor_set_warnings(${ARG_NAME})
  gtest_discover_tests(${ARG_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()

# Adds every immediate subfolder of the current folder that has a CMakeLists.txt,
# so a module can add its folder without editing its parent.
function(candor_add_subfolders)
  file(GLOB children LIST_DIRECTORIES true CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child IN LISTS children)
    if(IS_DIRECTORY ${child} AND EXISTS ${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()
