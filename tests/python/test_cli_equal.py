"""The module's numbers equal the CLI's bit for bit: prune, bound, run and
montecarlo on the same inputs, compared with the HDF5 files the CLI writes
(read with h5py, an independent reader)."""

import os

import h5py
import numpy as np
import pytest

import prunebound as pb


def write_states(path, X):
    with h5py.File(path, "w") as f:
        f["states"] = X


@pytest.fixture(scope="module")
def states(tmp_path_factory):
    X = np.random.default_rng(11).normal(size=(300, 2)) * [0.6, 1.0]
    path = tmp_path_factory.mktemp("states") / "states.h5"
    write_states(path, X)
    return X, path


def read_policy(path):
    with h5py.File(path, "r") as f:
        L = len(f["layers"])
        return [(f["layers/%d/W" % k][()], f["layers/%d/b" % k][()],
                 f["layers/%d/mask" % k][()] if "mask" in f["layers/%d" % k] else None)
                for k in range(1, L + 1)]


@pytest.mark.parametrize("method, sparsity, pattern, layers", [
    ("magnitude", 0.5, None, None), ("obd", 0.5, None, None), ("obs", 0.6, None, "2"),
    ("sparsegpt", 0.5, None, None), ("sparsegpt", 0.5, "2:4", None)])
def test_prune_equals_cli(cli, tmp_path, pendulum_policy, states, method, sparsity, pattern,
                          layers):
    X, spath = states
    out = tmp_path / "cli.h5"
    args = ["prune", "-m", pendulum_policy, "-c", spath, "--method", method,
            "--sparsity", sparsity, "-o", out]
    if pattern:
        args += ["--pattern", pattern]
    if layers:
        args += ["--layers", layers]
    cli(*args)
    q = pb.prune(pb.Policy.load(pendulum_policy), X, method, sparsity, pattern=pattern,
                 layers=layers)
    q.save(tmp_path / "py.h5")
    for (W, b, m), (W2, b2, m2) in zip(read_policy(out), read_policy(tmp_path / "py.h5")):
        assert np.array_equal(W, W2) and np.array_equal(b, b2)
        assert (m is None) == (m2 is None) and (m is None or np.array_equal(m, m2))
    with h5py.File(out, "r") as f:
        m = f["provenance"].attrs["method"]
        assert (m.decode() if isinstance(m, bytes) else m) == method


def test_bound_equals_cli(cli, tmp_path, pendulum_policy, states):
    X, spath = states
    p = pb.Policy.load(pendulum_policy)
    q = pb.prune(p, X, "sparsegpt", 0.5)
    q.save(tmp_path / "q.h5")
    cli("bound", "-m", pendulum_policy, "-p", tmp_path / "q.h5", "-s", spath,
        "-o", tmp_path / "b.h5")
    b = pb.bound(p, q, X)
    with h5py.File(tmp_path / "b.h5", "r") as f:
        for k in ("dev_actual", "dev_actual_err", "dev_bound", "dev_bound_closed", "tightness"):
            assert np.array_equal(f[k][()], b[k]), k
        for k in ("dW_spectral_norm", "db_norm"):
            assert np.array_equal(f.attrs[k], b[k]), k
        assert np.array_equal(f.attrs["layer_changed"], b["layer_changed"])
        for k in ("max_dev_actual", "max_dev_bound", "max_dev_bound_closed",
                  "median_tightness", "max_tightness", "output_gain"):
            assert np.array_equal(np.ravel(f.attrs[k])[0], b[k]), k
        assert f.attrs["violations"] == b["violations"] == 0
    # The bound holds (the deviation minus its rounding never exceeds it).
    assert np.all(b["dev_actual"] - b["dev_actual_err"] <= b["dev_bound"])


def run_config(source):
    return {
        "plant": {"name": "pendulum"},
        "simulation": {"period": 0.05, "horizon": 1.0,
                       "integrator": {"method": "rk8pd", "epsabs": 1e-10, "epsrel": 1e-10,
                                      "h0": 1e-3}},
        "criterion": {"tol": 0.05, "tail": 0.25},
        "reference": {"type": "setpoint", "values": [0.0, 0.0]},
        "policy": {"file": os.path.join(source, "configs/policies/pendulum.h5"),
                   "input": "error"},
        "calibration": {"trajectories": 4, "noise": 0.05, "seed": 7},
        "pruning": [{"method": "magnitude", "sparsity": [0.5]},
                    {"method": "sparsegpt", "pattern": "2:4"}],
        "scenarios": [{"name": "right", "x0": [0.3, 0.0]}, {"name": "left", "x0": [-0.5, 0.2]}],
        "bounds": {"eps": 0.1},
        "output": {"file": "unused.h5", "traces": True},
        "seed": 1,
    }


def assert_tables_equal(a, b):
    assert a.dtype.names == b.dtype.names
    for n in a.dtype.names:
        if a[n].dtype.kind == "f":
            assert np.array_equal(a[n], b[n], equal_nan=True), n
        else:
            assert np.array_equal(a[n], b[n]), n


def test_run_equals_cli(cli, tmp_path, source):
    cfg = run_config(source)
    (tmp_path / "run.cfg").write_text(pb.config_text(cfg))
    cli("run", tmp_path / "run.cfg", "-o", tmp_path / "cli.h5",
        "--set", "simulation.horizon=1.5")
    r = pb.run(cfg, overrides={"simulation.horizon": 1.5}, output=tmp_path / "py.h5")
    assert r.violations == 0
    with h5py.File(tmp_path / "cli.h5", "r") as f, h5py.File(tmp_path / "py.h5", "r") as g:
        assert_tables_equal(f["summary"][()], g["summary"][()])
        for label in f["runs"]:
            for i in f["runs"][label]:
                for k, d in f["runs"][label][i].items():
                    assert np.array_equal(d[()], r.traces[label][int(i)][k], equal_nan=True)
    assert sorted(r.traces) == ["magnitude_s0.50", "sparsegpt_2:4"]
    assert r.traces["magnitude_s0.50"][0]["t"][-1] == pytest.approx(1.5)
    try:
        import pandas  # noqa: F401
        assert list(r.summary["scenario_name"][:2]) == ["right", "left"]
    except ImportError:
        pass


def test_run_from_path_equals_cli(cli, tmp_path, source):
    cfg = os.path.join(source, "configs", "pendulum.cfg")
    sets = {"simulation.horizon": 0.5, "output.traces": False}
    cli("run", cfg, "-o", tmp_path / "cli.h5", "--set", "simulation.horizon=0.5",
        "--set", "output.traces=false")
    r = pb.run(cfg, overrides=sets)
    with h5py.File(tmp_path / "cli.h5", "r") as f:
        s = f["summary"][()]
    assert r.path is None and r.traces == {}
    got = r.summary.to_records(index=False) if hasattr(r.summary, "to_records") else r.summary
    for n in ("max_dev_actual", "max_dev_bound", "tightness", "rms_track_pruned"):
        assert np.array_equal(s[n], np.asarray(got[n]), equal_nan=True), n


def test_montecarlo_equals_cli(cli, tmp_path, source):
    cfg = os.path.join(source, "configs", "montecarlo", "pendulum_roa.cfg")
    sets = {"simulation.horizon": 0.5, "montecarlo.sampler.points": [5, 8],
            "montecarlo.chunk": 16}
    cli("montecarlo", cfg, "-o", tmp_path / "cli.h5", "--threads", 2,
        *sum((["--set", "%s=%s" % (k, str(v).replace(" ", ""))] for k, v in sets.items()), []))
    seen = []
    r = pb.montecarlo(cfg, threads=1, overrides=sets, progress=lambda d, n: seen.append((d, n)))
    assert seen == [(16, 40), (32, 40), (40, 40)]
    with h5py.File(tmp_path / "cli.h5", "r") as f:
        agg, summ = f["aggregates"][()], f["summary"][()]
    got = r.aggregates.to_records(index=False) if hasattr(r.aggregates, "to_records") \
        else r.aggregates
    for n in agg.dtype.names:
        if agg[n].dtype.kind in "fi":
            assert np.array_equal(agg[n], np.asarray(got[n]), equal_nan=True), n
    rows = r.summary.to_records(index=False) if hasattr(r.summary, "to_records") else r.summary
    assert len(rows) == len(summ) == 40 * len(agg)
    for n in summ.dtype.names:
        if summ[n].dtype.kind in "fi":
            assert np.array_equal(summ[n], np.asarray(rows[n]), equal_nan=True), n
        else:  # the flat table's label, method and pattern (bytes in h5py)
            assert [x.decode() if isinstance(x, bytes) else x for x in summ[n]] == \
                [x.decode() if isinstance(x, bytes) else x for x in rows[n]], n
    assert np.array_equal(r.samples["x0"].shape, (40, 2))
