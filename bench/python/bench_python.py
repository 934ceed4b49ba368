#!/usr/bin/env python3
"""The Python module against the C library alone on the same work:
policy(X) on 10^5 states and bound on 10^4 states (bench_python_c.c does
the C side), best of 5 each, on a shipped policy.

    PYTHONPATH=build/python python3 bench/python/bench_python.py build/bench_python_c \
        configs/policies/quadrotor.h5
"""

import json
import subprocess
import sys
import time

import numpy as np

import prunebound as pb


def best(f, reps=5):
    t = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t


def main():
    exe, policy_path = sys.argv[1], sys.argv[2]
    c = json.loads(subprocess.run([exe, policy_path], check=True, capture_output=True,
                                  text=True).stdout)
    p = pb.Policy.load(policy_path)
    q = pb.prune(p, None, "magnitude", 0.5)
    X = np.random.default_rng(0).uniform(-1, 1, size=(100000, p.n_in))
    t_eval = best(lambda: p(X))
    Xb = X[:10000].copy()
    t_bound = best(lambda: pb.bound(p, q, Xb))
    print("policy %s" % p)
    print("%-22s %10s %10s %7s" % ("work", "C (s)", "Python (s)", "ratio"))
    for name, tc, tp in (("policy(X), 1e5 states", c["eval_1e5"], t_eval),
                         ("bound, 1e4 states", c["bound_1e4"], t_bound)):
        print("%-22s %10.4f %10.4f %7.2f" % (name, tc, tp, tp / tc))


if __name__ == "__main__":
    main()
