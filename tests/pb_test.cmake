# pb_add_test(NAME SOURCE...): one CUnit executable (tests/runner.c plus the
# given sources) registered with CTest under NAME; exit code 77 means skipped.
find_program(PB_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
function(pb_add_test name)
  add_executable(${name} ${PROJECT_SOURCE_DIR}/tests/runner.c ${ARGN})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE prunebound_static PkgConfig::CUNIT)
  target_compile_definitions(${name} PRIVATE
    PB_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data"
    PB_BENCHMARKS_DIR="${PB_BENCHMARKS_DIR}"
    PB_PYTHON3="${PB_PYTHON3}"
    PB_BINARY_DIR="${PROJECT_BINARY_DIR}"
    PB_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    PB_VERSION="${PROJECT_VERSION}")
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77) # PB_TEST_SKIPPED, tests/pb_test.h
endfunction()
