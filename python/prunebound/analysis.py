"""prune, bound and certify: controller/prune/prune.h, sim/certify/."""

import ctypes

import numpy as np

from . import _lib
from ._lib import lib
from .policy import Policy

_BOUND_STEP = 4096  # states per certify_states_step, as `prunebound bound`


def _method(name):
    m = lib.prune_find(name.encode()) if isinstance(name, str) else None
    if not m:
        raise ValueError("unknown pruning method %r (magnitude, obd, obs, sparsegpt)" % (name,))
    return m


def _layers(policy, layers):
    """Selected layers (1-based) as a ctypes array and its length; None = all."""
    L = policy.n_layers
    sel = (ctypes.c_size_t * max(L, 1))()
    n = ctypes.c_size_t(0)
    if layers is None or layers == "all":
        for k in range(L):
            sel[k] = k + 1
        return sel, L
    if not isinstance(layers, str):
        layers = ",".join(str(int(k)) for k in layers)
    err = _lib.new_error()
    _lib.check(lib.prune_layers_parse(layers.encode(), L, sel, L, ctypes.byref(n),
                                      ctypes.byref(err)), err)
    if n.value == 0:
        for k in range(L):
            sel[k] = k + 1
        return sel, L
    return sel, n.value


def prune(policy, calib_states, method, sparsity, pattern=None, layers=None, global_=False,
          damp=None, block=None, mask_block=None, original_inputs=False):
    """A pruned copy of policy (prune_mlp), as `prunebound prune`: method
    magnitude, obd, obs or sparsegpt; sparsity in [0, 1) (ignored with a
    pattern 'N:M'); layers 1-based (None or 'all': every layer);
    calib_states [n, n_in] (may be None for magnitude)."""
    m = _method(method)
    opt = _lib.prune_options()
    lib.prune_options_init(ctypes.byref(opt))
    opt.sparsity = float(sparsity)
    err = _lib.new_error()
    if pattern is not None:
        nm_n, nm_m = ctypes.c_size_t(), ctypes.c_size_t()
        _lib.check(lib.prune_pattern_parse(pattern.encode(), ctypes.byref(nm_n),
                                           ctypes.byref(nm_m), ctypes.byref(err)), err)
        opt.nm_n, opt.nm_m = nm_n, nm_m
    sel = None
    if layers is not None and layers != "all":
        sel, n_sel = _layers(policy, layers)
        opt.layers = ctypes.cast(sel, ctypes.POINTER(ctypes.c_size_t))
        opt.n_sel = n_sel
    opt.global_ = 1 if global_ else 0
    if damp is not None:
        opt.damp = float(damp)
    if block is not None:
        opt.block = int(block)
    if mask_block is not None:
        opt.mask_block = int(mask_block)
    opt.original_inputs = 1 if original_inputs else 0
    if calib_states is None:
        X, n, xp = None, 0, None
    else:
        X = _lib.as_matrix(calib_states, policy.n_in, "calib_states")
        n, xp = X.shape[0], _lib.dptr(X)
    out = ctypes.POINTER(_lib.mlp)()
    _lib.check(lib.prune_mlp(policy._p, m, ctypes.byref(opt), xp, n, ctypes.byref(out),
                             ctypes.byref(err)), err)
    return Policy(out)


def bound(original, pruned, states, progress=None):
    """The deviation ||pi(x) - pi^(x)|| and its certified bounds on states
    [n, n_in] (certify_states.h, the numbers of `prunebound bound`):
    a dict of NumPy arrays dev_actual, dev_actual_err, dev_bound,
    dev_bound_closed, tightness ([n] each), the per-layer dW_spectral_norm,
    db_norm, W_spectral_norm (the original's) and layer_changed, and the
    scalars output_gain, max_*, median_tightness, violations,
    attained_to_rounding.  progress(done, n) between steps of 4096 states."""
    X = _lib.as_matrix(states, original.n_in, "states")
    n = X.shape[0]
    err = _lib.new_error()
    r = lib.certify_states_alloc(original._p, pruned._p, n, _lib.dptr(X), ctypes.byref(err))
    if not r:
        _lib.fail(err)
    try:
        c = r.contents
        while c.done < c.n:
            lib.certify_states_step(r, _BOUND_STEP)
            if progress is not None:
                progress(c.done, c.n)
        lib.certify_states_finish(r)
        L = original.n_layers
        pair = c.pair.contents
        bm = c.bm.contents
        W_norm = np.array([bm.layers[k].W_norm for k in range(L)])
        return {
            "dev_actual": _lib.copy_out(c.actual, n),
            "dev_actual_err": _lib.copy_out(c.actual_err, n),
            "dev_bound": _lib.copy_out(c.bound, n),
            "dev_bound_closed": _lib.copy_out(c.closed, n),
            "tightness": _lib.copy_out(c.tight, n),
            "dW_spectral_norm": _lib.copy_out(pair.dW_norm, L),
            "db_norm": _lib.copy_out(pair.db_norm, L),
            "W_spectral_norm": W_norm,
            "layer_changed": np.array([c.changed[k] for k in range(L)], dtype=np.int64),
            "output_gain": bm.gain,
            "max_dev_actual": c.max_actual,
            "max_dev_bound": c.max_bound,
            "max_dev_bound_closed": c.max_closed,
            "max_tightness": c.max_tight,
            "median_tightness": c.median_tight,
            "violations": c.violations,
            "attained_to_rounding": c.attained,
        }
    finally:
        lib.certify_states_free(r)


def _methods(methods):
    if methods is None:
        return []
    if isinstance(methods, str):
        methods = [methods]
    names = []
    for name in methods:
        if name == "all":
            i = 0
            allm = []
            while True:
                p = _lib.prune_methods[i]
                if not p:
                    break
                allm.append(p.contents.name.decode())
                i += 1
            names += [a for a in allm if a not in names]
        elif name not in names:
            _method(name)
            names.append(name)
    return names


def certify(policy, eps, box=None, radius=None, center=None, methods=("all",), pattern=None,
            layers=None, calib_states=None, calib_samples=256, seed=1, progress=None):
    """How far policy may be pruned and keep its action within eps over a
    set of states (certify.h, the numbers of `prunebound certify`): the box
    [(lo, hi), ...] per input or the ball of radius R (center default 0).
    Returns a dict: per selected layer (arrays) layer, W_norm, D, sup_h_closed,
    sup_h_ibp, sup_h, C_sup, admissible_dW_norm; and methods: {name:
    {"per_layer": [{"layer", "sparsity" or "certified", "dW_norm"}],
    "all_selected": {...} when several layers}}.  Calibration states are
    calib_states, or calib_samples drawn from the set with seed (as the CLI)."""
    n_in = policy.n_in
    if (box is None) == (radius is None):
        raise ValueError("certify: give exactly one of box and radius")
    st = _lib.bounds_set()
    st.n = n_in
    keep = []
    if box is not None:
        B = np.ascontiguousarray(np.asarray(box, dtype=np.float64))
        if B.shape != (n_in, 2):
            raise ValueError("certify: box needs (lo, hi) for each of the %d inputs, got shape %s"
                             % (n_in, B.shape))
        lo, hi = np.ascontiguousarray(B[:, 0]), np.ascontiguousarray(B[:, 1])
        keep += [lo, hi]
        st.kind, st.lo, st.hi = 0, _lib.dptr(lo), _lib.dptr(hi)
    else:
        st.kind, st.radius = 1, float(radius)
        if center is not None:
            c = np.ascontiguousarray(np.asarray(center, dtype=np.float64))
            if c.shape != (n_in,):
                raise ValueError("certify: center needs %d numbers" % n_in)
            keep.append(c)
            st.center = _lib.dptr(c)
    names = _methods(methods)
    sel, n_sel = _layers(policy, layers)
    err = _lib.new_error()
    cp = lib.certify_alloc(policy._p, ctypes.byref(st), float(eps), ctypes.byref(err))
    if not cp:
        _lib.fail(err)
    try:
        c = cp.contents
        bm = c.bm.contents
        ks = [sel[i] - 1 for i in range(n_sel)]
        out = {
            "eps": float(eps), "set": "box" if box is not None else "ball",
            "output_gain": bm.gain,
            "layer": np.array([k + 1 for k in ks]),
            "W_norm": np.array([bm.layers[k].W_norm for k in ks]),
            "D": np.array([bm.down[k] for k in ks]),
            "sup_h_closed": np.array([c.sup_closed[k] for k in ks]),
            "sup_h_ibp": np.array([c.sup_ibp[k] for k in ks]),
            "sup_h": np.array([c.sup[k] for k in ks]),
            "C_sup": np.array([lib.bounds_forward_coeff(c.bm, k, c.sup[k]) for k in ks]),
            "admissible_dW_norm": np.array([c.adm[k] for k in ks]),
            "methods": {},
        }
        if names:
            if calib_states is not None:
                X = _lib.as_matrix(calib_states, n_in, "calib_states")
            else:
                X = np.empty((int(calib_samples), n_in))
                _lib.check(lib.certify_sample_states(ctypes.byref(st), X.shape[0], int(seed),
                                                     _lib.dptr(X), ctypes.byref(err)), err)
            keep.append(X)
            lib.certify_set_calibration(cp, _lib.dptr(X), X.shape[0])
            pr = _lib.certify_pruning()
            if pattern is not None:
                nm_n, nm_m = ctypes.c_size_t(), ctypes.c_size_t()
                _lib.check(lib.prune_pattern_parse(pattern.encode(), ctypes.byref(nm_n),
                                                   ctypes.byref(nm_m), ctypes.byref(err)), err)
                pr.nm_n, pr.nm_m = nm_n, nm_m
            for mi, name in enumerate(names):
                pr.method = _method(name)
                res = {"per_layer": []}
                for i in range(n_sel + 1):
                    if i == n_sel and n_sel == 1:
                        break
                    if i < n_sel:
                        s_arr = (ctypes.c_size_t * 1)(sel[i])
                        ns = 1
                    else:
                        s_arr, ns = sel, n_sel
                    best, value, ok = ctypes.c_double(0), ctypes.c_double(0), ctypes.c_int(1)
                    if pr.nm_m:
                        rc = lib.certify_check(cp, ctypes.byref(pr), s_arr, ns, 0.0,
                                               ctypes.byref(ok), ctypes.byref(value),
                                               ctypes.byref(err))
                    else:
                        rc = lib.certify_search(cp, ctypes.byref(pr), s_arr, ns,
                                                ctypes.byref(best), ctypes.byref(value),
                                                ctypes.byref(err))
                    _lib.check(rc, err)
                    r = {"certified": bool(ok.value)} if pr.nm_m else {"sparsity": best.value}
                    r["dW_norm" if ns == 1 else "bound"] = value.value
                    if i < n_sel:
                        r["layer"] = int(sel[i])
                        res["per_layer"].append(r)
                    else:
                        r["layers"] = [int(sel[j]) for j in range(n_sel)]
                        res["all_selected"] = r
                out["methods"][name] = res
                if progress is not None:
                    progress(mi + 1, len(names))
        return out
    finally:
        lib.certify_free(cp)
