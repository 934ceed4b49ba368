#!/usr/bin/python3
"""bench/tube/bench_tube.py: the targets of the certified tube (docs/TUBE.md).

    bench/tube/bench_tube.py [BUILD_DIR] [OUT_DIR]      (defaults: build, /tmp/pb_bench_tube)

For the pendulum, the ARCH-COMP single pendulum, the cart-pole, the
ARCH-COMP cart-pole and the ARCH-COMP TORA (the ARCH ones when their
benchmark files are present), each config is run twice with `prunebound run`: with bounds.tube = true and
without (a plain run of the same config), with a SparseGPT s = 0.25 variant
added to its pruning list (the targets name magnitude and SparseGPT at
sparsity 0.25 and 0.5).  From the results files (h5py) it reports, per config:
  - violations: rows where traj_dev > traj_dev_bound (every variant, every
    scenario, every recorded row; the recorded runs are rk8pd at 1e-10, the
    tube bounds the exact flows: a row counts when traj_dev exceeds the bound
    by more than TUBE_RECORD_ALLOWANCE = 1e-8);
  - the median of traj_dev_bound / traj_dev over the first half of the
    horizon (rows with traj_dev > 0), per target variant (magnitude and
    SparseGPT at 0.25 and 0.5), and its worst case over those variants;
  - the smallest relative margin (bound - traj_dev) / traj_dev (no allowance);
  - whether the tube is finite over the whole horizon for those variants;
  - the wall time of the tube run over the plain run (same machine, same
    config), and the tube figures (`prunebound plot`, tube_0.png) copied into
    OUT_DIR/<config>_tube_0.png.
Prints a markdown table (the one in docs/TUBE.md).
"""
import os
import re
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
OUT = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "/tmp/pb_bench_tube")
PB = os.path.join(BUILD, "prunebound")
ALLOW = 1e-8
CONFIGS = [("pendulum", "configs/pendulum.cfg"),
           ("arch_single_pendulum", "configs/arch/single_pendulum.cfg"),
           ("cartpole", "configs/cartpole.cfg"),
           ("arch_cartpole", "configs/arch/cartpole.cfg"),
           ("arch_tora", "configs/arch/tora.cfg")]
TARGETS = [("magnitude", 0.25), ("magnitude", 0.5), ("sparsegpt", 0.25), ("sparsegpt", 0.5)]


def make_config(src, dst, tube):
    """The config with absolute paths, bounds.tube set and SparseGPT 0.25 added."""
    d = os.path.dirname(os.path.join(ROOT, src))
    text = open(os.path.join(ROOT, src)).read()
    text = re.sub(r'file = "([^"/][^"]*)"',
                  lambda m: 'file = "%s"' % os.path.normpath(os.path.join(d, m.group(1))), text)
    text = re.sub(r"tube = (true|false);", "tube = %s;" % ("true" if tube else "false"), text)
    text = text.replace("pruning = (", 'pruning = (\n  { method = "sparsegpt"; sparsity = [0.25]; },', 1)
    open(dst, "w").write(text)


def benchmark_present(src):
    """False when a file the config imports (the ARCH-COMP networks) is absent."""
    d = os.path.dirname(os.path.join(ROOT, src))
    text = open(os.path.join(ROOT, src)).read()
    return all(os.path.exists(os.path.normpath(os.path.join(d, m)))
               for m in re.findall(r'^[^#]*file = "(\.\./[^"]*)"', text, re.M))


def run(cfg, out):
    t0 = time.perf_counter()
    p = subprocess.run([PB, "run", cfg, "-o", out], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (cfg, p.stdout, p.stderr))
    return dt


def analyse(h5):
    f = h5py.File(h5, "r")
    viol = rows = 0
    margin = np.inf
    ratios, finite = {}, {}
    for lab in f["runs"]:
        for i in f["runs"][lab]:
            g = f["runs"][lab][i]
            d, b = g["traj_dev"][:], g["traj_dev_bound"][:]
            m = np.isfinite(d) & ~np.isnan(b)
            rows += int(m.sum())
            viol += int(np.sum(d[m] > b[m] + ALLOW))
            q = m & np.isfinite(b) & (d > 1e-6)
            if q.any():
                margin = min(margin, float(np.min((b[q] - d[q]) / d[q])))
            ratios.setdefault(lab, [])
            n = len(d)
            h = (np.arange(n) < n // 2) & (d > 0) & np.isfinite(b)
            ratios[lab].extend(list(b[h] / d[h]))
            finite[lab] = finite.get(lab, True) and bool(np.all(np.isfinite(b[m])))
    return f, viol, rows, ratios, finite, margin


def label_of(f, meth, sp):
    for row in f["summary"][:]:
        m = row["method"].decode() if isinstance(row["method"], bytes) else row["method"]
        pat = row["pattern"].decode() if isinstance(row["pattern"], bytes) else row["pattern"]
        if m == meth and abs(row["sparsity"] - sp) < 1e-9 and pat == "unstructured":
            lab = row["label"]
            return lab.decode() if isinstance(lab, bytes) else lab
    return None


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = ["| config | rows | violations | median bound/drift, 1st half (worst of targets) | "
             "finite over the horizon (targets) | tube run / plain run (s) | cost |",
             "|---|---|---|---|---|---|---|"]
    detail = []
    for name, src in CONFIGS:
        if not benchmark_present(src):
            detail.append("%s: skipped, its benchmark files are absent" % name)
            continue
        c1, c0 = os.path.join(OUT, name + "_tube.cfg"), os.path.join(OUT, name + "_plain.cfg")
        make_config(src, c1, True)
        make_config(src, c0, False)
        h1, h0 = os.path.join(OUT, name + "_tube.h5"), os.path.join(OUT, name + "_plain.h5")
        t0 = run(c0, h0)
        t1 = run(c1, h1)
        f, viol, rows, ratios, finite, margin = analyse(h1)
        detail.append("%s: smallest (traj_dev_bound - traj_dev) / traj_dev over rows with "
                      "traj_dev > 1e-6: %.3g" % (name, margin))
        worst, allfin = 0.0, True
        for meth, sp in TARGETS:
            lab = label_of(f, meth, sp)
            if lab is None:
                detail.append("%s: no %s s=%.2f variant" % (name, meth, sp))
                continue
            med = float(np.median(ratios[lab])) if ratios[lab] else float("nan")
            worst = max(worst, med)
            allfin &= finite[lab]
            detail.append("%s %-18s median ratio %.4g, finite %s" % (name, lab, med, finite[lab]))
        fig = os.path.join(OUT, name + "_fig")
        shutil.rmtree(fig, ignore_errors=True)
        subprocess.run([PB, "plot", h1, "-o", fig], capture_output=True, check=True)
        shutil.copy(os.path.join(fig, "tube_0.png"), os.path.join(OUT, name + "_tube_0.png"))
        lines.append("| %s | %d | %d | %.4g | %s | %.2f / %.2f | %.1fx |" %
                     (name, rows, viol, worst, "yes" if allfin else "no", t1, t0, t1 / t0))
    print("\n".join(lines))
    print()
    print("\n".join(detail))


if __name__ == "__main__":
    main()
