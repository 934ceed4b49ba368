"""Policy: an MLP owned by libprunebound (controller/mlp.h)."""

import ctypes
import os

import numpy as np

from . import _lib
from ._lib import lib

_EVAL_BATCH = 256  # states per mlp_eval_batch call


def _act_code(name):
    code = ctypes.c_int()
    if not isinstance(name, str) or lib.mlp_act_parse(name.encode(), ctypes.byref(code)) != 0:
        raise ValueError("unknown activation %r (relu, leaky_relu, tanh, sigmoid, hardtanh, "
                         "linear)" % (name,))
    return code.value


def _act_spec(spec):
    """'relu' or ('leaky_relu', alpha) -> (code, alpha)."""
    if isinstance(spec, (tuple, list)):
        name, alpha = spec
        return _act_code(name), float(alpha)
    return _act_code(spec), 0.0


def _to_numpy(t):
    """A NumPy float64 copy of a NumPy array or a PyTorch tensor."""
    if hasattr(t, "detach") and hasattr(t, "cpu"):  # torch.Tensor, without importing torch
        t = t.detach().cpu().numpy()
    return np.array(t, dtype=np.float64)


class Policy:
    """A policy network in libprunebound.  Build one with Policy.from_layers,
    Policy.from_state_dict or Policy.load; call it on states X [n, n_in]."""

    def __init__(self, ptr):
        if not ptr:
            raise ValueError("Policy: NULL network")
        self._p = ptr

    def __del__(self):
        p = getattr(self, "_p", None)
        if p:
            lib.mlp_free(p)
            self._p = None

    # ---- building ----
    @classmethod
    def from_layers(cls, layers, input_map=None, output_map=None):
        """layers: [(W [n_out, n_in], b [n_out] or None, activation), ...], the
        activation a name or (name, alpha).  input_map: dict offset, scale
        ([n_in]); output_map: dict offset, scale, low, high ([n_out]); a
        missing entry takes its identity value."""
        if not layers:
            raise ValueError("from_layers: no layers")
        Ws, bs, acts = [], [], []
        for k, layer in enumerate(layers, 1):
            if len(layer) != 3:
                raise ValueError("layer %d: expected (W, b, activation)" % k)
            W = _to_numpy(layer[0])
            if W.ndim != 2:
                raise ValueError("layer %d: W must be 2-D [n_out, n_in], got shape %s"
                                 % (k, W.shape))
            b = np.zeros(W.shape[0]) if layer[1] is None else _to_numpy(layer[1])
            if b.shape != (W.shape[0],):
                raise ValueError("layer %d: b has shape %s, W has %d rows"
                                 % (k, b.shape, W.shape[0]))
            if Ws and W.shape[1] != Ws[-1].shape[0]:
                raise ValueError("layer %d: W has %d columns but layer %d has %d outputs"
                                 % (k, W.shape[1], k - 1, Ws[-1].shape[0]))
            Ws.append(np.ascontiguousarray(W))
            bs.append(b)
            acts.append(_act_spec(layer[2]))
        L = len(Ws)
        sizes = (ctypes.c_size_t * (L + 1))(Ws[0].shape[1], *[W.shape[0] for W in Ws])
        codes = (ctypes.c_int * L)(*[a[0] for a in acts])
        err = _lib.new_error()
        p = lib.mlp_alloc(L, sizes, codes, ctypes.byref(err))
        if not p:
            _lib.fail(err)
        pol = cls(p)
        m = p.contents
        for k in range(L):
            lay = m.layers[k]
            ctypes.memmove(lay.W, Ws[k].ctypes.data, Ws[k].nbytes)
            ctypes.memmove(lay.b, bs[k].ctypes.data, bs[k].nbytes)
            lay.alpha = acts[k][1]
        if input_map is not None:
            _lib.check(lib.mlp_add_input_map(p, ctypes.byref(err)), err)
            pol._fill_map(input_map, {"offset": m.in_offset, "scale": m.in_scale}, m.n_in,
                          "input_map")
        if output_map is not None:
            _lib.check(lib.mlp_add_output_map(p, ctypes.byref(err)), err)
            pol._fill_map(output_map, {"offset": m.out_offset, "scale": m.out_scale,
                                       "low": m.out_low, "high": m.out_high}, m.n_out,
                          "output_map")
        _lib.check(lib.mlp_validate(p, ctypes.byref(err)), err)
        return pol

    @staticmethod
    def _fill_map(values, slots, n, what):
        for key in values:
            if key not in slots:
                raise ValueError("%s: unknown key %r (expected %s)"
                                 % (what, key, ", ".join(slots)))
        for key, ptr in slots.items():
            if key in values:
                v = np.broadcast_to(_to_numpy(values[key]), (n,)).astype(np.float64).copy()
                ctypes.memmove(ptr, v.ctypes.data, v.nbytes)

    @classmethod
    def from_state_dict(cls, state_dict, activations, input_map=None, output_map=None,
                        prefix=None):
        """A policy from a PyTorch state_dict (tensors or NumPy arrays) of
        nn.Linear layers in order: keys '<name>.weight' and optionally
        '<name>.bias' (Linear(bias=False) has none).  activations: one per
        Linear layer ('relu', 'tanh', ..., 'linear' for the last), the
        lengths must match.  prefix selects the layers under one name
        (e.g. 'pi.' or 'actor.'); without it, a dict holding an
        actor-critic's value head is refused."""
        from .state_dict import layers_from_state_dict
        layers = layers_from_state_dict(state_dict, activations, prefix)
        return cls.from_layers(layers, input_map, output_map)

    @classmethod
    def load(cls, path):
        """Reads a policy file (mlp_read_h5)."""
        err = _lib.new_error()
        out = ctypes.POINTER(_lib.mlp)()
        _lib.check(lib.mlp_read_h5(os.fsencode(path), ctypes.byref(out), ctypes.byref(err)), err)
        return cls(out)

    def save(self, path):
        """Writes the policy file (mlp_write_h5, atomic)."""
        err = _lib.new_error()
        _lib.check(lib.mlp_write_h5(self._p, os.fsencode(path), ctypes.byref(err)), err)

    def copy(self):
        err = _lib.new_error()
        p = lib.mlp_clone(self._p, ctypes.byref(err))
        if not p:
            _lib.fail(err)
        return Policy(p)

    # ---- reading ----
    @property
    def n_in(self):
        return self._p.contents.n_in

    @property
    def n_out(self):
        return self._p.contents.n_out

    @property
    def n_layers(self):
        return self._p.contents.n_layers

    @property
    def sizes(self):
        m = self._p.contents
        return [m.n_in] + [m.layers[k].n_out for k in range(m.n_layers)]

    def layers(self):
        """[(W, b, activation), ...] as copies; activation a name or
        ('leaky_relu', alpha)."""
        m = self._p.contents
        out = []
        for k in range(m.n_layers):
            lay = m.layers[k]
            W = _lib.copy_out(lay.W, lay.n_out * lay.n_in).reshape(lay.n_out, lay.n_in)
            b = _lib.copy_out(lay.b, lay.n_out)
            name = lib.mlp_act_name(lay.act).decode()
            out.append((W, b, (name, lay.alpha) if name == "leaky_relu" else name))
        return out

    def masks(self):
        """Per layer the mask (uint8 [n_out, n_in], 1 = kept), or None."""
        m = self._p.contents
        out = []
        for k in range(m.n_layers):
            lay = m.layers[k]
            if not lay.mask:
                out.append(None)
                continue
            a = np.ctypeslib.as_array(lay.mask, shape=(lay.n_out * lay.n_in,)).copy()
            out.append(a.reshape(lay.n_out, lay.n_in))
        return out

    @property
    def provenance(self):
        p = self._p.contents.prov
        return {"method": p.method.decode(), "sparsity": p.sparsity,
                "pattern": p.pattern.decode(), "parent_sha256": p.parent_sha256.decode()}

    @property
    def sparsity(self):
        """Pruned weights / weights over the whole network."""
        return lib.mlp_n_pruned(self._p) / lib.mlp_n_weights(self._p)

    def __repr__(self):
        return "Policy(sizes=%s)" % self.sizes

    # ---- evaluating ----
    def __call__(self, X, progress=None):
        """Actions U [n, n_out] of states X [n, n_in] (mlp_eval_batch, maps
        applied); a single state [n_in] gives [1, n_out].  progress(done, n)
        is called between batches when given."""
        X = _lib.as_matrix(X, self.n_in, "X")
        n = X.shape[0]
        U = np.empty((n, self.n_out))
        err = _lib.new_error()
        batch = min(max(n, 1), _EVAL_BATCH)
        w = lib.mlp_work_alloc(self._p, batch, ctypes.byref(err))
        if not w:
            _lib.fail(err)
        try:
            if progress is None and n > 0:
                self._eval_all(w, batch, n, X, U)
            else:
                for i in range(0, n, batch):
                    c = min(batch, n - i)
                    lib.mlp_eval_batch(self._p, w, c, _lib.dptr(X[i:i + c]), _lib.dptr(U[i:i + c]))
                    progress(i + c, n)
        finally:
            lib.mlp_work_free(w)
        return U

    def _eval_all(self, w, batch, n, X, U):
        ni, no = self.n_in, self.n_out
        f, p = lib.mlp_eval_batch, self._p
        xa, ua = X.ctypes.data, U.ctypes.data
        dp = ctypes.POINTER(ctypes.c_double)
        for i in range(0, n, batch):
            c = min(batch, n - i)
            f(p, w, c, ctypes.cast(xa + 8 * i * ni, dp), ctypes.cast(ua + 8 * i * no, dp))
