#!/usr/bin/env python3
"""arch_loops_oracle.py: every ARCH-COMP closed loop of configs/arch, from the
centre of its initial set, against an independent simulation to 1e-6.

usage: arch_loops_oracle.py PRUNEBOUND CONFIG_DIR [CONFIG ...]

For each configs/arch/*.cfg (or the CONFIGs named) this script
  - reads the config with its own libconfig reader (below), not prunebound's;
  - reads the controller from the file the config names, itself: ONNX through
    onnx.numpy_helper (MatMul, Add, Sub, Gemm, 1x1 Conv, Flatten and the
    activations), or the POLAR text layout of ../shared/benchmarks/arch-comp/README.md;
  - writes the plant's right-hand side in NumPy from that README (the six
    newer plants come from arch_plants_oracle.py, written the same way; the
    four older ones are below);
  - simulates the unpruned loop from the scenario named "centre" (the centre
    of the initial set; every config lists it first) with zero-order hold at
    the config's period up to its horizon: scipy.integrate.solve_ivp (DOP853,
    rtol 1e-10) per period for an adaptive GSL stepper, or a hand RK4 with the
    config's substeps for rk4fixed; the policy sees the state, the error x - r,
    or the config's observation map; u = (N - offset) * scale;
  - runs `prunebound run CONFIG -o TMP --quiet`
    and compares x_orig and u_orig of the centre scenario of the variant
    magnitude_s0.00 (the original loop) with the oracle: every finite row to
    1e-6 * max(1, |value|); a row where prunebound's loop stopped (NaN, its
    state left the plant's limits) must be the first row where the oracle's
    state is outside the same limits.
Exit 0 when all agree, 1 on a mismatch, 77 (skipped) when numpy, scipy, onnx,
h5py or ../shared/benchmarks/arch-comp is missing."""
import math
import os
import re
import subprocess
import sys
import tempfile

SKIP = 77
TOL = 1e-6

try:
    import h5py
    import numpy as np
    import onnx
    from onnx import numpy_helper
    from scipy.integrate import solve_ivp
except ImportError as e:  # the oracle cannot run: skipped, never passed
    print(f"SKIPPED: {e}", file=sys.stderr)
    sys.exit(SKIP)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import arch_plants_oracle as newer  # noqa: E402


# ---------------------------------------------------------------- libconfig
def lc_tokens(text):
    spec = r"""
      (?P<ws>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
    | (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<num>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?L?)
    | (?P<name>[A-Za-z\*][-A-Za-z0-9_\*]*)
    | (?P<p>[=:;,{}\[\]()])
    """
    pos = 0
    rx = re.compile(spec, re.S | re.X)
    while pos < len(text):
        m = rx.match(text, pos)
        if not m:
            raise ValueError(f"libconfig: cannot read at {text[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            yield m.lastgroup, m.group()


class LcParser:
    def __init__(self, text):
        self.t = list(lc_tokens(text))
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, val=None):
        k, v = self.peek()
        if val is not None and v != val:
            raise ValueError(f"libconfig: expected {val!r}, got {v!r}")
        self.i += 1
        return k, v

    def settings(self, end):
        out = {}
        while self.peek()[1] != end and self.peek()[0] is not None:
            _, name = self.take()
            self.take("=") if self.peek()[1] == "=" else self.take(":")
            out[name] = self.value()
            if self.peek()[1] in (";", ","):
                self.take()
        return out

    def value(self):
        k, v = self.peek()
        if v == "{":
            self.take()
            g = self.settings("}")
            self.take("}")
            return g
        if v in ("[", "("):
            close = "]" if v == "[" else ")"
            self.take()
            items = []
            while self.peek()[1] != close:
                items.append(self.value())
                if self.peek()[1] == ",":
                    self.take()
            self.take(close)
            return items
        self.take()
        if k == "str":
            s = bytes(v[1:-1], "utf-8").decode("unicode_escape")
            while self.peek()[0] == "str":  # adjacent strings concatenate
                s += bytes(self.take()[1][1:-1], "utf-8").decode("unicode_escape")
            return s
        if k == "num":
            return float(v.rstrip("L"))
        if k == "name" and v.lower() in ("true", "false"):
            return v.lower() == "true"
        raise ValueError(f"libconfig: unexpected {v!r}")


def read_cfg(path):
    with open(path) as fh:
        return LcParser(fh.read()).settings(None)


# ---------------------------------------------------------------- controllers
ACT = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "affine": lambda z: z,
    "linear": lambda z: z,
}


def polar_net(path):
    """The POLAR text layout (README): n_in, n_out, n_hidden, hidden sizes,
    one activation per layer, per layer and neuron its weights then its bias,
    then the output offset and scale."""
    with open(path) as fh:
        tok = fh.read().split()
    pos = 0

    def nxt():
        nonlocal pos
        pos += 1
        return tok[pos - 1]

    n_in, n_out, n_hid = int(nxt()), int(nxt()), int(nxt())
    sizes = [n_in] + [int(nxt()) for _ in range(n_hid)] + [n_out]
    acts = [nxt().lower() for _ in range(n_hid + 1)]
    layers = []
    for k in range(n_hid + 1):
        W = np.zeros((sizes[k + 1], sizes[k]))
        b = np.zeros(sizes[k + 1])
        for j in range(sizes[k + 1]):
            W[j] = [float(nxt()) for _ in range(sizes[k])]
            b[j] = float(nxt())
        layers.append((W, b, ACT[acts[k]]))
    offset, scale = float(nxt()), float(nxt())
    if pos != len(tok):
        raise ValueError(f"{path}: {len(tok) - pos} numbers left over")

    def net(s):
        h = np.asarray(s, float)
        for W, b, f in layers:
            h = f(W @ h + b)
        return h

    return net, offset, scale


def onnx_net(path):
    """Evaluates the ONNX graph node by node on a flat vector (the suite's
    files are chains of dense layers in several spellings)."""
    m = onnx.load(path)
    g = m.graph
    init = {t.name: numpy_helper.to_array(t).astype(float) for t in g.initializer}
    inputs = [i.name for i in g.input if i.name not in init]
    assert len(inputs) == 1, f"{path}: inputs {inputs}"

    def attr(n, name, default):
        for a in n.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def net(s):
        env = dict(init)
        env[inputs[0]] = np.asarray(s, float)
        for n in g.node:
            a = [env[i] for i in n.input]
            op = n.op_type
            if op == "MatMul":
                r = a[0].reshape(-1) @ a[1]
            elif op in ("Add", "Sub", "Mul"):
                x, y = a[0].reshape(-1), a[1].reshape(-1)
                r = x + y if op == "Add" else (x - y if op == "Sub" else x * y)
            elif op == "Gemm":
                x, W = a[0].reshape(-1), a[1]
                if attr(n, "transA", 0):
                    raise ValueError("Gemm transA")
                W = W.T if attr(n, "transB", 0) else W
                r = attr(n, "alpha", 1.0) * (x @ W)
                if len(a) > 2:
                    r = r + attr(n, "beta", 1.0) * a[2].reshape(-1)
            elif op == "Conv":  # a dense layer as a conv whose kernel covers the input
                W = a[1]
                r = W.reshape(W.shape[0], -1) @ a[0].reshape(-1)
                if len(a) > 2:
                    r = r + a[2].reshape(-1)
            elif op in ("Flatten", "Identity", "Reshape"):
                r = a[0].reshape(-1)
            elif op.lower() in ACT:
                r = ACT[op.lower()](a[0])
            else:
                raise ValueError(f"{path}: op {op} not handled by the oracle")
            env[n.output[0]] = r
        return env[g.output[0].name].reshape(-1)

    return net


# ---------------------------------------------------------------- plants
# name -> (state names, default parameters, rhs(x, u, p), limits(x, p) -> inside?)
def pendulum(x, u, p):  # README single_pendulum/
    return np.array([x[1], p["g"] / p["L"] * math.sin(x[0]) + (u[0] - p["c"] * x[1]) / (p["m"] * p["L"] ** 2)])


def cartpole_arch(x, u, p):  # README cartpole/
    f = u[0]
    return np.array([x[1], 2 * f, x[3],
                     (0.08 * 0.41 * (9.8 * math.sin(x[2]) - 2 * f * math.cos(x[2])) - 0.0021 * x[3]) / 0.0105])


def tora(x, u, p):  # README tora/
    return np.array([x[1], -x[0] + p["eps"] * math.sin(x[2]), x[3], u[0]])


def quadrotor_arch(x, u, p):
    """Beard (2008), eqs. 16-19, altitude up, as the README states it."""
    g, m, Jx, Jy, Jz = 9.81, 1.4, 0.054, 0.054, 0.104
    pu, pv, pw = x[3:6]
    ph, th, ps = x[6:9]
    P, Q, R = x[9:12]
    F = g + u[0] / m
    tphi, ttheta, tpsi = u[1], u[2], 0.0
    c, s = math.cos, math.sin
    return np.array([
        c(th) * c(ps) * pu + (s(ph) * s(th) * c(ps) - c(ph) * s(ps)) * pv
        + (c(ph) * s(th) * c(ps) + s(ph) * s(ps)) * pw,
        c(th) * s(ps) * pu + (s(ph) * s(th) * s(ps) + c(ph) * c(ps)) * pv
        + (c(ph) * s(th) * s(ps) - s(ph) * c(ps)) * pw,
        s(th) * pu - s(ph) * c(th) * pv - c(ph) * c(th) * pw,
        R * pv - Q * pw - g * s(th),
        P * pw - R * pu + g * c(th) * s(ph),
        Q * pu - P * pv + g * c(th) * c(ph) - F,
        P + s(ph) * math.tan(th) * Q + c(ph) * math.tan(th) * R,
        c(ph) * Q - s(ph) * R,
        s(ph) / c(th) * Q + c(ph) / c(th) * R,
        (Jy - Jz) / Jx * Q * R + tphi / Jx,
        (Jz - Jx) / Jy * P * R + ttheta / Jy,
        (Jx - Jy) / Jz * P * Q + tpsi / Jz,
    ])


def inside_all(key):
    return lambda x, p: bool(np.all(np.abs(x) <= p[key]))


PLANTS = {
    "pendulum": (["theta", "omega"], {"m": 0.5, "L": 0.5, "c": 0.0, "g": 1.0}, pendulum, None),
    "cartpole_arch": (["x", "x_dot", "theta", "theta_dot"], {}, cartpole_arch, None),
    "quadrotor_arch": ([f"x{i}" for i in range(1, 13)], {}, quadrotor_arch, None),
    "tora": (["x1", "x2", "x3", "x4"], {"eps": 0.1, "x_max": 1000.0}, tora, inside_all("x_max")),
    "acc": (["x_lead", "v_lead", "acc_lead", "x_ego", "v_ego", "acc_ego"], {"mu": 1e-4, "a_lead": -2.0},
            newer.acc, None),
    "double_pendulum": (["theta1", "theta2", "omega1", "omega2"], {"theta_max": 100.0, "omega_max": 1000.0},
                        newer.double_pendulum,
                        lambda x, p: max(abs(x[0]), abs(x[1])) <= p["theta_max"]
                        and max(abs(x[2]), abs(x[3])) <= p["omega_max"]),
    "airplane": ([f"x{i}" for i in range(1, 13)], {"angle_max": 100.0, "theta_max": 1.5}, newer.airplane,
                 lambda x, p: max(abs(x[6]), abs(x[8])) <= p["angle_max"] and abs(x[7]) <= p["theta_max"]),
    "attitude_control": ([f"x{i}" for i in range(1, 7)], {}, newer.attitude_control, None),
    "unicycle": (["x1", "x2", "x3", "x4"], {"w": 0.0}, newer.unicycle, None),
    "docking": (["x", "y", "x_dot", "y_dot"], {"n": 0.001027, "m": 12.0}, newer.docking, None),
}


# ---------------------------------------------------------------- the loop
def oracle_loop(cfg, cfg_dir, x0):
    pname = cfg["plant"]["name"]
    names, defaults, rhs, inside = PLANTS[pname]
    p = dict(defaults)
    for k, v in cfg["plant"].get("params", {}).items():
        p[k] = float("inf") if v == "inf" else float(v)
    for k, v in p.items():  # the oracle applies no input saturation: none may be set
        if k.endswith("_max") and k not in ("theta_max", "omega_max", "angle_max", "x_max") and math.isfinite(v):
            raise ValueError(f"{pname}: input limit {k} = {v} not modelled by the oracle")

    pol = cfg["policy"]
    imp = pol["import"]
    path = os.path.join(cfg_dir, imp["file"])
    fmt = imp.get("format") or os.path.splitext(path)[1].lstrip(".")
    if fmt == "polar":
        net, offset, scale = polar_net(path)
    elif fmt == "onnx":
        net, offset, scale = onnx_net(path), 0.0, 1.0
    else:
        raise ValueError(f"format {fmt} not handled by the oracle")
    offset = float(imp.get("output_offset", offset))
    scale = float(imp.get("output_scale", scale))

    ref = np.array(cfg["reference"]["values"], float) if "reference" in cfg else np.zeros(len(x0))
    if cfg.get("reference", {}).get("type", "setpoint") != "setpoint":
        raise ValueError("only setpoint references are modelled by the oracle")
    obs = [e.replace("^", "**") for e in pol.get("observation", [])]
    ns = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
          "sqrt": math.sqrt, "abs": abs}

    def policy_input(x, t):
        if obs:
            env = dict(ns, t=t, **dict(zip(names, x)), **{f"r_{n}": r for n, r in zip(names, ref)})
            return np.array([eval(e, {"__builtins__": {}}, env) for e in obs])
        return x if pol.get("input", "error") == "state" else x - ref

    sim = cfg["simulation"]
    T, H = float(sim["period"]), float(sim["horizon"])
    n = int(round(H / T))
    integ = sim.get("integrator", {})
    method = integ.get("method", "rk8pd")
    substeps = int(integ.get("substeps", 0))

    def advance(x, u, t0):
        f = lambda t, y: rhs(y, u, p)  # noqa: E731
        if method == "rk4fixed":
            h = T / substeps
            y = x.copy()
            for _ in range(substeps):
                k1 = f(0, y)
                k2 = f(0, y + h / 2 * k1)
                k3 = f(0, y + h / 2 * k2)
                k4 = f(0, y + h * k3)
                y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            return y
        sol = solve_ivp(f, (t0, t0 + T), x, method="DOP853", rtol=1e-10, atol=1e-12)
        assert sol.success, sol.message
        return sol.y[:, -1]

    xs, us = [], []
    x = np.array(x0, float)
    for k in range(n + 1):
        xs.append(x)
        us.append((net(policy_input(x, k * T)) - offset) * scale)
        if k < n:
            x = advance(x, us[-1], k * T)
    inside_fn = (lambda xx: inside(xx, p)) if inside else (lambda xx: bool(np.all(np.isfinite(xx))))
    return np.array(xs), np.array(us), inside_fn


def compare(name, got, want):
    """Max scaled error over the finite rows of got; rows must agree in finiteness."""
    err = np.abs(got - want) / np.maximum(1.0, np.abs(want))
    return float(np.max(err)) if err.size else 0.0


def check(prunebound, cfg_path):
    cfg = read_cfg(cfg_path)
    cfg_dir = os.path.dirname(os.path.abspath(cfg_path))
    label = os.path.basename(cfg_path)
    centre = [i for i, s in enumerate(cfg["scenarios"]) if s.get("name") == "centre"]
    if not centre:
        print(f"{label}: no scenario named centre", file=sys.stderr)
        return False
    ci = centre[0]
    x0 = cfg["scenarios"][ci]["x0"]
    xs, us, inside = oracle_loop(cfg, cfg_dir, x0)

    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.h5")
        cmd = [prunebound, "run", cfg_path, "-o", out, "--quiet"]
        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if rc.returncode != 0:
            print(f"{label}: {' '.join(cmd)} exited {rc.returncode}: {rc.stderr}", file=sys.stderr)
            return False
        with h5py.File(out, "r") as f:
            g = f["runs/magnitude_s0.00"][str(ci)]
            x_pb, u_pb = g["x_orig"][()], g["u_orig"][()]
            t_pb = g["t"][()]
    ok = True
    if x_pb.shape != xs.shape:
        print(f"{label}: x_orig shape {x_pb.shape}, oracle {xs.shape}", file=sys.stderr)
        return False
    if np.max(np.abs(t_pb - float(cfg["simulation"]["period"]) * np.arange(len(t_pb)))) > 1e-9:
        print(f"{label}: t is not k T", file=sys.stderr)
        ok = False
    fin = np.all(np.isfinite(x_pb), axis=1)
    stop = int(np.argmin(fin)) if not fin.all() else len(fin)
    if not fin[:stop].all() or fin[stop:].any():
        print(f"{label}: finite rows are not a prefix", file=sys.stderr)
        ok = False
    # the oracle's first row outside the plant's limits is where prunebound stopped
    out_rows = [k for k in range(len(xs)) if not inside(xs[k])]
    first_out = out_rows[0] if out_rows else len(xs)
    if first_out != stop:
        print(f"{label}: prunebound stops at row {stop}, the oracle leaves the limits at row {first_out}",
              file=sys.stderr)
        ok = False
    ex = compare(label, x_pb[:stop], xs[:stop])
    eu = compare(label, u_pb[:stop], us[:stop])
    print(f"{label}: centre {list(x0)}, rows {stop}/{len(xs)}, max |dx| {ex:.2e}, max |du| {eu:.2e} (scaled)")
    if not (ex <= TOL and eu <= TOL):
        print(f"{label}: differs from the oracle by more than {TOL}", file=sys.stderr)
        ok = False
    return ok


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    prunebound, cfg_dir = sys.argv[1], sys.argv[2]
    files = sys.argv[3:] or sorted(os.path.join(cfg_dir, f) for f in os.listdir(cfg_dir) if f.endswith(".cfg"))
    shared = os.path.normpath(os.path.join(cfg_dir, "../../../shared/benchmarks/arch-comp"))
    if not os.path.isdir(shared):
        print(f"SKIPPED: {shared} is missing", file=sys.stderr)
        return SKIP
    ok = True
    for f in files:
        try:
            ok = check(prunebound, f) and ok
        except Exception as e:  # a config the oracle cannot model fails, never passes
            print(f"{os.path.basename(f)}: oracle error: {e!r}", file=sys.stderr)
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
