#!/usr/bin/python3
"""`prunebound run` of every shipped config against an older build, interleaved.

    bench/run_baseline.py OLD_TREE NEW_TREE [--old-exe E] [--new-exe E] [--reps 11]

OLD_TREE and NEW_TREE are source trees (a `git worktree` of the older commit
and this one); each one's binary is TREE/build-rel/prunebound unless given.  For every config that
both trees ship (configs/*.cfg, configs/arch/*.cfg), each binary runs its own
tree's config (the syntax may differ between commits), the two alternating
REPS times so that the machine's drift falls on both alike.  Prints the
median and the minimum wall time of each, in seconds, and new / old of the
medians.  A command that fails stops the comparison (exit 1).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def wall(cmd, cwd):
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--old-exe")
    ap.add_argument("--new-exe")
    ap.add_argument("--reps", type=int, default=11)
    a = ap.parse_args()
    trees = {k: os.path.abspath(v) for k, v in (("old", a.old), ("new", a.new))}
    exe = {k: os.path.abspath(getattr(a, k + "_exe") or os.path.join(t, "build-rel", "prunebound"))
           for k, t in trees.items()}
    for k, e in exe.items():
        if not os.access(e, os.X_OK):
            sys.exit("run_baseline.py: %s missing (build the %s tree first)" % (e, k))
    configs = []
    for sub in ("configs", "configs/arch"):
        names = set(os.listdir(os.path.join(trees["new"], sub)))
        old = set(os.listdir(os.path.join(trees["old"], sub)))
        configs += [os.path.join(sub, n) for n in sorted(names & old) if n.endswith(".cfg")]
    print("%-28s %9s %9s %9s %9s %8s" % ("config", "old med", "old min", "new med", "new min",
                                          "new/old"))
    with tempfile.TemporaryDirectory() as tmp:
        for cfg in configs:
            t = {"old": [], "new": []}
            for _ in range(a.reps):
                for k in ("old", "new"):
                    out = os.path.join(tmp, k + ".h5")
                    try:
                        t[k].append(wall([exe[k], "run", cfg, "-o", out], trees[k]))
                    except subprocess.CalledProcessError as e:
                        sys.exit("run_baseline.py: %s run %s failed:\n%s"
                                 % (k, cfg, e.stderr.decode(errors="replace")))
            med = {k: statistics.median(v) for k, v in t.items()}
            print("%-28s %9.3f %9.3f %9.3f %9.3f %8.3f" % (
                cfg[len("configs/"):], med["old"], min(t["old"]), med["new"], min(t["new"]),
                med["new"] / med["old"]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
