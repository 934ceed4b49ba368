import h5py, numpy as np

def export_policy(state_dict, activations, path):
    """Writes an nn.Sequential of Linear layers (its state_dict) as a prunebound policy."""
    Ws = [np.asarray(v, np.float64) for k, v in state_dict.items() if k.endswith("weight")]
    bs = [np.asarray(v, np.float64) for k, v in state_dict.items() if k.endswith("bias")]
    with h5py.File(path, "w") as f:
        f.attrs["format"], f.attrs["format_version"] = "prunebound-mlp", 1
        for j, (W, b, act) in enumerate(zip(Ws, bs, activations), start=1):
            g = f.create_group(f"layers/{j}")
            g["W"], g["b"], g.attrs["activation"] = W, b, act
