"""read_results: the files the CLI writes, read back with every string as
str, equal to the bytes h5py returns decoded (h5py is the oracle), so that
`summary[summary.label == "magnitude_s0.50"]` selects what it says."""

import os

import h5py
import pytest

import prunebound as pb


def _str(x):
    return x.decode("utf-8") if isinstance(x, bytes) else x


@pytest.fixture(scope="module")
def files(cli, source, tmp_path_factory):
    d = tmp_path_factory.mktemp("results")
    short = ["--set", "simulation.horizon=0.5"]
    cli("run", os.path.join(source, "configs", "pendulum.cfg"), "-o", d / "run.h5", "--quiet",
        *short)
    # a grid study with a spec: /spec and /spec_aggregates have string fields too
    cli("montecarlo", os.path.join(source, "configs", "montecarlo", "pendulum_roa_spec.cfg"),
        "-o", d / "mc.h5", "--quiet")
    return d / "run.h5", d / "mc.h5"


@pytest.mark.parametrize("which, kind", [(0, "run"), (1, "montecarlo")])
def test_strings_are_str(files, which, kind):
    pytest.importorskip("pandas")
    path = files[which]
    r = pb.read_results(path)
    assert r.kind == kind and r.path == os.fspath(path)
    assert r.attrs["format"] == {"run": "prunebound-results",
                                 "montecarlo": "prunebound-montecarlo"}[kind]
    with h5py.File(path, "r") as f:
        assert set(r.tables) >= ({"summary", "aggregates", "spec", "spec_aggregates"}
                                 if kind == "montecarlo" else {"summary"})
        for name, df in r.tables.items():
            raw = f[name][()]
            assert len(df) == len(raw)
            for c in raw.dtype.names:
                if raw.dtype[c].kind in "SO":
                    assert all(isinstance(v, str) for v in df[c]), (name, c)
                    assert list(df[c]) == [_str(v) for v in raw[c]], (name, c)
        for k, v in f.attrs.items():
            if isinstance(v, bytes):
                assert r.attrs[k] == v.decode("utf-8"), k
    s = r.summary
    picked = s[s["label"] == "magnitude_s0.50"]
    assert len(picked) > 0 and set(picked["label"]) == {"magnitude_s0.50"}


def test_other_files_refused(pendulum_policy):
    with pytest.raises(ValueError, match="not a run or Monte Carlo results file"):
        pb.read_results(pendulum_policy)
