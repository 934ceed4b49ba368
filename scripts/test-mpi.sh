#!/bin/bash
# Builds prunebound with MPI (-DPB_MPI=ON, OpenMPI) in build-mpi/ and runs
# test_mc_mpi: a Monte Carlo study over 2 ranks (mpirun on loopback) must
# write the same file as the threaded run (docs/MONTECARLO.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-mpi -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPB_WERROR=ON -DPB_MPI=ON >/dev/null
cmake --build build-mpi -j"$(nproc)" --target prunebound
ctest --test-dir build-mpi -R '^test_mc_mpi$' --output-on-failure
