#!/bin/sh
# test_install.sh BUILD_DIR SOURCE_DIR: installs the build into a temporary
# prefix and uses it as a user would (docs/DESIGN.md, "Install"):
#   1. a C program (pb_install_demo.c) compiled with
#      `pkg-config --cflags --libs prunebound` loads a shipped policy, prunes it
#      and checks its certified bound;
#   2. the same program built through find_package(prunebound) in CMake;
#   3. the installed binary, moved to another prefix, runs a config and draws
#      its figures from another directory with the templates of ITS prefix;
#   4. the Python package of the moved prefix loads its libprunebound.so.
# Exit 0 on success, 1 on a failure, 77 (skipped) without gnuplot or pkg-config.
set -eu
build=$1
src=$2
for tool in pkg-config gnuplot cc; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not on PATH"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/prunebound lib/libprunebound.a lib/libprunebound.so include/prunebound/bounds.h \
         lib/pkgconfig/prunebound.pc lib/cmake/prunebound/prunebound-config.cmake \
         share/prunebound/plots/common.gp lib/python3/dist-packages/prunebound/__init__.py; do
    [ -e "$tmp/prefix/$f" ] || fail "cmake --install did not install $f"
done

# 1. pkg-config
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror $(pkg-config --cflags prunebound) "$src/tests/install/pb_install_demo.c" \
    -o "$tmp/demo" $(pkg-config --libs prunebound) -Wl,-rpath,"$tmp/prefix/lib" ||
    fail "the demo does not build against pkg-config --cflags --libs prunebound"
out=$("$tmp/demo" "$src/configs/policies/pendulum.h5") || fail "demo: $out"
echo "pkg-config demo: $out"
case $out in *holds*) ;; *) fail "demo: $out" ;; esac

# 2. find_package(prunebound)
mkdir -p "$tmp/consumer"
cat >"$tmp/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(prunebound 0.1 REQUIRED)
add_executable(demo $src/tests/install/pb_install_demo.c)
target_link_libraries(demo PRIVATE prunebound::prunebound)
CMAKE
cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null ||
    fail "find_package(prunebound) failed"
cmake --build "$tmp/consumer/build" >/dev/null || fail "the find_package consumer does not build"
"$tmp/consumer/build/demo" "$src/configs/policies/pendulum.h5" >/dev/null ||
    fail "the find_package consumer's demo failed"
echo "find_package demo: ok"

# 3. the installed binary, relocated, run from elsewhere without the source tree's scripts
mv "$tmp/prefix" "$tmp/moved"
mkdir -p "$tmp/work"
cd "$tmp/work"
unset PB_PLOT_SCRIPTS
"$tmp/moved/bin/prunebound" run "$src/configs/pendulum.cfg" -o run.h5 \
    --set simulation.horizon=1.0 >/dev/null || fail "the installed prunebound run failed"
"$tmp/moved/bin/prunebound" plot run.h5 -o figs >/dev/null || fail "the installed prunebound plot failed"
ls figs/*.png >/dev/null 2>&1 || fail "plot drew no PNG"
grep -q "$tmp/moved/share/prunebound/plots" figs/rerun.sh ||
    fail "plot did not use the templates of its own prefix: $(grep -m1 plots figs/rerun.sh)"
echo "installed plot: $(ls figs/*.png | wc -l) figures from $tmp/moved/share/prunebound/plots"

# 4. the Python package of the relocated prefix, in a fresh environment: it
#    finds PREFIX/lib/libprunebound.so from its own folder (docs/PYTHON.md)
py=/usr/bin/python3
out=$(env -i PATH=/usr/bin:/bin PYTHONPATH="$tmp/moved/lib/python3/dist-packages" "$py" -c "
import prunebound as pb
assert pb.LIBRARY_PATH.startswith('$tmp/moved/lib/'), pb.LIBRARY_PATH
p = pb.Policy.load('$src/configs/policies/pendulum.h5')
c = pb.certify(p, eps=0.1, radius=0.5, methods=['magnitude'])
print(p, c['methods']['magnitude']['all_selected']['sparsity'])") ||
    fail "the installed Python package: $out"
echo "installed python: $out"
echo "test_install: passed"
