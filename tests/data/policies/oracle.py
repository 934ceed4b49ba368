"""Independent NumPy evaluation of a policy file in its original format, the
oracle of tests/test_controller.c for the importers.

usage: oracle.py FORMAT FILE STATES [ACTIVATIONS]
  FORMAT       nnet, polar or onnx
  STATES       text file, one state per line (numbers separated by blanks)
  ACTIVATIONS  comma-separated, for POLAR-style files without activation names
Prints one line per state: the policy's outputs, repr()-exact.

Written from the formats' own descriptions (NNet: sisl/NNet nnet.py; POLAR:
shared/benchmarks/arch-comp/README.md; ONNX: the operator specifications),
not from prunebound's C code.  ONNX weights come from onnx.numpy_helper."""
import sys

import numpy as np

ACTS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": lambda z: z,
    "affine": lambda z: z,
    "hardtanh": lambda z: np.clip(z, -1.0, 1.0),
}


def nnet(path, X):
    rows = []
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        rows.append([float(v) for v in line.replace(",", " ").split()])
    n_layers, n_in, n_out = int(rows[0][0]), int(rows[0][1]), int(rows[0][2])
    sizes = [int(v) for v in rows[1][: n_layers + 1]]
    mins, maxs, means, ranges = rows[3], rows[4], rows[5], rows[6]
    normalised = not (len(ranges) == 1 and ranges[0] == 0.0)
    k = 7
    Ws, bs = [], []
    for j in range(n_layers):
        W = np.array(rows[k : k + sizes[j + 1]])
        k += sizes[j + 1]
        b = np.array([r[0] for r in rows[k : k + sizes[j + 1]]])
        k += sizes[j + 1]
        Ws.append(W)
        bs.append(b)
    H = X.copy()
    if normalised:
        # nnet.py: clip to [min, max], then (x - mean) / range
        H = np.clip(H, np.array(mins), np.array(maxs))
        H = (H - np.array(means[:n_in])) / np.array(ranges[:n_in])
    for j in range(n_layers):
        H = H @ Ws[j].T + bs[j]
        if j < n_layers - 1:
            H = np.maximum(H, 0.0)
    if normalised:
        H = H * ranges[n_in] + means[n_in]
    return H


def polar(path, X, acts):
    toks = open(path).read().replace(",", " ").split()
    pos = 0

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    n_in, n_out, n_hidden = int(take()), int(take()), int(take())
    sizes = [n_in] + [int(take()) for _ in range(n_hidden)] + [n_out]
    try:
        float(toks[pos])
        names = acts
    except ValueError:
        names = [take().lower() for _ in range(n_hidden + 1)]
    H = X.copy()
    for j in range(n_hidden + 1):
        W = np.zeros((sizes[j + 1], sizes[j]))
        b = np.zeros(sizes[j + 1])
        for r in range(sizes[j + 1]):
            W[r] = [float(take()) for _ in range(sizes[j])]
            b[r] = float(take())
        H = ACTS[names[j]](H @ W.T + b)
    offset, scale = float(take()), float(take())
    assert pos == len(toks)
    return (H - offset) * scale


def onnx_eval(path, X):
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    g = m.graph
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    inp = [i for i in g.input if i.name not in env][0]
    dims = [d.dim_value for d in inp.type.tensor_type.shape.dim[1:]]
    env[inp.name] = X.reshape([X.shape[0]] + dims) if dims else X

    def attr(n, name, default):
        for a in n.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    for n in g.node:
        x = [env[i] if i else None for i in n.input]
        op = n.op_type
        if op == "Constant":
            y = numpy_helper.to_array(attr(n, "value", None)).astype(np.float64)
        elif op == "Gemm":
            A, B = x[0], x[1]
            if attr(n, "transA", 0):
                A = A.T
            if attr(n, "transB", 0):
                B = B.T
            y = attr(n, "alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + attr(n, "beta", 1.0) * x[2]
        elif op == "MatMul":
            y = x[0] @ x[1]
        elif op in ("Add", "Sub", "Mul", "Div"):
            y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](
                x[0], x[1]
            )
        elif op == "Conv":
            # direct valid convolution, stride 1, 2-D spatial
            Xc, W = x[0], x[1]
            N, C, Hh, Ww = Xc.shape
            O, _, kh, kw = W.shape
            y = np.zeros((N, O, Hh - kh + 1, Ww - kw + 1))
            for i in range(Hh - kh + 1):
                for j in range(Ww - kw + 1):
                    patch = Xc[:, :, i : i + kh, j : j + kw]
                    y[:, :, i, j] = np.tensordot(patch, W, axes=([1, 2, 3], [1, 2, 3]))
            if len(x) > 2 and x[2] is not None:
                y = y + x[2][None, :, None, None]
        elif op == "Relu":
            y = np.maximum(x[0], 0.0)
        elif op == "LeakyRelu":
            y = np.where(x[0] > 0, x[0], attr(n, "alpha", 0.01) * x[0])
        elif op == "Tanh":
            y = np.tanh(x[0])
        elif op == "Sigmoid":
            y = 1.0 / (1.0 + np.exp(-x[0]))
        elif op == "Clip":
            lo = x[1] if len(x) > 1 and x[1] is not None else attr(n, "min", -np.inf)
            hi = x[2] if len(x) > 2 and x[2] is not None else attr(n, "max", np.inf)
            y = np.clip(x[0], lo, hi)
        elif op == "Flatten":
            y = x[0].reshape(x[0].shape[0], -1)
        elif op == "Reshape":
            shape = [int(s) for s in x[1]]
            shape = [x[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            y = x[0].reshape(shape)
        elif op in ("Identity", "Dropout"):
            y = x[0]
        else:
            raise SystemExit("oracle: unsupported op " + op)
        env[n.output[0]] = y
    out = env[g.output[0].name]
    return out.reshape(X.shape[0], -1)


def main():
    fmt, path, states = sys.argv[1], sys.argv[2], sys.argv[3]
    acts = sys.argv[4].split(",") if len(sys.argv) > 4 else None
    X = np.loadtxt(states, ndmin=2)
    if fmt == "nnet":
        U = nnet(path, X)
    elif fmt == "polar":
        U = polar(path, X, acts)
    else:
        U = onnx_eval(path, X)
    for row in U:
        print(" ".join(repr(float(v)) for v in row))


main()
