"""A float64 NumPy port of `prunebound prune --method sparsegpt`, the peer of
bench/prune/run: what a NumPy user would write for the same job, read the
policy and the calibration states with h5py, prune every layer with SparseGPT
(Frantar & Alistarh, ICML 2023, Algorithm 1: blocks of B = 128 columns, the
mask chosen at the start of each block, lazy batch updates, dampening 1 % of
the mean diagonal, each layer calibrated on the partially pruned network's
inputs), record ||dW||_2 (np.linalg.norm(., 2)) and the reconstruction error
||W X - W^ X||_F^2 per layer, and write the pruned policy with its masks.

    python3 prune_numpy.py POLICY.h5 CALIB.h5 SPARSITY OUT.h5

The mask of a block holds its exact share floor(k i2 / n) - floor(k i1 / n) of
the layer's k zeros, the smallest w^2 / U_jj^2 (stable order), as the C code
does, so that the two outputs can be compared entry by entry."""
import sys

import h5py
import numpy as np

ACT = {"tanh": np.tanh, "linear": lambda z: z, "relu": lambda z: np.maximum(z, 0.0)}


def sparsegpt(W, H, sparsity, block=128, damp=0.01):
    """Prunes W (n_out x n_in) in place with the Hessian H; returns the mask."""
    rows, cols = W.shape
    dead = np.diag(H) == 0
    H[dead, dead] = 1.0
    W[:, dead] = 0.0
    H += damp * np.mean(np.diag(H)) * np.eye(cols)
    U = np.linalg.cholesky(np.linalg.inv(H)).T  # upper: H^-1 = U^T U
    mask = np.ones_like(W, dtype=bool)
    k = int(np.floor(sparsity * W.size))
    for i1 in range(0, cols, block):
        i2 = min(i1 + block, cols)
        W1, U1 = W[:, i1:i2].copy(), U[i1:i2, i1:i2]
        Err1 = np.zeros_like(W1)
        kb = k * i2 // cols - k * i1 // cols
        score = W1 ** 2 / np.diag(U1) ** 2
        m1 = np.ones(W1.size, dtype=bool)
        m1[np.argsort(score.ravel(), kind="stable")[:kb]] = False
        m1 = m1.reshape(W1.shape)
        for i in range(i2 - i1):
            w = W1[:, i]
            q = np.where(m1[:, i], w, 0.0)
            err = (w - q) / U1[i, i]
            W1[:, i] = q
            W1[:, i + 1:] -= np.outer(err, U1[i, i + 1:])
            Err1[:, i] = err
        W[:, i1:i2] = W1
        mask[:, i1:i2] = m1
        W[:, i2:] -= Err1 @ U[i1:i2, i2:]
    return mask


def main(policy, calib, sparsity, out):
    with h5py.File(policy, "r") as f:
        layers = [(f[f"layers/{j}/W"][()], f[f"layers/{j}/b"][()],
                   f[f"layers/{j}"].attrs["activation"]) for j in range(1, len(f["layers"]) + 1)]
    with h5py.File(calib, "r") as f:
        X = f["states"][()]
    pruned, records = [], []
    for W0, b, act in layers:
        if isinstance(act, bytes):
            act = act.decode()
        W = W0.copy()
        H = (2.0 / len(X)) * (X.T @ X)
        mask = sparsegpt(W, H, sparsity)
        D = W0 - W
        records.append((np.linalg.norm(D, 2), float(((X @ D.T) ** 2).sum())))
        pruned.append((W, b, act, mask))
        X = ACT[act](X @ W.T + b)  # the next layer sees the pruned network's inputs
    with h5py.File(out, "w") as f:
        f.attrs["format"], f.attrs["format_version"] = "prunebound-mlp", 1
        for j, ((W, b, act, mask), (dwn, rec)) in enumerate(zip(pruned, records), start=1):
            g = f.create_group(f"layers/{j}")
            g["W"], g["b"], g["mask"] = W, b, mask.astype(np.uint8)
            g.attrs["activation"] = act
            g.attrs["dW_spectral_norm"], g.attrs["recon_err"] = dwn, rec


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4])
