#!/usr/bin/env python3
"""arch_plants_oracle.py: the right-hand sides of the ARCH-COMP AINNCS plants,
written in NumPy from the equations of ../shared/benchmarks/arch-comp/README.md
(not from plants/*.c), as the oracle of tests/test_plants_arch.c.

Reads lines "NAME x1 .. xn | u1 .. um | key=value ..." from the file argv[1]
and prints, per line, dx/dt as n numbers with 17 significant digits.
Exit status 2 on a malformed line or an unknown plant."""
import sys

import numpy as np


def acc(x, u, p):
    # lead x1..x3, ego x4..x6; x3' = -2 x3 + 2 a_lead - mu x2^2, x6' likewise with a_ego
    mu, a_lead = p["mu"], p["a_lead"]
    lead = np.array([x[1], x[2], -2 * x[2] + 2 * a_lead - mu * x[1] ** 2])
    ego = np.array([x[4], x[5], -2 * x[5] + 2 * u[0] - mu * x[4] ** 2])
    return np.concatenate([lead, ego])


def double_pendulum(x, u, p):
    th1, th2, w1, w2 = x
    T1, T2 = u
    D = th1 - th2
    A = 4 * T1 + 2 * np.sin(th1) - w2 ** 2 * np.sin(D) / 2
    B = w1 ** 2 * np.sin(D) + 8 * T2 + 2 * np.sin(th2) - np.cos(D) * A
    den = np.cos(D) ** 2 / 2 - 1
    return np.array([w1, w2, A + np.cos(D) * B / (2 * den), -B / den])


def rot(axis, a):
    c, s = np.cos(a), np.sin(a)
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def airplane(x, u, p):
    # state (x, y, z, u, v, w, phi, theta, psi, r, p, q); inputs (Fx, Fy, Fz, Mx, My, Mz)
    vel = np.array(x[3:6])
    uu, vv, ww = vel
    phi, th, psi = x[6:9]
    r, pp, q = x[9:12]
    Fx, Fy, Fz, Mx, My, Mz = u
    pos = rot("z", psi) @ rot("y", th) @ rot("x", phi) @ vel
    d = [
        -np.sin(th) + Fx - q * ww + r * vv,
        np.cos(th) * np.sin(phi) + Fy - r * uu + pp * ww,
        np.cos(th) * np.cos(phi) + Fz - pp * vv + q * uu,
        pp + np.tan(th) * (q * np.sin(phi) + r * np.cos(phi)),
        q * np.cos(phi) - r * np.sin(phi),
        (q * np.sin(phi) + r * np.cos(phi)) / np.cos(th),
        Mz,
        Mx,
        My,
    ]
    return np.concatenate([pos, d])


def attitude_control(x, u, p):
    x1, x2, x3, x4, x5, x6 = x
    xi = x4 ** 2 + x5 ** 2 + x6 ** 2
    return np.array([
        0.25 * (u[0] + x2 * x3),
        0.5 * (u[1] - 3 * x1 * x3),
        u[2] + 2 * x1 * x2,
        0.5 * (x2 * (xi - x6) + x3 * (xi + x5) + x1 * (xi + 1)),
        0.5 * (x1 * (xi + x6) + x3 * (xi - x4) + x2 * (xi + 1)),
        0.5 * (x1 * (xi - x5) + x2 * (xi + x4) + x3 * (xi + 1)),
    ])


def unicycle(x, u, p):
    return np.array([x[3] * np.cos(x[2]), x[3] * np.sin(x[2]), u[1], u[0] + p["w"]])


def docking(x, u, p):
    # Clohessy-Wiltshire in the plane: A x + B F with mean motion n, mass m
    n, m = p["n"], p["m"]
    A = np.array([[0, 0, 1, 0], [0, 0, 0, 1], [3 * n ** 2, 0, 0, 2 * n], [0, 0, -2 * n, 0]])
    B = np.array([[0, 0], [0, 0], [1 / m, 0], [0, 1 / m]])
    return A @ np.array(x) + B @ np.array(u)


PLANTS = {f.__name__: f for f in (acc, double_pendulum, airplane, attitude_control, unicycle, docking)}


def main():
    out = []
    with open(sys.argv[1]) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            head, us, ps = line.split("|")
            fields = head.split()
            name, x = fields[0], [float(v) for v in fields[1:]]
            u = [float(v) for v in us.split()]
            p = {k: float(v) for k, v in (kv.split("=") for kv in ps.split())}
            if name not in PLANTS:
                print(f"{sys.argv[1]}:{lineno}: unknown plant {name}", file=sys.stderr)
                sys.exit(2)
            out.append(" ".join("%.17g" % v for v in PLANTS[name](x, u, p)))
    print("\n".join(out))


if __name__ == "__main__":
    main()
