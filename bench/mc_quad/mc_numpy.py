"""Batched NumPy peer of `prunebound montecarlo bench/mc_quad.cfg` (common.py
says what it computes).
Both loops of a chunk of samples in one (12 x 2n) structure-of-arrays state;
each layer one matrix product over the chunk (NumPy's BLAS).
usage: mc_numpy.py ORIGINAL.h5 PRUNED.h5 RESULTS.h5 [N]"""
import sys

import numpy as np

import common as c

CHUNK = 2048


def rhs(X, U):
    """quadrotor_arch, term for term as plants/quadrotor_beard.h."""
    sf, cf, st, ct = np.sin(X[6]), np.cos(X[6]), np.sin(X[7]), np.cos(X[7])
    sps, cps = np.sin(X[8]), np.cos(X[8])
    u, v, w, pr, qr, rr = X[3], X[4], X[5], X[9], X[10], X[11]
    F = c.G + U[0] / c.MASS
    d = np.empty_like(X)
    d[0] = ct * cps * u + (sf * st * cps - cf * sps) * v + (cf * st * cps + sf * sps) * w
    d[1] = ct * sps * u + (sf * st * sps + cf * cps) * v + (cf * st * sps - sf * cps) * w
    d[2] = st * u - sf * ct * v - cf * ct * w
    d[3] = rr * v - qr * w - c.G * st
    d[4] = pr * w - rr * u + c.G * ct * sf
    d[5] = qr * u - pr * v + c.G * ct * cf - F
    d[6] = pr + (sf * qr + cf * rr) * st / ct
    d[7] = cf * qr - sf * rr
    d[8] = (sf * qr + cf * rr) / ct
    d[9] = (c.JY - c.JZ) / c.JX * qr * rr + U[1] / c.JX
    d[10] = (c.JZ - c.JX) / c.JY * pr * rr + U[2] / c.JY
    d[11] = (c.JX - c.JY) / c.JZ * pr * qr
    return d


def rk4(X, U, h):
    k = rhs(X, U)
    acc = k.copy()
    k = rhs(X + 0.5 * h * k, U)
    acc += 2.0 * k
    k = rhs(X + 0.5 * h * k, U)
    acc += 2.0 * k
    k = rhs(X + h * k, U)
    acc += k
    return X + (h / 6.0) * acc


def forward(net, H, norms=None):
    for k, (W, b, act) in enumerate(net):
        if norms is not None:
            norms[:, k] = np.sqrt(np.einsum("ij,ij->i", H, H))
        Z = H @ W.T + b
        H = 1.0 / (1.0 + np.exp(-Z)) if act == "sigmoid" else Z
    return H


def valid(X):
    return np.all(np.isfinite(X) & (np.abs(X) <= c.LIM[:, None]), axis=0)


def run_chunk(orig, pruned, consts, X0):
    down, dW, db = consts
    n = len(X0)
    h = c.PERIOD / c.SUBSTEPS
    X = np.concatenate([X0.T, X0.T], axis=1)
    div = np.where(valid(X), -1, 0)
    dev, bnd, traj = np.zeros(n), np.zeros(n), np.zeros(n)
    hn = np.empty((2 * n, len(orig)))
    for k in range(c.N_STEPS + 1):
        S = np.ascontiguousarray(X.T)
        Uo = forward(orig, S, hn)
        Up = forward(pruned, S[n:])
        alive_p, alive_o = div[n:] < 0, div[:n] < 0
        actual = np.sqrt(((Uo[n:] - Up) ** 2).sum(axis=1))
        bound = ((dW * hn[n:] + db) * down).sum(axis=1)
        dev = np.where(alive_p, np.maximum(dev, actual), dev)
        bnd = np.where(alive_p, np.maximum(bnd, bound), bnd)
        td = np.sqrt(((X[:, :n] - X[:, n:]) ** 2).sum(axis=0))
        traj = np.where(alive_p & alive_o, np.maximum(traj, td), traj)
        if k == c.N_STEPS:
            break
        U = np.ascontiguousarray(np.concatenate([Uo[:n], Up]).T)
        Xb = X.copy()
        for q in range(c.SUBSTEPS):
            X = rk4(X, U, h)
            div[(div < 0) & ~valid(X)] = k + 1
        dead = div >= 0
        X[:, dead] = Xb[:, dead]
    X[:, div >= 0] = np.nan
    return X[:, :n].T, X[:, n:].T, dev, bnd, traj


def run(orig, pruned, consts, X0):
    parts = [run_chunk(orig, pruned, consts, X0[i:i + CHUNK]) for i in range(0, len(X0), CHUNK)]
    return [np.concatenate(p) for p in zip(*parts)]


def main():
    orig, pruned, X0, ref = c.load_inputs(sys.argv)
    consts = c.bound_constants(orig, pruned)
    with np.errstate(all="ignore"):
        t, out = c.best_of(lambda: run(orig, pruned, consts, X0), 1)
    ok = c.check("numpy", *out, ref)
    c.report("numpy", len(X0), t, ok)


if __name__ == "__main__":
    main()
