#!/usr/bin/env python3
"""Train a small policy in NumPy, prune it three ways, bound the deviations
and plot them (matplotlib, when present).

The policy imitates the pendulum's linear feedback u = -K x with a 2-32-32-1
tanh network, trained by plain gradient descent in NumPy; prunebound then
prunes it by magnitude, OBS and SparseGPT at 50 %, and computes on held-out
states the actual action deviation and its certified bound for each.

    PYTHONPATH=build/python python3 examples/train_prune_bound.py [--out DIR]
"""

import argparse
import os

import numpy as np

import prunebound as pb


def train(rng, X, Y, sizes=(2, 32, 32, 1), steps=1500, lr=0.05):
    """Full-batch gradient descent with Adam on the mean squared error."""
    Ws = [rng.normal(size=(sizes[k + 1], sizes[k])) / np.sqrt(sizes[k])
          for k in range(len(sizes) - 1)]
    bs = [np.zeros(sizes[k + 1]) for k in range(len(sizes) - 1)]
    params = Ws + bs
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, steps + 1):
        hs = [X]
        for k, (W, b) in enumerate(zip(Ws, bs)):
            z = hs[-1] @ W.T + b
            hs.append(np.tanh(z) if k < len(Ws) - 1 else z)
        g = 2 * (hs[-1] - Y) / len(X)
        gW, gb = [None] * len(Ws), [None] * len(Ws)
        for k in reversed(range(len(Ws))):
            gW[k], gb[k] = g.T @ hs[k], g.sum(0)
            if k:
                g = (g @ Ws[k]) * (1 - hs[k] ** 2)
        for i, (p, gp) in enumerate(zip(params, gW + gb)):
            m[i] = 0.9 * m[i] + 0.1 * gp
            v[i] = 0.999 * v[i] + 0.001 * gp * gp
            p -= lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    loss = float(np.mean((hs[-1] - Y) ** 2))
    return [(W, b, "tanh") for W, b in zip(Ws[:-1], bs[:-1])] + [(Ws[-1], bs[-1], "linear")], loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=".", help="folder for policy.h5 and bounds.png")
    ap.add_argument("--steps", type=int, default=1500)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    rng = np.random.default_rng(0)
    K = np.array([[12.0, 4.0]])                       # an expert's feedback gain
    X = rng.uniform([-1, -2], [1, 2], size=(2000, 2))
    layers, loss = train(rng, X, -X @ K.T, steps=args.steps)
    policy = pb.Policy.from_layers(layers)
    policy.save(os.path.join(args.out, "policy.h5"))
    print("trained %s, mse %.3g" % (policy, loss))

    test = rng.uniform([-1, -2], [1, 2], size=(1000, 2))
    results = {}
    for method in ("magnitude", "obs", "sparsegpt"):
        pruned = pb.prune(policy, X[:256], method, 0.5)
        b = pb.bound(policy, pruned, test)
        results[method] = b
        print("%-10s sparsity %.2f  max deviation %.4g  max bound %.4g  violations %d"
              % (method, pruned.sparsity, b["max_dev_actual"], b["max_dev_bound"],
                 b["violations"]))

    cert = pb.certify(policy, eps=5.0, box=[(-1, 1), (-2, 2)], methods=["magnitude", "sparsegpt"])
    for name, r in cert["methods"].items():
        print("certified at eps 5: %-10s all layers %.0f %%"
              % (name, 100 * r["all_selected"]["sparsity"]))

    try:
        import matplotlib
        matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for method, b in results.items():
        order = np.argsort(b["dev_bound"])
        ax.plot(b["dev_bound"][order], b["dev_actual"][order], ".", ms=2, label=method)
    lim = max(b["max_dev_bound"] for b in results.values())
    ax.plot([0, lim], [0, lim], "k--", lw=0.8, label="bound = deviation")
    ax.set_xlabel("certified bound on ||pi(x) - pi_pruned(x)||")
    ax.set_ylabel("actual deviation")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(args.out, "bounds.png")
    fig.savefig(path, dpi=100)
    print("plot:", path)


if __name__ == "__main__":
    main()
