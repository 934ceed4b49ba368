#!/usr/bin/python3
"""The shipped policies of the user-plant examples (docs/PLANTS.md), from the
repository root:

    /usr/bin/python3 scripts/user_policies.py   (Debian python3-numpy, python3-scipy)

writes configs/policies/linear_double_integrator.nnet and
configs/policies/gym_pendulum.nnet.  Each is a one-hidden-layer ReLU network
fitted to the discrete LQR expert of its plant (zero-order hold at the
config's period, scipy.linalg.expm and solve_discrete_are): fixed random
hidden weights (numpy default_rng, seeds below) and output weights by ridge
least squares on uniform samples of the box.  Deterministic for the seeds.

  linear_double_integrator: x' = (v, u), period 0.1 s, Q = I, R = 1,
    box |p| <= 1, |v| <= 1; the network sees the state (p, v).
  gym_pendulum: the built-in pendulum at its defaults (m = L = 1, c = 0.1,
    g = 9.81, |u| <= 20), period 0.05 s, Q = diag(10, 1), R = 0.1 (its
    default LQR weights), box |theta| <= 1, |omega| <= 2; the network sees
    (cos theta, sin theta, omega), Gym's Pendulum-v1 observation.
"""
import os
import sys

import numpy as np
from scipy.linalg import expm, solve_discrete_are


def dlqr(A, B, Q, R, T):
    nx, nu = B.shape
    M = np.zeros((nx + nu, nx + nu))
    M[:nx, :nx] = A * T
    M[:nx, nx:] = B * T
    E = expm(M)
    Ad, Bd = E[:nx, :nx], E[:nx, nx:]
    P = solve_discrete_are(Ad, Bd, Q, R)
    return np.linalg.solve(R + Bd.T @ P @ Bd, Bd.T @ P @ Ad)


def fit(features, targets, hidden, seed, ridge=1e-1):
    rng = np.random.default_rng(seed)
    n_in = features.shape[1]
    W1 = rng.normal(0.0, 1.5, size=(hidden, n_in))
    b1 = rng.uniform(-1.0, 1.0, size=hidden)
    H = np.maximum(features @ W1.T + b1, 0.0)
    Hb = np.hstack([H, np.ones((H.shape[0], 1))])
    w = np.linalg.solve(Hb.T @ Hb + ridge * np.eye(hidden + 1), Hb.T @ targets)
    return W1, b1, w[:hidden].reshape(1, hidden), w[hidden:]


def write_nnet(path, W1, b1, W2, b2, comment):
    hidden, n_in = W1.shape
    fmt = lambda v: ",".join("%.17g" % x for x in v) + ","
    with open(path, "w") as f:
        for line in comment.splitlines():
            f.write("// %s\n" % line)
        f.write("2,%d,1,%d,\n%d,%d,1,\n0,\n" % (n_in, hidden, n_in, hidden))
        f.write(fmt([-1e9] * n_in) + "\n" + fmt([1e9] * n_in) + "\n")
        f.write("0.0,\n0.0,\n")  # no normalisation (import_nnet.c)
        for row in W1:
            f.write(fmt(row) + "\n")
        for v in b1:
            f.write("%.17g,\n" % v)
        for row in W2:
            f.write(fmt(row) + "\n")
        for v in b2:
            f.write("%.17g,\n" % v)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = os.path.join(root, "configs", "policies")
    rng = np.random.default_rng(2024)

    # Double integrator.
    A = np.array([[0.0, 1.0], [0.0, 0.0]])
    B = np.array([[0.0], [1.0]])
    K = dlqr(A, B, np.eye(2), np.eye(1), 0.1)
    X = rng.uniform(-1.0, 1.0, size=(4000, 2))
    U = -(X @ K.T)
    W1, b1, W2, b2 = fit(X, U, 32, seed=1)
    err = np.max(np.abs(np.maximum(X @ W1.T + b1, 0) @ W2.T + b2 - U))
    write_nnet(os.path.join(out, "linear_double_integrator.nnet"), W1, b1, W2, b2,
               "linear_double_integrator: LQR fit, scripts/user_policies.py\n"
               "K = %s, max fit error %.3g on the box" % (K.ravel(), err))
    print("linear_double_integrator: K =", K.ravel(), "max fit error", err)

    # Gym-style pendulum.
    m, L, c, g = 1.0, 1.0, 0.1, 9.81
    A = np.array([[0.0, 1.0], [g / L, -c / (m * L * L)]])
    B = np.array([[0.0], [1.0 / (m * L * L)]])
    K = dlqr(A, B, np.diag([10.0, 1.0]), np.array([[0.1]]), 0.05)
    X = np.column_stack([rng.uniform(-1.0, 1.0, 6000), rng.uniform(-2.0, 2.0, 6000)])
    U = np.clip(-(X @ K.T), -20.0, 20.0)
    F = np.column_stack([np.cos(X[:, 0]), np.sin(X[:, 0]), X[:, 1]])
    W1, b1, W2, b2 = fit(F, U, 64, seed=2)
    err = np.max(np.abs(np.maximum(F @ W1.T + b1, 0) @ W2.T + b2 - U))
    write_nnet(os.path.join(out, "gym_pendulum.nnet"), W1, b1, W2, b2,
               "gym_pendulum: LQR fit on (cos theta, sin theta, omega), scripts/user_policies.py\n"
               "K = %s, max fit error %.3g on the box" % (K.ravel(), err))
    print("gym_pendulum: K =", K.ravel(), "max fit error", err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
