"""Inputs of the pruning benchmark (bench/prune/run): a 16-1024-1024-4 tanh
policy and 4096 calibration states, deterministic for the seed.

    python3 make_inputs.py OUT_DIR
writes OUT_DIR/policy.h5 (prunebound policy file) and OUT_DIR/calib.h5
(dataset `states` [4096, 16])."""
import sys

import h5py
import numpy as np

SIZES = [16, 1024, 1024, 4]
ACTS = ["tanh", "tanh", "linear"]
N_CALIB = 4096


def main(out):
    rng = np.random.default_rng(2026)
    with h5py.File(f"{out}/policy.h5", "w") as f:
        f.attrs["format"], f.attrs["format_version"] = "prunebound-mlp", 1
        for j, act in enumerate(ACTS):
            g = f.create_group(f"layers/{j + 1}")
            g["W"] = rng.normal(size=(SIZES[j + 1], SIZES[j])) / np.sqrt(SIZES[j])
            g["b"] = rng.normal(size=SIZES[j + 1]) * 0.1
            g.attrs["activation"] = act
    with h5py.File(f"{out}/calib.h5", "w") as f:
        f["states"] = rng.normal(size=(N_CALIB, SIZES[0]))


if __name__ == "__main__":
    main(sys.argv[1])
