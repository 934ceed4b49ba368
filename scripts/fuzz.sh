#!/bin/bash
# Builds the libFuzzer harnesses of fuzz/ with clang (ASan + UBSan) in
# build-fuzz/ and runs each for SECONDS (default 20: the seven together take
# about 2.5 minutes plus the build).  Seed corpora come from the shipped
# files (configs, policies, ../shared/benchmarks/arch-comp, tests/data) and a
# small results file written by `prunebound run`; inputs the fuzzer finds are
# kept in build-fuzz/fuzz-corpus/<harness> across runs.  A crash, leak or
# timeout leaves the input in build-fuzz/fuzz-crashes/<harness>/ and makes
# the script fail.  Long campaigns: docs/TESTING.md.
#   scripts/fuzz.sh [SECONDS] [HARNESS...]      (environment: BUILD=dir, JOBS=n)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
SECONDS_EACH=${1:-20}
shift || true
BUILD=${BUILD:-$SRC/build-fuzz}
ALL="fuzz_cfg fuzz_nnet fuzz_polar fuzz_onnx fuzz_text fuzz_policy fuzz_results"
HARNESSES=${*:-$ALL}
ARCH=$SRC/../shared/benchmarks/arch-comp

cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER=clang -DPB_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD" -j"$(nproc)" --target prunebound $HARNESSES >/dev/null

CORPUS=$BUILD/fuzz-corpus
CRASHES=$BUILD/fuzz-crashes
mkdir -p "$CORPUS" "$CRASHES"

# seed NAME FILE...: copies the existing files into the corpus of NAME.
seed() {
    local name=$1
    shift
    mkdir -p "$CORPUS/$name"
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$CORPUS/$name/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    return 0
}
shopt -s nullglob
seed fuzz_cfg configs/*.cfg configs/*/*.cfg tests/data/configs/*.cfg tests/data/fuzz/cfg/*
seed fuzz_nnet "$ARCH"/*/*.nnet "$ARCH"/*/*/*.nnet tests/data/policies/*.nnet tests/data/fuzz/nnet/*
seed fuzz_polar "$ARCH"/*/*.polar "$ARCH"/*/*/*.polar "$ARCH"/*/*/*.txt tests/data/policies/*.polar \
    tests/data/policies/*.txt tests/data/fuzz/polar/*
seed fuzz_onnx "$ARCH"/*/*.onnx "$ARCH"/*/*/*.onnx tests/data/fuzz/onnx/*
seed fuzz_text tests/data/policies/*.polar tests/data/policies/*.nnet "$ARCH"/*/*.polar \
    tests/data/fuzz/text/*
seed fuzz_policy configs/policies/*.h5 tests/data/fuzz/policy/*
seed fuzz_results tests/data/fuzz/results/*

# A small results file: one variant, one scenario, no traces.
if [ ! -f "$CORPUS/fuzz_results/seed-run.h5" ]; then
    tmp=$(mktemp -d)
    cat >"$tmp/small.cfg" <<CFG
plant = { name = "pendulum"; };
simulation = { period = 0.05; horizon = 0.2; };
reference = { type = "setpoint"; values = [0.0, 0.0]; };
policy = { file = "$SRC/configs/policies/pendulum.h5"; input = "error"; };
pruning = ( { method = "magnitude"; sparsity = [0.5]; } );
scenarios = ( { name = "a"; x0 = [0.1, 0.0]; } );
output = { file = "$tmp/run.h5"; traces = false; };
CFG
    "$BUILD/prunebound" run "$tmp/small.cfg" >/dev/null
    cp "$tmp/run.h5" "$CORPUS/fuzz_results/seed-run.h5"
    rm -rf "$tmp"
fi

status=0
for h in $HARNESSES; do
    mkdir -p "$CRASHES/$h"
    log=$BUILD/fuzz-$h.log
    printf '%-14s %4ss ... ' "$h" "$SECONDS_EACH"
    # -timeout: one input may take at most 10 s (a hang is a finding too).
    if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:fast_unwind_on_malloc=0 \
        LSAN_OPTIONS=suppressions=$SRC/fuzz/lsan.supp \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        TMPDIR=$BUILD "$BUILD/$h" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -max_len=131072 -print_final_stats=1 -artifact_prefix="$CRASHES/$h/" \
        "$CORPUS/$h" >"$log" 2>&1; then
        printf 'ok (%s runs, %s corpus files)\n' \
            "$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')" \
            "$(find "$CORPUS/$h" -type f | wc -l)"
    else
        status=1
        echo "FAILED: see $log and $CRASHES/$h/"
        grep -m3 -E 'ERROR|SUMMARY|runtime error' "$log" || true
    fi
done
rm -f "$BUILD"/pbfuzz-* # the harnesses' scratch input files
exit $status
