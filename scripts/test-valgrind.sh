#!/bin/bash
# Runs a subset of the test executables under valgrind memcheck (any error or
# definite leak fails): the fault-injection, HDF5 layer, controller (policy I/O,
# importers), pruning, plant, engine and Monte Carlo tests.  Python children are not
# traced; tests/valgrind.supp names the third-party leaks allowed.  Uses the
# plain build of scripts/test.sh (build/, same flags) and builds what is missing.
#   scripts/test-valgrind.sh [TEST...]     (environment: BUILD=dir)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SUPP=$PWD/tests/valgrind.supp
TESTS=${*:-test_faults test_h5 test_controller test_plants test_prune test_sim test_mc test_cfg test_sim_ref test_results_info test_plant_user}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPB_WERROR=ON >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD" -j"$(nproc)" --target prunebound $TESTS >/dev/null
export OPENBLAS_NUM_THREADS=1
# valgrind's CPU has no AVX-512, so OpenBLAS picks its Haswell kernels in the
# traced test; its untraced children (the CLI) must pick the same ones, or a
# test comparing their results with the test's own bit for bit would see
# OpenBLAS's two summation orders.
export OPENBLAS_CORETYPE=Haswell
# test_faults: every 4th allocation site (ASan and the live-block oracle take all).
export PB_FAULT_STRIDE=${PB_FAULT_STRIDE:-4}
status=0
for t in $TESTS; do
    start=$(date +%s)
    if (cd "$BUILD" && valgrind -q --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite --trace-children=no --child-silent-after-fork=yes \
        --suppressions="$SUPP" \
        "./$t" >"valgrind-$t.log" 2>&1); then
        echo "valgrind $t: ok ($(($(date +%s) - start)) s)"
    else
        status=1
        echo "valgrind $t: FAILED ($(($(date +%s) - start)) s), see $BUILD/valgrind-$t.log"
        grep -m5 -E '==[0-9]+== (Invalid|Conditional|Use of|.*definitely lost)|FAILED' \
            "$BUILD/valgrind-$t.log" || true
    fi
done
# The Python module over the shared library (its own log filter: CPython's leaks are not ours).
if [ $# -eq 0 ]; then
    BUILD=$BUILD scripts/test-valgrind-python.sh || status=1
fi
exit $status
