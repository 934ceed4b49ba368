"""Issue 14's three reproductions against the CLI (bench/issue14/run):

1. `bound` on a 200 x 200 linear layer pruned 50 % by magnitude, at states
   along the top right singular vector of dW (where the bound is attained):
   no violation, and the recorded ||dW||_2 is not below LAPACK's.
2. `certify --radius 1` on that layer, for eps just below, at and just above
   ||dW||_2 at 50 %: the certified sparsity is the brute force over the 1 %
   grid (sup over the unit ball of ||dW x|| is ||dW||_2 exactly).
3. `run configs/arch/tora.cfg` (the ARCH TORA controller, 100 x 100 layers):
   every recorded dev_bound against formula (3) of docs/BOUNDS.md evaluated
   with NumPy's (LAPACK's) spectral norms: never below it.

    python3 check.py PRUNEBOUND WORK_DIR REPO_ROOT
Prints one line per check; exit status 1 when a check fails."""
import json
import subprocess
import sys

import h5py
import numpy as np


def write_linear(path, W):
    with h5py.File(path, "w") as f:
        f.attrs["format"], f.attrs["format_version"] = "prunebound-mlp", 1
        g = f.create_group("layers/1")
        g["W"], g["b"] = W, np.zeros(W.shape[0])
        g.attrs["activation"] = "linear"


def run(exe, *args):
    r = subprocess.run([exe, *args], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def main(exe, d, root):
    fails = []
    rng = np.random.default_rng(2025)
    W = rng.normal(size=(200, 200)) / np.sqrt(200)
    write_linear(f"{d}/l200.h5", W)
    rc, _, err = run(exe, "prune", "-m", f"{d}/l200.h5", "--method", "magnitude", "--sparsity",
                     "0.5", "-o", f"{d}/p200.h5")
    if rc:
        sys.exit(f"prune failed: {err}")
    with h5py.File(f"{d}/p200.h5") as f:
        dW = f["layers/1/W"][()] - W
    _, S, Vt = np.linalg.svd(dW)
    X = np.vstack([Vt[0], -Vt[0], 10 * Vt[0], 1e-3 * Vt[0]]
                  + [Vt[0] + 1e-3 * rng.normal(size=200) for _ in range(46)])
    with h5py.File(f"{d}/s200.h5", "w") as f:
        f["states"] = X
    rc, _, err = run(exe, "bound", "-m", f"{d}/l200.h5", "-p", f"{d}/p200.h5", "-s",
                     f"{d}/s200.h5", "-o", f"{d}/r200.h5")
    with h5py.File(f"{d}/r200.h5") as f:
        a, b = f["dev_actual"][()], f["dev_bound"][()]
        viol, att = f.attrs["violations"], f.attrs["attained_to_rounding"]
        dWr = float(np.ravel(f.attrs["dW_spectral_norm"])[0])
    print(f"1. bound 200 x 200, 50 states along the top singular vector of dW: exit {rc}, "
          f"violations {viol}, attained to rounding {att}, max dev_actual / dev_bound "
          f"{(a / b).max():.12f}; recorded ||dW||_2 / LAPACK's - 1 = {dWr / S[0] - 1:.2e}")
    if rc or viol or not dWr >= S[0]:
        fails.append("bound 200 x 200")

    def dWn(p):
        k = int(np.floor(p / 100 * W.size + 1e-9))
        idx = np.argsort(np.abs(W).ravel(), kind="stable")[:k]
        D = np.zeros(W.size)
        D[idx] = W.ravel()[idx]
        return np.linalg.norm(D.reshape(W.shape), 2)

    for eps in (dWn(50) / 1.02, dWn(50) * (1 - 1e-9), dWn(50) * (1 + 1e-9)):
        rc, out, err = run(exe, "certify", "-m", f"{d}/l200.h5", "--eps", repr(eps), "--radius",
                           "1", "--method", "magnitude", "--json")
        s = json.loads(out)["methods"][0]["per_layer"][0]["sparsity"] if rc == 0 else -1
        p = int(round(100 * s))
        brute = max(q for q in range(100) if dWn(q) <= eps)
        print(f"2. certify --radius 1, eps {eps:.12g}: certified {p} %, brute force {brute} %, "
              f"deviation sup at {p} % = {dWn(p) / eps:.9f} eps")
        if rc or p != brute or dWn(p) > eps:
            fails.append(f"certify at eps {eps!r}")

    rc, _, err = run(exe, "run", f"{root}/configs/arch/tora.cfg", "-o", f"{d}/tora.h5")
    if rc:
        fails.append(f"run tora: {err}")
    else:
        lo, hi, n = np.inf, -np.inf, 0
        with h5py.File(f"{d}/tora.h5") as f:
            pols = f["policies"]

            def net(g):
                return [(g[f"layers/{k}/W"][()], g[f"layers/{k}/b"][()])
                        for k in range(1, len(g["layers"]) + 1)]

            orig = net(pols["original"])
            for v in f["runs"]:
                pr = net(pols[v])
                dWs = [np.linalg.norm(p[0] - o[0], 2) for o, p in zip(orig, pr)]
                dbs = [np.linalg.norm(p[1] - o[1]) for o, p in zip(orig, pr)]
                Wn = [np.linalg.norm(p[0], 2) for p in pr]
                D = [np.prod(Wn[k + 1:]) for k in range(len(pr))]  # ReLU everywhere: l_k = 1
                g = np.abs(pols[v]["output/scale"][()]).max()
                if max(dWs) == 0 and max(dbs) == 0:
                    continue
                for sc in f["runs"][v].values():
                    for sk, bk in (("s_pruned", "dev_bound"), ("s_orig", "dev_bound_at_orig")):
                        for s, bound in zip(sc[sk][()], sc[bk][()]):
                            if not (np.isfinite(bound) and np.all(np.isfinite(s))):
                                continue
                            h, hs = s, []
                            for Wk, bk_ in orig:
                                hs.append(h)
                                h = np.maximum(Wk @ h + bk_, 0)
                            ref = g * sum(D[k] * (dWs[k] * np.linalg.norm(hs[k]) + dbs[k])
                                          for k in range(len(pr)))
                            lo, hi, n = min(lo, bound / ref - 1), max(hi, bound / ref - 1), n + 1
        print(f"3. ARCH TORA, {n} recorded dev_bound values / formula (3) with LAPACK's norms - 1: "
              f"min {lo:.3g}, max {hi:.3g}")
        if not lo >= 0:
            fails.append("tora bound below formula (3)")
    for x in fails:
        print("FAILED:", x)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
