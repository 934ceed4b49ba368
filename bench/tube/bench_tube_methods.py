#!/usr/bin/python3
"""bench/tube/bench_tube_methods.py: the tube's two methods side by side (docs/TUBE.md section 2).

    bench/tube/bench_tube_methods.py [BUILD_DIR] [OUT_DIR]   (defaults: build, /tmp/pb_bench_tube_methods)

Runs the pendulum and the cart-pole (their shipped configs, bounds.tube = true)
three times with `prunebound run`, once per bounds.tube_method:
  - centres: both loops enclosed around their own trajectories, the tube the
    distance of the enclosures (the default);
  - differential: the error set propagated alone, the controller difference
    bounded jointly over the original's set by bounds_diff.h, linear in the error;
  - tighter: per row the smaller of the two (the differential radius restarted
    from the centres' one at every row);
and reports from the results files (h5py), per config: the wall times; the
violations of each (traj_dev > bound + 1e-8); the rows where each is finite;
the ratio differential / centres over the rows of the pruned variants where
both are finite and positive and traj_dev > 1e-9; and the rows where "tighter"
is below "centres", split into the unpruned variant (sparsity 0: pi^ = pi) and
the pruned ones, with the sum of tube_rows_differential (the rows each run
took from the differential step).
"""
import os
import re
import subprocess
import sys
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
OUT = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "/tmp/pb_bench_tube_methods")
PB = os.path.join(BUILD, "prunebound")
ALLOW = 1e-8
CONFIGS = [("pendulum", "configs/pendulum.cfg"), ("cartpole", "configs/cartpole.cfg")]
METHODS = ["centres", "differential", "tighter"]


def make_config(src, dst, method):
    """The config with absolute paths and bounds.tube on with that method."""
    d = os.path.dirname(os.path.join(ROOT, src))
    text = open(os.path.join(ROOT, src)).read()
    text = re.sub(r'file = "([^"/][^"]*)"',
                  lambda m: 'file = "%s"' % os.path.normpath(os.path.join(d, m.group(1))), text)
    text = re.sub(r"tube = (true|false);", 'tube = true; tube_method = "%s";' % method, text)
    open(dst, "w").write(text)


def run(cfg, out):
    t0 = time.perf_counter()
    p = subprocess.run([PB, "run", cfg, "-o", out], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (cfg, p.stdout, p.stderr))
    return time.perf_counter() - t0


def is_pruned(f, lab):
    """False for the variant whose network is the original (sparsity 0)."""
    for row in f["summary"][:]:
        l = row["label"].decode() if isinstance(row["label"], bytes) else row["label"]
        if l == lab:
            return bool(row["sparsity"] > 0)
    return True


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, src in CONFIGS:
        files, times = {}, {}
        for m in METHODS:
            cfg = os.path.join(OUT, "%s_%s.cfg" % (name, m))
            make_config(src, cfg, m)
            files[m] = os.path.join(OUT, "%s_%s.h5" % (name, m))
            times[m] = run(cfg, files[m])
        f = {m: h5py.File(files[m], "r") for m in METHODS}
        viol = dict.fromkeys(METHODS, 0)
        fin = dict.fromkeys(METHODS, 0)
        rows = tight_pr = tight_id = rows_diff = 0
        ratios = []
        for lab in f["centres"]["runs"]:
            pr = is_pruned(f["centres"], lab)
            for i in f["centres"]["runs"][lab]:
                g = {m: f[m]["runs"][lab][i] for m in METHODS}
                d = g["centres"]["traj_dev"][:]
                b = {m: g[m]["traj_dev_bound"][:] for m in METHODS}
                ok = ~np.isnan(b["centres"])
                rows += int(ok.sum())
                for m in METHODS:
                    mm = np.isfinite(d) & ~np.isnan(b[m])
                    viol[m] += int(np.sum(d[mm] > b[m][mm] + ALLOW))
                    fin[m] += int(np.sum(np.isfinite(b[m][ok])))
                both = (ok & np.isfinite(b["differential"]) & np.isfinite(b["centres"]) &
                        (b["centres"] > 0) & (d > 1e-9))
                below = int(np.sum(b["tighter"][ok] < b["centres"][ok]))
                if pr:
                    ratios.extend(list(b["differential"][both] / b["centres"][both]))
                    tight_pr += below
                else:
                    tight_id += below
                rows_diff += int(g["tighter"].attrs["tube_rows_differential"])
        print("%s: %d rows; run time centres %.2f s, differential %.2f s, tighter %.2f s" %
              (name, rows, times["centres"], times["differential"], times["tighter"]))
        print("  violations: centres %d, differential %d, tighter %d" %
              (viol["centres"], viol["differential"], viol["tighter"]))
        print("  finite rows: centres %d, differential %d, tighter %d" %
              (fin["centres"], fin["differential"], fin["tighter"]))
        if ratios:
            print("  differential / centres over %d rows of pruned variants: min %.4g, median "
                  "%.4g, max %.4g" % (len(ratios), min(ratios), np.median(ratios), max(ratios)))
        print("  tighter below centres: %d rows of the unpruned variant, %d rows of pruned "
              "variants; tube_rows_differential summed: %d" % (tight_id, tight_pr, rows_diff))


if __name__ == "__main__":
    main()
