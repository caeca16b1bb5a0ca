# Two helpers, so that every module is declared the same way.

set(LINTAS_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual)

function(lintas_set_warnings target)
  target_compile_options(${target} PRIVATE ${LINTAS_WARNINGS})
  if(LINTAS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# lintas_add_library(<name> SOURCES ... DEPS ... [PRIVATE_DEPS ...])
# Creates lintas_<name> with the alias lintas::<name>; include/ is public.
function(lintas_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(lintas_${name} STATIC ${ARG_SOURCES})
  add_library(lintas::${name} ALIAS lintas_${name})
  target_include_directories(lintas_${name} PUBLIC
      $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>)
  target_link_libraries(lintas_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  lintas_set_warnings(lintas_${name})
endfunction()

# lintas_add_test(<name> SOURCES ... DEPS ... LABEL unit|integration|fault
#                 [TIMEOUT seconds])
# One GoogleTest binary per module, every test registered with ctest.
function(lintas_add_test name)
  if(NOT LINTAS_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
      LINTAS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      LINTAS_BINARY_DIR="${PROJECT_BINARY_DIR}")
  lintas_set_warnings(${name})
  gtest_discover_tests(${name}
      PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
      DISCOVERY_TIMEOUT 60)
endfunction()
