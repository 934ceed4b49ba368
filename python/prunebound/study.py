"""run and montecarlo: sim/run/run_job.h and sim/run/run_mc.h, driven step
by step; the results file is read back with h5py."""

import ctypes
import math
import os
import shutil
import tempfile

import numpy as np

from . import _lib
from ._lib import lib


# ---- configs as dicts ----

def _value(v):
    """A Python value in libconfig syntax."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError("config: libconfig has no literal for %r (write the string "
                             "\"inf\" where docs/CONFIG.md allows it)" % f)
        r = repr(f)
        return r if ("." in r or "e" in r or "n" in r) else r + ".0"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dict):
        return "{ " + " ".join("%s = %s;" % (k, _value(x)) for k, x in v.items()) + " }"
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        scalar = all(isinstance(x, (int, float, bool, str, np.integer, np.floating))
                     for x in v)
        inner = ", ".join(_value(x) for x in v)
        return ("[" + inner + "]") if scalar and v else ("(" + inner + ")")
    raise TypeError("config: cannot write %r (%s) in libconfig syntax" % (v, type(v).__name__))


def config_text(config):
    """The libconfig text of a config dict in the config's own structure
    (docs/CONFIG.md): groups are dicts, arrays lists of numbers, lists lists
    of groups or arrays."""
    return "".join("%s = %s;\n" % (k, _value(v)) for k, v in config.items())


class _Config:
    """A loaded cfg_run (cfg_run_load): from a path, or from a dict written
    to a temporary .cfg in base_dir (relative paths in it are then relative
    to base_dir, as they are to a config file's folder)."""

    def __init__(self, config, overrides, base_dir):
        self.ptr = ctypes.c_void_p()
        tmp = None
        if isinstance(config, dict):
            fd, tmp = tempfile.mkstemp(suffix=".cfg", prefix=".prunebound-",
                                       dir=base_dir or os.getcwd())
            with os.fdopen(fd, "w") as f:
                f.write(config_text(config))
            path = tmp
        else:
            path = os.fspath(config)
        sets = ["%s=%s" % (k, _value(v)) for k, v in (overrides or {}).items()]
        arr = (ctypes.c_char_p * max(len(sets), 1))(*[s.encode() for s in sets])
        err = _lib.new_error()
        try:
            rc = lib.cfg_run_load(path.encode(), arr, len(sets), ctypes.byref(self.ptr),
                                  ctypes.byref(err))
        finally:
            if tmp:
                os.unlink(tmp)
        _lib.check(rc, err)

    def free(self):
        if self.ptr:
            lib.cfg_run_free(self.ptr)
            self.ptr = ctypes.c_void_p()


# ---- results ----

def _decode(x):
    return x.decode() if isinstance(x, bytes) else x


def _table(ds):
    """A compound dataset as a pandas.DataFrame (strings decoded) when pandas
    is present, else as a NumPy structured array."""
    a = ds[()]
    try:
        import pandas as pd
    except ImportError:
        return a
    df = pd.DataFrame.from_records(a)
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(_decode)
    return df


class Results:
    """What a run or a Monte Carlo study wrote, read back with h5py, every
    string as str: `summary` (DataFrame or structured array),
    `traces[label][i][name]` (NumPy arrays; run with output.traces),
    `aggregates` (montecarlo), `tables` (every table of the file's root:
    summary, aggregates, spec, spec_aggregates, region, ... by name), `attrs`
    (root attributes), `path` (the file, or None when it was a temporary one,
    removed after reading)."""

    def __init__(self, path, kind, keep):
        import h5py
        self.kind = kind
        self.path = path if keep else None
        self.traces = {}
        self.aggregates = None
        self.samples = {}
        with h5py.File(path, "r") as f:
            self.attrs = {k: _decode(v) for k, v in f.attrs.items()}
            self.tables = {k: _table(d) for k, d in f.items()
                           if isinstance(d, h5py.Dataset) and d.dtype.names}
            self.summary = _table(f["summary"])
            if "runs" in f:
                for label, g in f["runs"].items():
                    self.traces[label] = {
                        int(i): {k: d[()] for k, d in sc.items()} for i, sc in g.items()}
            if "aggregates" in f:
                self.aggregates = _table(f["aggregates"])
            if "samples" in f:
                self.samples = {k: d[()] for k, d in f["samples"].items()}
            if kind == "montecarlo" and "traces" in f:
                self.traces = f["traces"][()]

    @property
    def labels(self):
        return list(self.traces) if isinstance(self.traces, dict) else []

    def __repr__(self):
        return "Results(%s, %d summary rows)" % (self.kind, len(self.summary))


_KINDS = {"prunebound-results": "run", "prunebound-montecarlo": "montecarlo"}


def read_results(path):
    """An existing results file of `prunebound run` or `prunebound montecarlo`
    as Results, with every string field and attribute as str (h5py alone
    returns them as bytes: docs/RESULTS.md).  ValueError for another file."""
    import h5py
    with h5py.File(path, "r") as f:
        fmt = _decode(f.attrs.get("format", ""))
    if fmt not in _KINDS:
        raise ValueError("%s: not a run or Monte Carlo results file (format %r)" % (path, fmt))
    return Results(os.fspath(path), _KINDS[fmt], keep=True)


def _output(output, config_ptr_unused=None):
    if output is not None:
        d = os.path.dirname(os.path.abspath(os.fspath(output)))
        os.makedirs(d, exist_ok=True)
        return os.fspath(output), None
    tmpdir = tempfile.mkdtemp(prefix="prunebound-")
    return os.path.join(tmpdir, "results.h5"), tmpdir


def run(config, overrides=None, output=None, base_dir=None, progress=None):
    """`prunebound run` (run_job.h): config a path or a dict; overrides
    {'key.path': value} as --set; output the results file (None: a temporary
    one, read and removed).  progress(done, n_scenarios) between blocks of
    scenarios.  Returns Results."""
    cfg = _Config(config, overrides, base_dir)
    err = _lib.new_error()
    j = None
    path, tmpdir = _output(output)
    try:
        j = lib.run_job_alloc(cfg.ptr, ctypes.byref(err))
        if not j:
            _lib.fail(err)
        _lib.check(lib.run_job_open(j, path.encode(), ctypes.byref(err)), err)
        while True:
            before = j.contents.done
            _lib.check(lib.run_job_step(j, ctypes.byref(err)), err)
            if j.contents.done == before:
                break
            if progress is not None:
                progress(j.contents.done, None)
        _lib.check(lib.run_job_commit(j, ctypes.byref(err)), err)
        viol = lib.run_job_violations(j)
        res = Results(path, "run", keep=output is not None)
        res.violations = viol
        return res
    finally:
        if j:
            lib.run_job_free(j)
        cfg.free()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def montecarlo(config, samples=None, threads=None, overrides=None, output=None, base_dir=None,
               resume=False, progress=None):
    """`prunebound montecarlo` (run_mc.h) on this process: samples overrides
    montecarlo.samples, threads defaults to the online CPUs (results are
    bit-identical for every count).  progress(done, samples) after every
    chunk.  Returns Results with .aggregates."""
    ov = dict(overrides or {})
    if samples is not None:
        ov["montecarlo.samples"] = int(samples)
    if threads is None:
        threads = os.cpu_count() or 1
    if int(threads) < 1:
        raise ValueError("montecarlo: threads must be >= 1")
    cfg = _Config(config, ov, base_dir)
    err = _lib.new_error()
    j = None
    path, tmpdir = _output(output)
    try:
        j = lib.run_mc_alloc(cfg.ptr, int(threads), ctypes.byref(err))
        if not j:
            _lib.fail(err)
        _lib.check(lib.run_mc_open(j, path.encode(), 1 if resume else 0, ctypes.byref(err)),
                   err)
        c = j.contents
        while c.done < c.samples:
            _lib.check(lib.run_mc_step(j, ctypes.byref(err)), err)
            if progress is not None:
                progress(c.done, c.samples)
        _lib.check(lib.run_mc_finish(j, None, ctypes.byref(err)), err)
        return Results(path, "montecarlo", keep=output is not None)
    finally:
        if j:
            lib.run_mc_free(j)
        cfg.free()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
