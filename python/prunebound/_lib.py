"""The shared library libprunebound through ctypes: loading, the mirrored
structs, the prototypes, and errors.

ctypes, not cffi: it is in every CPython (a pyenv or venv interpreter
included), needs no package beyond NumPy, and releases the GIL around every
foreign call.  The structs below mirror the public headers field by field;
tests/python/test_layout.py checks every size and offset against the C
compiler's (tests/python/pb_py_layout.c)."""

import ctypes
import os
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_int, c_longlong,
                    c_size_t, c_ubyte, c_ulong, c_void_p)

import numpy as np

PB_ERRMSG_MAX = 1024


class Error(Exception):
    """A failing libprunebound call: `code` is the pb_status (negative), the
    message is the C library's pb_error.msg unchanged."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


class pb_error(Structure):
    _fields_ = [("code", c_int), ("msg", c_char * PB_ERRMSG_MAX)]


class mlp_layer(Structure):
    _fields_ = [("n_in", c_size_t), ("n_out", c_size_t), ("W", POINTER(c_double)),
                ("b", POINTER(c_double)), ("mask", POINTER(c_ubyte)), ("act", c_int),
                ("alpha", c_double), ("dW_norm", c_double), ("recon_err", c_double)]


class mlp_provenance(Structure):
    _fields_ = [("method", c_char * 32), ("sparsity", c_double), ("pattern", c_char * 16),
                ("parent_sha256", c_char * 65)]


class mlp(Structure):
    _fields_ = [("n_layers", c_size_t), ("layers", POINTER(mlp_layer)), ("n_in", c_size_t),
                ("n_out", c_size_t), ("in_offset", POINTER(c_double)),
                ("in_scale", POINTER(c_double)), ("out_offset", POINTER(c_double)),
                ("out_scale", POINTER(c_double)), ("out_low", POINTER(c_double)),
                ("out_high", POINTER(c_double)), ("prov", mlp_provenance),
                ("max_width", c_size_t)]


class prune_options(Structure):
    _fields_ = [("sparsity", c_double), ("nm_n", c_size_t), ("nm_m", c_size_t),
                ("global_", c_int), ("layers", POINTER(c_size_t)), ("n_sel", c_size_t),
                ("damp", c_double), ("block", c_size_t), ("mask_block", c_size_t),
                ("original_inputs", c_int),
                # prune_progress_fn and its context: NULL (silent) from Python
                ("progress", c_void_p), ("progress_ctx", c_void_p)]


class prune_method(Structure):
    _fields_ = [("name", c_char_p), ("reference", c_char_p), ("needs_hessian", c_int)]


class bounds_layer(Structure):
    _fields_ = [("n_in", c_size_t), ("n_out", c_size_t), ("W_norm", c_double),
                ("W_fro", c_double), ("b_norm", c_double), ("lip", c_double),
                ("act0", c_double), ("act_rel", c_double), ("act_abs", c_double),
                ("fe_gamma", c_double), ("fe_under", c_double), ("fe_act_abs", c_double)]


class bounds_model(Structure):
    _fields_ = [("n_layers", c_size_t), ("n_in", c_size_t), ("n_out", c_size_t),
                ("layers", POINTER(bounds_layer)), ("down", POINTER(c_double)),
                ("gain", c_double)]


class bounds_pair(Structure):
    _fields_ = [("n_layers", c_size_t), ("orig", c_void_p), ("pruned", c_void_p),
                ("dW_norm", POINTER(c_double)), ("db_norm", POINTER(c_double)),
                ("changed", POINTER(c_ubyte)), ("n_changed", c_size_t)]


class certify_states(Structure):
    _fields_ = [("orig", POINTER(mlp)), ("pruned", POINTER(mlp)), ("X", POINTER(c_double)),
                ("n", c_size_t), ("done", c_size_t), ("bm", POINTER(bounds_model)),
                ("pair", POINTER(bounds_pair)), ("actual", POINTER(c_double)),
                ("actual_err", POINTER(c_double)), ("bound", POINTER(c_double)),
                ("closed", POINTER(c_double)), ("tight", POINTER(c_double)),
                ("max_actual", c_double), ("max_bound", c_double), ("max_closed", c_double),
                ("max_tight", c_double), ("median_tight", c_double),
                ("violations", c_longlong), ("attained", c_longlong),
                ("changed", POINTER(c_longlong))]


class bounds_set(Structure):
    _fields_ = [("kind", c_int), ("n", c_size_t), ("lo", POINTER(c_double)),
                ("hi", POINTER(c_double)), ("center", POINTER(c_double)), ("radius", c_double)]


class certify(Structure):
    _fields_ = [("m", POINTER(mlp)), ("bm", POINTER(bounds_model)), ("eps", c_double),
                ("sup_closed", POINTER(c_double)), ("sup_ibp", POINTER(c_double)),
                ("sup", POINTER(c_double)), ("adm", POINTER(c_double))]


class certify_pruning(Structure):
    _fields_ = [("method", POINTER(prune_method)), ("nm_n", c_size_t), ("nm_m", c_size_t)]


class run_variants(Structure):
    _fields_ = [("orig", POINTER(mlp)), ("n", c_size_t), ("nets", POINTER(POINTER(mlp))),
                ("variants", c_void_p), ("n_calib", c_size_t), ("note", c_char * 512)]


class run_job(Structure):
    _fields_ = [("cfg", c_void_p), ("v", run_variants), ("v_borrowed", c_int),
                ("model", c_void_p), ("data", c_void_p), ("block", c_size_t),
                ("results", c_void_p), ("rows", c_void_p), ("done", c_size_t)]


class run_mc(Structure):
    _fields_ = [("done", c_size_t), ("samples", c_size_t), ("cfg", c_void_p),
                ("v", run_variants)]


def _candidates():
    env = os.environ.get("PRUNEBOUND_LIBRARY")
    if env:
        yield env
        return
    try:
        from . import _config  # written by CMake into a build tree
        yield _config.LIBRARY
    except ImportError:
        pass
    # Installed: PREFIX/lib/python3/dist-packages/prunebound -> PREFIX/lib.
    here = os.path.dirname(os.path.abspath(__file__))
    libdir = os.path.normpath(os.path.join(here, "..", "..", ".."))
    yield os.path.join(libdir, "libprunebound.so")


def _load():
    tried = []
    for path in _candidates():
        if os.path.exists(path):
            return ctypes.CDLL(path), path
        tried.append(path)
    raise ImportError("prunebound: libprunebound.so not found (tried %s); set "
                      "PRUNEBOUND_LIBRARY to its path" % ", ".join(tried))


lib, LIBRARY_PATH = _load()

_P = POINTER
_err = _P(pb_error)
_mlp = _P(mlp)
_dbl = _P(c_double)
_sz = _P(c_size_t)

_protos = {
    "pb_strerror": (c_char_p, [c_int]),
    "mlp_act_parse": (c_int, [c_char_p, _P(c_int)]),
    "mlp_act_name": (c_char_p, [c_int]),
    "mlp_alloc": (_mlp, [c_size_t, _sz, _P(c_int), _err]),
    "mlp_free": (None, [_mlp]),
    "mlp_clone": (_mlp, [_mlp, _err]),
    "mlp_add_input_map": (c_int, [_mlp, _err]),
    "mlp_add_output_map": (c_int, [_mlp, _err]),
    "mlp_validate": (c_int, [_mlp, _err]),
    "mlp_work_alloc": (c_void_p, [_mlp, c_size_t, _err]),
    "mlp_work_free": (None, [c_void_p]),
    "mlp_eval_batch": (None, [_mlp, c_void_p, c_size_t, _dbl, _dbl]),
    "mlp_n_weights": (c_size_t, [_mlp]),
    "mlp_n_pruned": (c_size_t, [_mlp]),
    "mlp_read_h5": (c_int, [c_char_p, _P(_mlp), _err]),
    "mlp_write_h5": (c_int, [_mlp, c_char_p, _err]),
    "mlp_file_sha256": (c_int, [c_char_p, c_char * 65, _err]),
    "prune_find": (_P(prune_method), [c_char_p]),
    "prune_options_init": (None, [_P(prune_options)]),
    "prune_mlp": (c_int, [_mlp, _P(prune_method), _P(prune_options), _dbl, c_size_t,
                          _P(_mlp), _err]),
    "prune_pattern_parse": (c_int, [c_char_p, _sz, _sz, _err]),
    "prune_layers_parse": (c_int, [c_char_p, c_size_t, _sz, c_size_t, _sz, _err]),
    "certify_states_alloc": (_P(certify_states), [_mlp, _mlp, c_size_t, _dbl, _err]),
    "certify_states_step": (None, [_P(certify_states), c_size_t]),
    "certify_states_finish": (None, [_P(certify_states)]),
    "certify_states_free": (None, [_P(certify_states)]),
    "certify_alloc": (_P(certify), [_mlp, _P(bounds_set), c_double, _err]),
    "certify_free": (None, [_P(certify)]),
    "certify_set_calibration": (None, [_P(certify), _dbl, c_size_t]),
    "certify_sample_states": (c_int, [_P(bounds_set), c_size_t, c_ulong, _dbl, _err]),
    "certify_search": (c_int, [_P(certify), _P(certify_pruning), _sz, c_size_t, _dbl, _dbl,
                               _err]),
    "certify_check": (c_int, [_P(certify), _P(certify_pruning), _sz, c_size_t, c_double,
                              _P(c_int), _dbl, _err]),
    "bounds_forward_coeff": (c_double, [_P(bounds_model), c_size_t, c_double]),
    "cfg_run_load": (c_int, [c_char_p, _P(c_char_p), c_size_t, _P(c_void_p), _err]),
    "cfg_run_free": (None, [c_void_p]),
    "run_job_alloc": (_P(run_job), [c_void_p, _err]),
    "run_job_open": (c_int, [_P(run_job), c_char_p, _err]),
    "run_job_step": (c_int, [_P(run_job), _err]),
    "run_job_commit": (c_int, [_P(run_job), _err]),
    "run_job_violations": (c_longlong, [_P(run_job)]),
    "run_job_free": (None, [_P(run_job)]),
    "run_mc_alloc": (_P(run_mc), [c_void_p, c_size_t, _err]),
    "run_mc_open": (c_int, [_P(run_mc), c_char_p, c_int, _err]),
    "run_mc_step": (c_int, [_P(run_mc), _err]),
    "run_mc_finish": (c_int, [_P(run_mc), c_void_p, _err]),
    "run_mc_free": (None, [_P(run_mc)]),
}
for _name, (_res, _args) in _protos.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args


# The null-terminated registry of pruning methods (prune.h).
prune_methods = ctypes.cast(ctypes.addressof(c_void_p.in_dll(lib, "prune_methods")),
                            POINTER(POINTER(prune_method)))


def new_error():
    return pb_error()


def check(rc, err):
    """Raises Error with the C message when rc is a failure status."""
    if rc != 0:
        raise Error(rc, err.msg.decode("utf-8", "replace"))


def fail(err):
    """Raises the error left in err by a call that returned NULL."""
    code = err.code if err.code else -9
    raise Error(code, err.msg.decode("utf-8", "replace"))


def as_matrix(X, ncols, name):
    """X as a C-contiguous float64 [n, ncols] array (a copy only when needed)."""
    A = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
    if A.ndim == 1 and ncols is not None and A.shape[0] == ncols:
        A = A.reshape(1, ncols)
    if A.ndim != 2 or (ncols is not None and A.shape[1] != ncols):
        raise ValueError("%s: expected shape [n, %s], got %s" % (name, ncols, A.shape))
    return A


def dptr(A):
    return A.ctypes.data_as(_dbl)


def copy_out(p, n):
    """n doubles at p as a fresh NumPy array (empty for a NULL pointer)."""
    if not p or n == 0:
        return np.empty(0)
    return np.ctypeslib.as_array(p, shape=(n,)).copy()
