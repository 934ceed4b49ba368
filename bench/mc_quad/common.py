"""Shared parts of the Python peers of `prunebound montecarlo bench/mc_quad.cfg`
(bench/README.md, docs/PERFORMANCE.md).

The peers compute what that command computes (the engine of sim/engine/sim.h): for each
initial state, the ARCH-COMP QUAD controller and its pruned twin each close
the loop around quadrotor_arch (Beard 2008 body-frame form, defaults of
plants/quadrotor_arch.c) for 50 periods of 0.1 s, classic RK4 with 10
substeps; at every row k = 0..50 of the pruned loop the actual deviation
||pi(s) - pi^(s)|| and the multi-layer forward-pass bound
g * sum_k D^_k (||dW_k|| ||h_k(s)|| + ||db_k||) (docs/BOUNDS.md section 4,
Shamrai arXiv:2507.02953; prunebound evaluates it in certified arithmetic,
rounded upward); a loop that leaves the state
limits (|pos|, |vel|, |rate| <= 1000, |phi|, |theta| <= 1.5) or becomes
non-finite during a period is frozen at the period's start and ignored from
the next row on, but still carried through the computation (same work per
traj-step as the C engine).

Weights come from the prunebound policy files through h5py; the initial
states and the results to check against from the command's results file
(/samples/x0 and /summary).
"""
import sys
import time

import h5py
import numpy as np

N_STEPS, SUBSTEPS, PERIOD = 50, 10, 0.1
# quadrotor_arch defaults: m, Jx, Jy, Jz, g
MASS, JX, JY, JZ, G = 1.4, 0.054, 0.054, 0.104, 9.81
LIM = np.array([1000.0] * 6 + [1.5, 1.5, np.inf] + [1000.0] * 3)

LIP = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "linear": 1.0, "hardtanh": 1.0}


def load_policy(path):
    """[(W (n_out x n_in), b, activation)] of a prunebound policy file."""
    with h5py.File(path, "r") as f:
        if "input" in f or "output" in f:
            sys.exit(f"{path}: input/output maps are not handled by the peers")
        layers = []
        for k in range(1, len(f["layers"]) + 1):
            g = f["layers"][str(k)]
            act = g.attrs["activation"]
            act = act.decode() if isinstance(act, bytes) else str(act)
            if act not in ("sigmoid", "linear"):
                sys.exit(f"{path}: activation {act} not handled by the peers")
            layers.append((np.ascontiguousarray(g["W"][...], dtype=np.float64),
                           np.ascontiguousarray(g["b"][...], dtype=np.float64), act))
    return layers


def bound_constants(orig, pruned):
    """coef[k] = g D^_k (gain g = 1: no output map) of the pruned network,
    dW[k] = ||W^_k - W_k||_2, db[k] = ||b^_k - b_k|| (bounds.c)."""
    L = len(pruned)
    down = np.zeros(L)
    p = 1.0
    for k in reversed(range(L)):
        W, _, act = pruned[k]
        down[k] = LIP[act] * p
        p *= LIP[act] * np.linalg.norm(W, 2)
    dW = np.array([np.linalg.norm(pruned[k][0] - orig[k][0], 2) for k in range(L)])
    db = np.array([np.linalg.norm(pruned[k][1] - orig[k][1]) for k in range(L)])
    return down, dW, db


def load_inputs(argv):
    """orig, pruned, X0 (n x 12), ref rows (n x 3: max deviation, max bound,
    max trajectory distance per sample) from the command line ORIGINAL.h5
    PRUNED.h5 RESULTS.h5 [N] (RESULTS.h5 from prunebound montecarlo)."""
    orig, pruned = load_policy(argv[1]), load_policy(argv[2])
    with h5py.File(argv[3], "r") as f:
        X0 = f["samples/x0"][...]
        s = f["summary"][...]
    s = s[s["variant"] == 0]
    ref = np.column_stack([s["max_dev_actual"], s["max_dev_bound"], s["max_traj_dev"]])
    if len(argv) > 4:
        X0, ref = X0[: int(argv[4])], ref[: int(argv[4])]
    return orig, pruned, X0, ref


def check(name, xfo, xfp, dev, bnd, traj, ref, rtol=1e-9):
    """Compares every sample's max deviation, max bound and max trajectory
    distance with prunebound's rows (ref) to rtol (prunebound's bound is
    rounded upward, so it may exceed the plain float64 one by a few ulps);
    exits non-zero on a mismatch."""
    k = min(len(ref), len(dev))
    got = np.column_stack([dev[:k], bnd[:k], traj[:k]])
    want = ref[:k]
    same_nan = np.array_equal(np.isnan(got), np.isnan(want))
    scale = np.maximum(np.abs(want), 1.0)
    err = np.where(np.isnan(want), 0.0, np.abs(np.nan_to_num(got) - np.nan_to_num(want)) / scale)
    worst = float(err.max()) if err.size else 0.0
    ok = same_nan and worst <= rtol
    print(f"{name}_check {'ok' if ok else 'FAILED'} ({k} samples, max rel diff {worst:.2e}, "
          f"NaN pattern {'equal' if same_nan else 'differs'})")
    return ok


def report(name, n, seconds, ok):
    print(f"{name}_traj_steps_per_s {n * N_STEPS / seconds:.6g}")
    print(f"{name}_seconds {seconds:.4f}")
    sys.exit(0 if ok else 1)


def best_of(fn, reps):
    best, out = np.inf, None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
