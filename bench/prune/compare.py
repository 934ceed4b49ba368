"""Checks that two pruned policy files agree (bench/prune/run): masks on all
but a few entries, weights to 1e-8 of their largest magnitude, and the
recorded ||dW||_2 (the C value is a certified upper bound, so it is at or just
above NumPy's).  Exit status 1 otherwise.

    python3 compare.py C_OUT.h5 NUMPY_OUT.h5"""
import sys

import h5py
import numpy as np


def main(a, b):
    bad = 0
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        for j in range(1, len(fa["layers"]) + 1):
            ga, gb = fa[f"layers/{j}"], fb[f"layers/{j}"]
            Wa, Wb = ga["W"][()], gb["W"][()]
            mism = (ga["mask"][()] != gb["mask"][()]).mean()
            werr = np.abs(Wa - Wb).max() / np.abs(Wa).max()
            na, nb = ga.attrs["dW_spectral_norm"], gb.attrs["dW_spectral_norm"]
            print(f"layer {j}: mask mismatch {mism:.2e}, max |dW| {werr:.1e}, "
                  f"||dW||_2 {na:.12g} (prunebound) vs {nb:.12g} (NumPy)")
            bad |= mism > 1e-3 or werr > 1e-8 or not (nb * (1 - 1e-12) <= na <= nb * (1 + 1e-8))
    if bad:
        print("prune_check FAILED: the NumPy port and prunebound disagree")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
