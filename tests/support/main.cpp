// Catch2's main, compiled once and linked into every test binary.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

// Sanitizer settings of every test binary (read by the sanitizer runtimes
// at start) and, through the environment, of the binaries a test starts
// (ledgerd, ledgerctl). They live here because ctest's ENVIRONMENT cannot
// carry them: catch_discover_tests passes on only the first variable of a
// list. CAF's known header reports are suppressed in tests/ubsan.supp.
extern "C" const char* __asan_default_options() {
  return "detect_leaks=1:abort_on_error=1";
}

extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" LEDGERD_SOURCE_DIR
         "/tests/ubsan.supp";
}

int main(int argc, char** argv) {
  setenv("ASAN_OPTIONS", __asan_default_options(), 0);
  setenv("UBSAN_OPTIONS", __ubsan_default_options(), 0);
  return Catch::Session().run(argc, argv);
}
