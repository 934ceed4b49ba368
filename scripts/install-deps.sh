#!/bin/sh
# Installs every Debian package prunebound needs to build, test, plot and
# benchmark.  Run as root on Debian 12 (bookworm) or later.
set -eu
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: run as root (apt-get install needs it)" >&2
    exit 2
fi
apt-get update -qq
apt-get install -y -qq \
    build-essential cmake pkg-config \
    libgsl-dev libopenblas-dev liblapacke-dev libhdf5-dev hdf5-tools libconfig-dev libcunit1-dev libjansson-dev \
    libmatheval-dev nettle-dev \
    libflint-arb-dev \
    protobuf-c-compiler libprotobuf-c-dev \
    gnuplot-nox \
    python3 python3-numpy python3-scipy python3-h5py python3-pandas python3-onnx python3-mpmath python3-pytest \
    libopenmpi-dev openmpi-bin \
    valgrind clang libclang-rt-14-dev >/dev/null
# The Numba and PyTorch peers of bench/run (large; not needed to build or test):
# PB_BENCH_PEERS=1 scripts/install-deps.sh
if [ "${PB_BENCH_PEERS:-0}" = 1 ]; then
    apt-get install -y -qq python3-numba python3-torch >/dev/null
fi
echo "install-deps.sh: all packages installed"
