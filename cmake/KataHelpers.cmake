# Helpers every directory uses to declare tests, so that labels and layout stay uniform.
#
# Labels: unit (no privileges, no network), integration (runs built binaries),
# root (needs root), net (loopback network servers), fuzz (libFuzzer smoke run),
# bench (smoke run of a benchmark). Tests that share a global resource (lttng-sessiond,
# a cgroup parent, eBPF) take a RESOURCE_LOCK so ctest serializes them.

# kata_add_unit_test(NAME SOURCES a.c b.c LIBS lib... [LABELS extra...] [RESOURCE_LOCK r])
function(kata_add_unit_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS;RESOURCE_LOCK" ${ARGN})
  if(KATA_FUZZ)
    return()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "unit;${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "KATA_SOURCE_DIR=${CMAKE_SOURCE_DIR};KATA_BUILD_DIR=${CMAKE_BINARY_DIR};CMOCKA_MESSAGE_OUTPUT=stdout")
  if(T_RESOURCE_LOCK)
    set_tests_properties(${name} PROPERTIES RESOURCE_LOCK "${T_RESOURCE_LOCK}")
  endif()
endfunction()

# kata_add_script_test(NAME SCRIPT path [LABELS ...] [RESOURCE_LOCK r] [TIMEOUT s])
# Scripts get KATA_SOURCE_DIR, KATA_BUILD_DIR and KATA_BIN (build/bin) in the environment
# and source tests/lib.sh for assertions.
function(kata_add_script_test name)
  cmake_parse_arguments(T "" "SCRIPT;TIMEOUT" "LABELS;RESOURCE_LOCK;ARGS" ${ARGN})
  if(KATA_FUZZ)
    return()
  endif()
  add_test(NAME ${name} COMMAND bash ${T_SCRIPT} ${T_ARGS} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    SKIP_RETURN_CODE 77
    ENVIRONMENT "KATA_SOURCE_DIR=${CMAKE_SOURCE_DIR};KATA_BUILD_DIR=${CMAKE_BINARY_DIR};KATA_BIN=${CMAKE_BINARY_DIR}/bin")
  if(T_RESOURCE_LOCK)
    set_tests_properties(${name} PROPERTIES RESOURCE_LOCK "${T_RESOURCE_LOCK}")
  endif()
endfunction()

# kata_add_fuzzer(NAME SOURCES harness.c LIBS lib... [CORPUS dir] [SECONDS n])
# Only in KATA_FUZZ builds. The smoke test runs the harness for SECONDS (default 5)
# over its seed corpus (tests/fuzz/corpus/NAME) and fails on any crash or leak.
function(kata_add_fuzzer name)
  cmake_parse_arguments(F "" "SECONDS" "SOURCES;LIBS" ${ARGN})
  if(NOT KATA_FUZZ)
    return()
  endif()
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  if(NOT F_SECONDS)
    set(F_SECONDS 5)
  endif()
  set(corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
  add_test(NAME ${name}
    COMMAND ${CMAKE_SOURCE_DIR}/tests/fuzz/run-fuzzer.sh $<TARGET_FILE:${name}> ${corpus} ${F_SECONDS}
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES LABELS "fuzz" TIMEOUT 120)
endfunction()

# Adds every immediate subdirectory of the current source dir that has a CMakeLists.txt,
# so that areas can add test directories without editing a shared list.
function(kata_add_subdirectories)
  file(GLOB children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child ${children})
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${child} AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()
