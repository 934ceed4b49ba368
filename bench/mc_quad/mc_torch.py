"""Batched PyTorch peer of `prunebound montecarlo bench/mc_quad.cfg` (common.py
says what it computes),
float64 on the CPU with torch.set_num_threads(2): the same structure-of-
arrays batch as mc_numpy.py, in torch tensors under torch.inference_mode().
usage: mc_torch.py ORIGINAL.h5 PRUNED.h5 RESULTS.h5 [N]"""
import sys

import numpy as np
import torch

import common as c

CHUNK = 4096


def rhs(X, U):
    """quadrotor_arch, term for term as plants/quadrotor_beard.h."""
    sf, cf, st, ct = torch.sin(X[6]), torch.cos(X[6]), torch.sin(X[7]), torch.cos(X[7])
    sps, cps = torch.sin(X[8]), torch.cos(X[8])
    u, v, w, pr, qr, rr = X[3], X[4], X[5], X[9], X[10], X[11]
    F = c.G + U[0] / c.MASS
    return torch.stack([
        ct * cps * u + (sf * st * cps - cf * sps) * v + (cf * st * cps + sf * sps) * w,
        ct * sps * u + (sf * st * sps + cf * cps) * v + (cf * st * sps - sf * cps) * w,
        st * u - sf * ct * v - cf * ct * w,
        rr * v - qr * w - c.G * st,
        pr * w - rr * u + c.G * ct * sf,
        qr * u - pr * v + c.G * ct * cf - F,
        pr + (sf * qr + cf * rr) * st / ct,
        cf * qr - sf * rr,
        (sf * qr + cf * rr) / ct,
        (c.JY - c.JZ) / c.JX * qr * rr + U[1] / c.JX,
        (c.JZ - c.JX) / c.JY * pr * rr + U[2] / c.JY,
        (c.JX - c.JY) / c.JZ * pr * qr,
    ])


def rk4(X, U, h):
    k = rhs(X, U)
    acc = k.clone()
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
            norms[:, k] = torch.sqrt((H * H).sum(dim=1))
        Z = torch.addmm(b, H, W.t())
        H = torch.sigmoid(Z) if act == "sigmoid" else Z
    return H


def valid(X, lim):
    return torch.all(torch.isfinite(X) & (X.abs() <= lim), dim=0)


def run_chunk(orig, pruned, consts, X0, lim):
    down, dW, db = consts
    n = X0.shape[0]
    h = c.PERIOD / c.SUBSTEPS
    X = torch.cat([X0.t(), X0.t()], dim=1).contiguous()
    div = torch.where(valid(X, lim), -1, 0)
    dev, bnd, traj = (torch.zeros(n, dtype=torch.float64) for _ in range(3))
    hn = torch.empty((2 * n, len(orig)), dtype=torch.float64)
    for k in range(c.N_STEPS + 1):
        S = X.t().contiguous()
        Uo = forward(orig, S, hn)
        Up = forward(pruned, S[n:])
        alive_p, alive_o = div[n:] < 0, div[:n] < 0
        actual = torch.sqrt(((Uo[n:] - Up) ** 2).sum(dim=1))
        bound = ((dW * hn[n:] + db) * down).sum(dim=1)
        dev = torch.where(alive_p, torch.maximum(dev, actual), dev)
        bnd = torch.where(alive_p, torch.maximum(bnd, bound), bnd)
        td = torch.sqrt(((X[:, :n] - X[:, n:]) ** 2).sum(dim=0))
        traj = torch.where(alive_p & alive_o, torch.maximum(traj, td), traj)
        if k == c.N_STEPS:
            break
        U = torch.cat([Uo[:n], Up]).t().contiguous()
        Xb = X.clone()
        for q in range(c.SUBSTEPS):
            X = rk4(X, U, h)
            div[(div < 0) & ~valid(X, lim)] = k + 1
        dead = div >= 0
        X[:, dead] = Xb[:, dead]
    X[:, div >= 0] = float("nan")
    return X[:, :n].t(), X[:, n:].t(), dev, bnd, traj


def run(orig, pruned, consts, X0, lim):
    with torch.inference_mode():
        parts = [run_chunk(orig, pruned, consts, X0[i:i + CHUNK], lim)
                 for i in range(0, X0.shape[0], CHUNK)]
        return [torch.cat(p).numpy() for p in zip(*parts)]


def main():
    torch.set_num_threads(2)
    orig, pruned, X0, ref = c.load_inputs(sys.argv)
    consts = [torch.from_numpy(a) for a in c.bound_constants(orig, pruned)]
    T = lambda net: [(torch.from_numpy(W), torch.from_numpy(b), a) for W, b, a in net]
    lim = torch.from_numpy(c.LIM)[:, None]
    args = (T(orig), T(pruned), consts, torch.from_numpy(X0), lim)
    t, out = c.best_of(lambda: run(*args), 1)
    ok = c.check("torch", *out, ref)
    c.report("torch", X0.shape[0], t, ok)


if __name__ == "__main__":
    main()
