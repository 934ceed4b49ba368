"""Errors carry the C library's message unchanged (the CLI prints the same
one); no memory is kept over 1000 calls (glibc's count of bytes in use, and
valgrind over this file in scripts/test-valgrind.sh)."""

import ctypes
import ctypes.util
import gc
import os

import numpy as np
import pytest

import prunebound as pb


def test_load_error_is_the_cli_message(cli, tmp_path):
    path = tmp_path / "missing.h5"
    with pytest.raises(pb.Error) as e:
        pb.Policy.load(path)
    r = cli("info", path, check=False)
    assert e.value.code == -3  # PB_EIO
    assert str(e.value) == e.value.msg and str(e.value) in r.stderr


def test_bad_file_format_error(cli, tmp_path):
    path = tmp_path / "bad.h5"
    path.write_bytes(b"not hdf5 at all")
    with pytest.raises(pb.Error) as e:
        pb.Policy.load(path)
    r = cli("prune", "-m", path, "--method", "magnitude", "--sparsity", "0.5", "-o",
            tmp_path / "o.h5", check=False)
    assert r.returncode == 2 and str(e.value) in r.stderr


def test_config_error_names_line_and_key(cli, tmp_path, source):
    cfg = source + "/tests/data/configs/period_negative.cfg"
    with pytest.raises(pb.Error) as e:
        pb.run(cfg)
    r = cli("run", cfg, "-o", tmp_path / "x.h5", check=False)
    assert r.returncode == 2 and str(e.value) in r.stderr and "period" in str(e.value)


def test_bound_shape_mismatch_error(pendulum_policy, cartpole_policy):
    p, c = pb.Policy.load(pendulum_policy), pb.Policy.load(cartpole_policy)
    with pytest.raises(pb.Error) as e:
        pb.bound(p, c, np.zeros((3, 2)))
    assert e.value.code == -1 and e.value.msg


def _in_use():
    """Bytes malloc holds for the process (glibc mallinfo2)."""
    class mallinfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                     "uordblks", "fordblks", "keepcost")]
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc without mallinfo2 (older than 2.33)")
    libc.mallinfo2.restype = mallinfo2
    gc.collect()
    m = libc.mallinfo2()
    return m.uordblks + m.hblkhd


def test_no_leak_over_1000_calls(pendulum_policy, tmp_path):
    p = pb.Policy.load(pendulum_policy)
    X = np.random.default_rng(0).normal(size=(64, 2))

    def round_():
        q = pb.prune(p, X, "sparsegpt", 0.5)
        b = pb.bound(p, q, X)
        u = q(X)
        try:
            pb.Policy.load(tmp_path / "missing.h5")
        except pb.Error:
            pass
        return b, u

    # scripts/test-valgrind.sh sets fewer rounds: valgrind sees any leak once
    rounds = int(os.environ.get("PB_LEAK_ROUNDS", "1000"))
    for _ in range(20):  # warm up caches (HDF5, OpenBLAS, NumPy)
        round_()
    before = _in_use()
    for _ in range(rounds):
        round_()
    grown = _in_use() - before
    # One forgotten allocation per call would be >= rounds * 16 bytes; a forgotten
    # network or bound result tens of kilobytes per call.
    assert grown < 16 * rounds, "%d bytes more in use after %d calls" % (grown, rounds)
