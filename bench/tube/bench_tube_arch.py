#!/usr/bin/python3
"""bench/tube/bench_tube_arch.py: the tube on the other ARCH-COMP configs
(docs/TUBE.md section 4, "The other ARCH plants").

    bench/tube/bench_tube_arch.py [BUILD_DIR] [OUT_DIR] [CONFIG...]
        (defaults: build, /tmp/pb_bench_tube_arch, every config below)

For each configs/arch/<CONFIG>.cfg (and the shipped configs of SHIPPED,
configs/<file>.cfg): two copies in OUT_DIR with the policy paths made
absolute and a SparseGPT s = 0.25 variant added where the config has none (the
issue's targets name magnitude and SparseGPT at 0.25 and 0.5), one plain and
one with `tube = true` added to its bounds group (--set changes only keys
that exist); one `prunebound run` of each, timed once.  From the tube run's results file (h5py), over every
variant and scenario:
  - rows: the recorded rows (traj_dev finite, traj_dev_bound not NaN);
  - above: rows with traj_dev > traj_dev_bound (no allowance), and beyond the
    1e-8 of TUBE_RECORD_ALLOWANCE;
  - informative to the end: runs with tube_uninformative_step = -1, and
    min / median / max of that step over the others;
  - +inf: runs whose tube becomes infinite, and min / median / max of the
    first infinite row;
  - the median over runs of the median traj_dev_bound / traj_dev over the
    finite rows with traj_dev > 1e-6, and the smallest relative margin
    (bound - traj_dev) / traj_dev there.
A config whose tube run fails prints its message in place of the numbers.
The figure of scenario 0 (`prunebound plot`, tube_0.png) is copied to
OUT_DIR/<CONFIG>_tube_0.png.
"""
import os
import re
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

CONFIGS = ["docking", "double_pendulum_more_robust", "double_pendulum_less_robust", "acc",
           "unicycle", "attitude_control", "airplane", "quadrotor", "shipped_quadrotor"]
# Shipped (non-ARCH) configs run by this bench: name -> configs/<file>.cfg.
SHIPPED = {"shipped_quadrotor": "quadrotor"}


def timed(cmd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    return time.monotonic() - t0, p


def summary(path):
    f = h5py.File(path, "r")
    rows = above = beyond = runs = never = n_inf = steps_n = 0
    steps, first_inf, ratios, margins, per = [], [], [], [], {}
    for label in f["runs"]:
        for i in f["runs"][label]:
            g = f["runs"][label][i]
            d, b = g["traj_dev"][:], g["traj_dev_bound"][:]
            runs += 1
            steps_n = max(steps_n, len(d) - 1)
            ok = np.isfinite(d) & ~np.isnan(b)
            rows += int(ok.sum())
            above += int((d[ok] > b[ok]).sum())
            beyond += int((d[ok] > b[ok] + 1e-8).sum())
            s = int(g.attrs["tube_uninformative_step"])
            per[label] = per.get(label, 0) + (s < 0)
            if s < 0:
                never += 1
            else:
                steps.append(s)
            if np.isinf(b).any():
                n_inf += 1
                first_inf.append(int(np.argmax(np.isinf(b))))
            fin = ok & np.isfinite(b) & (d > 1e-6)
            if fin.any():
                ratios.append(np.median(b[fin] / d[fin]))
                margins.append(np.min((b[fin] - d[fin]) / d[fin]))
    q = lambda v: "%d / %d / %d" % (min(v), np.median(v), max(v)) if v else "-"
    return (runs, steps_n, rows, above, beyond, never, q(steps), n_inf, q(first_inf),
            np.median(ratios) if ratios else float("nan"),
            min(margins) if margins else float("nan"), per)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/pb_bench_tube_arch"
    configs = sys.argv[3:] or CONFIGS
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    exe = os.path.join(os.path.abspath(build), "prunebound")
    shared = os.path.realpath(os.path.join(src, "..", "shared"))
    os.makedirs(out, exist_ok=True)
    print("| config | runs x steps | rows | above the tube (beyond 1e-8) | informative to the end "
          "| else uninformative from step (min / median / max) | runs with +inf (first row "
          "min / median / max) | median bound/drift | smallest margin | tube / plain (s) "
          "| cost |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for c in configs:
        if c in SHIPPED:
            cfg = os.path.join(src, "configs", SHIPPED[c] + ".cfg")
            text = open(cfg).read().replace('"policies/', '"%s/configs/policies/' % src)
        else:
            cfg = os.path.join(src, "configs", "arch", c + ".cfg")
            text = open(cfg).read().replace('"../../../shared/', '"%s/' % shared)
        if not re.search(r'method = "sparsegpt"; sparsity = \[[^]]*0\.25', text):
            text = text.replace("pruning = (", 'pruning = (\n  { method = "sparsegpt"; '
                                'sparsity = [0.25]; },', 1)
        pcfg = os.path.join(out, c + "_plain.cfg")
        open(pcfg, "w").write(text)
        text = text.replace("\nbounds = {", "\nbounds = { tube = true;", 1)
        tcfg = os.path.join(out, c + ".cfg")
        open(tcfg, "w").write(text)
        t_plain, p = timed([exe, "run", pcfg, "-o", os.path.join(out, c + "_plain.h5"), "-q"])
        if p.returncode:
            print("| %s | plain run failed: %s |" % (c, p.stderr.strip()))
            continue
        h5 = os.path.join(out, c + "_tube.h5")
        t_tube, p = timed([exe, "run", tcfg, "-o", h5, "-q"])
        if p.returncode:
            print("| %s | tube refused: %s |" % (c, p.stderr.strip().splitlines()[-1]))
            continue
        (runs, steps_n, rows, above, beyond, never, steps, n_inf, first_inf, ratio, margin,
         per) = summary(h5)
        print("| %s | %d x %d | %d | %d (%d) | %d | %s | %d (%s) | %.4g | %.3g | %.1f / %.2f | %.0fx |"
              % (c, runs, steps_n, rows, above, beyond, never, steps, n_inf, first_inf, ratio,
                 margin, t_tube, t_plain, t_tube / t_plain))
        notes.append("%s: informative to the end per variant: %s" %
                     (c, ", ".join("%s %d" % kv for kv in per.items())))
        # the figure of scenario 0 (docs/TUBE.md section 5)
        pdir = os.path.join(out, c + "_plots")
        subprocess.run([exe, "plot", h5, "-o", pdir, "--scenarios", "0"], capture_output=True)
        if os.path.exists(os.path.join(pdir, "tube_0.png")):
            shutil.copy(os.path.join(pdir, "tube_0.png"), os.path.join(out, c + "_tube_0.png"))
        sys.stdout.flush()
    print()
    for n in notes:
        print(n)


if __name__ == "__main__":
    main()
