"""The ctypes mirrors of _lib.py against the C compiler's layout
(tests/python/pb_py_layout.c): every size and offset."""

import ctypes
import json
import os
import subprocess

import pytest

from prunebound import _lib

# Mirrored up to the last field Python reads, used only through pointers.
PREFIX_ONLY = {"prune_method", "bounds_model", "certify", "certify_states", "run_job", "run_mc"}


def test_struct_layouts_match_c():
    exe = os.environ.get("PB_PY_LAYOUT")
    if not exe:
        pytest.fail("PB_PY_LAYOUT is not set (ctest sets it to the pb_py_layout program)")
    c = json.loads(subprocess.run([exe], check=True, capture_output=True, text=True).stdout)
    assert len(c) == 16
    for name, fields in c.items():
        cls = getattr(_lib, name)
        mirrored = {f[0] for f in cls._fields_}
        for field, off in fields.items():
            if field == "_size_":
                # a struct mirrored up to a prefix is only used through pointers
                if name not in PREFIX_ONLY:
                    assert ctypes.sizeof(cls) == off, name
                continue
            assert field in mirrored, "%s.%s is not mirrored" % (name, field)
            assert getattr(cls, field).offset == off, "%s.%s" % (name, field)
