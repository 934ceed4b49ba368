#!/bin/bash
# Runs the Python module's error and leak tests (tests/python/test_errors_leaks.py,
# 20 rounds of prune, bound, eval and a failing load) under valgrind memcheck.
# CPython, NumPy and the dynamic loader report their own definite leaks and
# reads at exit, so the log is filtered: the run fails when pytest fails or
# when any valgrind error record (invalid access, uninitialised value,
# definite leak) has a frame in libprunebound's sources (a deliberate leak,
# mlp_clone without mlp_free, is found: docs/PYTHON.md).  Uses the build of
# scripts/test.sh (build/, or BUILD=dir), building what is missing.
#   scripts/test-valgrind-python.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPB_WERROR=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target prunebound prunebound_shared >/dev/null
log=$BUILD/valgrind-test_python.log
start=$(date +%s)
set +e
PYTHONMALLOC=malloc PB_LEAK_ROUNDS=20 OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell \
    PYTHONPATH="$BUILD/python" PB_SOURCE_DIR="$PWD" PRUNEBOUND_CLI="$PWD/$BUILD/prunebound" \
    valgrind --leak-check=full --show-leak-kinds=definite --trace-children=no --fullpath-after= \
    --suppressions="$PWD/tests/valgrind.supp" \
    /usr/bin/python3 -m pytest tests/python/test_errors_leaks.py -q -p no:cacheprovider \
    >"$log" 2>&1
rc=$?
set -e
# Error records are blocks of "==pid== " lines separated by an empty "==pid== ".
# Frames of the library show its source files by full path (--fullpath-after=).
ours=$(awk -v src="$PWD/" '/^==[0-9]+== $/ { if (index(rec, src) && rec ~ /(Invalid|uninitialised|definitely lost)/) n++; rec = ""; next }
            /^==[0-9]+== / { rec = rec $0 "\n" }
            END { print n + 0 }' "$log")
if [ "$rc" -ne 0 ] || [ "$ours" -ne 0 ] || ! grep -qE '^[0-9]+ passed' "$log"; then
    echo "valgrind test_python: FAILED ($(($(date +%s) - start)) s; pytest exit $rc, $ours record(s) in libprunebound), see $log"
    exit 1
fi
echo "valgrind test_python: ok ($(($(date +%s) - start)) s)"
