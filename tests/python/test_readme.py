"""The README's five Python lines run as written (PyTorch needed) and give a
sparsity in [0, 1) whose bound over the box is within eps."""

import contextlib
import io
import os
import re

import pytest


def test_readme_five_lines(source):
    pytest.importorskip("torch")
    text = open(os.path.join(source, "README.md")).read()
    block = re.search(r"## From Python.*?```python\n(.*?)```", text, re.S).group(1)
    assert len(block.strip().splitlines()) == 5
    out = io.StringIO()
    ns = {}
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), ns)
    s = float(out.getvalue())
    assert 0.0 <= s < 1.0
    # at the certified sparsity the telescoping bound over the box is within eps
    r = ns["cert"]["methods"]["sparsegpt"]["all_selected"]
    assert r["sparsity"] == s and r["bound"] <= 0.1
