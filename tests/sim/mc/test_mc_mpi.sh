#!/bin/bash
# test_mc_mpi: a Monte Carlo study over 2 MPI ranks on loopback writes the
# same datasets, byte for byte, as the threaded run of the same config; so
# does an MPI run stopped by SIGINT after some chunks and resumed over MPI.
# Usage: tests/test_mc_mpi.sh PRUNEBOUND PYTHON3 (registered with CTest when
# configured with -DPB_MPI=ON; scripts/test-mpi.sh builds and runs it).
set -euo pipefail
bin=$1
py=${2:-/usr/bin/python3}
src=$(cd "$(dirname "$0")/../../.." && pwd) # tests/sim/mc/ -> the source tree
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg=$src/configs/montecarlo/pendulum_roa.cfg
sets=(--set 'montecarlo.sampler.points=[30,30]' --set montecarlo.chunk=17)
mpi=(mpirun --allow-run-as-root -np 2 --oversubscribe)

same() {
    "$py" - "$1" "$2" <<'PY'
import sys, h5py
a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
for n in names:
    assert a[n][()].tobytes() == b[n][()].tobytes(), 'dataset %s differs' % n
assert a['summary'].shape[0] == 30 * 30 * 4
print('identical:', ', '.join(sorted(names)))
PY
}

"$bin" montecarlo "$cfg" -o "$tmp/threads.h5" --threads 2 "${sets[@]}" >/dev/null
"${mpi[@]}" "$bin" montecarlo "$cfg" -o "$tmp/mpi.h5" --threads 1 "${sets[@]}" >/dev/null
same "$tmp/threads.h5" "$tmp/mpi.h5"

# Interrupt an MPI run once a chunk is on disk (mpirun forwards SIGINT to the
# ranks as SIGTERM), then resume it over MPI.
"${mpi[@]}" "$bin" montecarlo "$cfg" -o "$tmp/int.h5" --threads 1 "${sets[@]}" \
    >"$tmp/int.log" 2>&1 &
pid=$!
for _ in $(seq 1 3000); do
    done=$(HDF5_USE_FILE_LOCKING=FALSE h5dump -a /samples_done "$tmp/int.h5.part" 2>/dev/null |
        sed -n 's/.*(0): \([0-9]*\).*/\1/p' || true)
    done=${done:--1}
    [ "$done" -gt 0 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
done
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || true
if [ -f "$tmp/int.h5.part" ]; then
    grep -q "interrupted by" "$tmp/int.log" || { cat "$tmp/int.log"; exit 1; }
    "${mpi[@]}" "$bin" montecarlo "$cfg" -o "$tmp/int.h5" --threads 1 --resume "${sets[@]}" \
        >/dev/null
    echo "resumed after an interruption at $done samples"
else
    echo "note: the MPI run finished before it could be interrupted"
fi
same "$tmp/threads.h5" "$tmp/int.h5"
echo "test_mc_mpi: passed"
