"""results_h5py.py: what h5py and pandas see in prunebound's files.

    python3 results_h5py.py KIND FILE [RESULTS.md]

KIND is run, montecarlo, bound or policy.  Checks, with h5py as the
independent reader: every string attribute reads as str (never bytes);
every dataset has a one-line description and every numeric one units (one
per column where a list is given); tables list units and descriptions per
field; /plant names states and inputs with units (or says it knows no
plant).  For montecarlo also the flat /summary against /variants, the
policies' sha256, /samples/x0's columns and Wilson intervals in [0, 1];
with RESULTS.md, runs the docs' pandas example on FILE.  Prints "ok" or
raises."""
import hashlib
import os
import re
import sys

import h5py
import numpy as np

kind, path = sys.argv[1], sys.argv[2]
f = h5py.File(path, "r")
problems = []


def is_text(v):
    return isinstance(v, (str, bytes, np.bytes_)) or (
        isinstance(v, np.ndarray) and v.dtype.kind in "OSU")


def dec(v):
    """An attribute as text: prunebound writes fixed-length UTF-8 strings
    (docs/RESULTS.md: not variable-length, whose global heap has no
    checksum), which h5py returns as bytes."""
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.dtype.kind in "OSU":
        return [dec(x) for x in v.ravel().tolist()]
    return v


def check_attrs(name, obj):
    for k, v in obj.attrs.items():
        if not is_text(v):
            continue
        items = v.ravel().tolist() if isinstance(v, np.ndarray) else [v]
        for s in items:
            try:
                dec(s)
            except UnicodeDecodeError:
                problems.append("%s@%s: %r is not UTF-8 text" % (name, k, s))


def check_dataset(name, d):
    desc = dec(d.attrs.get("description"))
    if not isinstance(desc, str) or not desc or "\n" in desc:
        problems.append("%s: no one-line description" % name)
    if d.dtype.names:  # a table: per-field units and descriptions
        for a in ("units", "descriptions"):
            v = d.attrs.get(a)
            if v is None or len(v) != len(d.dtype.names):
                problems.append("%s: %s does not list %d fields" % (name, a, len(d.dtype.names)))
        return
    u = d.attrs.get("units")
    if u is None:
        problems.append("%s: numeric dataset without units" % name)
    elif isinstance(u, np.ndarray) and (d.ndim < 2 or len(u) != d.shape[-1]):
        problems.append("%s: %d units for shape %s" % (name, len(u), d.shape))


def visit(name, obj):
    check_attrs(name, obj)
    if isinstance(obj, h5py.Dataset):
        check_dataset(name, obj)


check_attrs("/", f)
f.visititems(visit)

# /plant: the pendulum of the test config (angle in rad, rate in rad/s, torque in N m).
if kind in ("run", "montecarlo"):
    p = f["plant"].attrs
    if dec(p["state_names"]) != ["theta", "omega"] or dec(p["state_units"]) != ["rad", "rad/s"]:
        problems.append("plant states: %r %r" % (p["state_names"], p["state_units"]))
    if dec(p["input_names"]) != ["torque"] or dec(p["input_units"]) != ["N m"]:
        problems.append("plant inputs: %r %r" % (p["input_names"], p["input_units"]))
    if dec(p["integrator"]) != "rk4":
        problems.append("integrator %r" % p["integrator"])
    x = f["runs/magnitude_s0.50/0/x_orig"] if kind == "run" else f["samples/x0"]
    if dec(x.attrs["units"]) != ["rad", "rad/s"]:
        problems.append("%s units %r" % (x.name, x.attrs["units"]))
    for g in f["policies"].values():
        if not re.fullmatch(r"[0-9a-f]{64}", dec(g.attrs["sha256"])):
            problems.append("%s: sha256 %r" % (g.name, g.attrs["sha256"]))
elif kind == "bound":
    if f["plant"].attrs["known"] != 0 or not dec(f["plant"].attrs["note"]):
        problems.append("bound file: /plant does not say that no plant is known")

if kind == "montecarlo":
    s, v = f["summary"][:], f["variants"][:]
    if dec(f["samples/x0"].attrs["columns"]) != ["theta", "omega"]:
        problems.append("x0 columns %r" % f["samples/x0"].attrs["columns"])
    # Flat: each row's variant fields are those of /variants[variant], joined here.
    for c in ("label", "method", "sparsity", "pattern"):
        if not np.array_equal(s[c], v[c][s["variant"]]):
            problems.append("summary.%s differs from /variants joined on variant" % c)
    if len(s) != f.attrs["samples"] * len(v):
        problems.append("summary has %d rows" % len(s))
    labels = set(x.decode() for x in v["label"]) | {"original"}
    if set(f["policies"].keys()) != labels:
        problems.append("policies %r, variants %r" % (sorted(f["policies"]), sorted(labels)))
    a = f["aggregates"][:]
    for c in ("rate_orig_lo", "rate_orig_hi", "rate_pruned_lo", "rate_pruned_hi"):
        if not ((a[c] >= 0) & (a[c] <= 1)).all():
            problems.append("%s outside [0, 1]: %r" % (c, a[c]))
    # A rate of 0 or 1 has its interval end exactly there (Wilson 1927).
    for w in ("orig", "pruned"):
        k, n = a["converged_" + w], a["n"]
        if ((k == n) & (a["rate_%s_hi" % w] != 1.0)).any() or \
           ((k == 0) & (a["rate_%s_lo" % w] != 0.0)).any():
            problems.append("Wilson end of %s not exact at k = 0 or n" % w)

if kind == "montecarlo" and len(sys.argv) > 3:
    text = open(sys.argv[3]).read()
    m = re.search(r"<!-- pandas-example -->\s*```python\n(.*?)```", text, re.S)
    if not m:
        problems.append("RESULTS.md has no pandas example")
    else:
        here = os.getcwd()
        os.chdir(os.path.dirname(os.path.abspath(path)))
        if not os.path.exists("mc.h5"):
            os.symlink(os.path.abspath(path), "mc.h5")
        exec(compile(m.group(1), "RESULTS.md pandas example", "exec"), {})
        os.chdir(here)

if problems:
    print("\n".join(problems[:40]))
    sys.exit(1)
print("ok")
