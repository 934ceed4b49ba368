#!/bin/bash
# Builds prunebound with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DPB_SANITIZE=ON) in build-sanitize/ and runs the whole CTest suite; any
# ASan, LeakSanitizer or UBSan report fails the test that produced it.
#   scripts/test-sanitize.sh [ctest args...]     (environment: BUILD=dir)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-sanitize}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPB_WERROR=ON -DPB_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/fuzz/lsan.supp
export OPENBLAS_NUM_THREADS=1
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" "$@"
