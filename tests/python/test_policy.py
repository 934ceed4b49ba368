"""Policy: construction, evaluation against a NumPy forward pass (an
independent oracle), the file round trip, and from_state_dict on well-formed
and malformed dicts."""

import numpy as np
import pytest

import prunebound as pb

ACTS = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "linear": lambda z: z,
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "hardtanh": lambda z: np.clip(z, -1, 1)}


def numpy_forward(layers, X, inp=None, out=None):
    h = X if inp is None else (X - inp["offset"]) * inp["scale"]
    for W, b, a in layers:
        z = h @ W.T + (0 if b is None else b)
        h = np.where(z > 0, z, a[1] * z) if isinstance(a, tuple) else ACTS[a](z)
    if out is not None:
        h = np.clip((h - out["offset"]) * out["scale"], out["low"], out["high"])
    return h


def random_layers(rng, sizes, acts):
    return [(rng.normal(size=(sizes[k + 1], sizes[k])) / np.sqrt(sizes[k]),
             rng.normal(size=sizes[k + 1]) * 0.1, acts[k]) for k in range(len(acts))]


def test_from_layers_matches_numpy_forward_pass():
    rng = np.random.default_rng(1)
    layers = random_layers(rng, [3, 16, 8, 2], ["tanh", ("leaky_relu", 0.1), "linear"])
    inp = {"offset": np.array([0.1, -0.2, 0.3]), "scale": np.array([2.0, 1.0, 0.5])}
    out = {"offset": np.array([0.0, 0.1]), "scale": np.array([3.0, -2.0]),
           "low": np.array([-1.0, -np.inf]), "high": np.array([1.0, 0.5])}
    p = pb.Policy.from_layers(layers, input_map=inp, output_map=out)
    X = rng.normal(size=(1000, 3))
    np.testing.assert_allclose(p(X), numpy_forward(layers, X, inp, out), rtol=1e-12, atol=1e-12)
    assert p.sizes == [3, 16, 8, 2]
    for (W, b, a), (W2, b2, a2) in zip(layers, p.layers()):
        assert np.array_equal(W, W2) and np.array_equal(b, b2) and a == a2


def test_save_load_round_trip_is_bit_exact(tmp_path):
    rng = np.random.default_rng(2)
    p = pb.Policy.from_layers(random_layers(rng, [4, 8, 1], ["relu", "linear"]))
    p.save(tmp_path / "p.h5")
    q = pb.Policy.load(tmp_path / "p.h5")
    X = rng.normal(size=(50, 4))
    assert np.array_equal(p(X), q(X))
    for (W, b, _), (W2, b2, _) in zip(p.layers(), q.layers()):
        assert np.array_equal(W, W2) and np.array_equal(b, b2)


def test_from_layers_refuses_broken_chain():
    with pytest.raises(ValueError, match="layer 2: W has 5 columns but layer 1 has 4 outputs"):
        pb.Policy.from_layers([(np.ones((4, 2)), None, "relu"), (np.ones((1, 5)), None, "linear")])
    with pytest.raises(ValueError, match="unknown activation 'rel'"):
        pb.Policy.from_layers([(np.ones((1, 2)), None, "rel")])


def test_nonfinite_weight_raises_library_message():
    W = np.ones((2, 2))
    W[1, 0] = np.nan
    with pytest.raises(pb.Error) as e:
        pb.Policy.from_layers([(W, None, "linear")])
    assert e.value.code == -1 and "layer 1" in str(e.value)


# ---- state_dict ----

def sd_numpy(rng, sizes, bias=True, prefix="net."):
    d = {}
    for k in range(len(sizes) - 1):
        d["%s%d.weight" % (prefix, 2 * k)] = rng.normal(size=(sizes[k + 1], sizes[k]))
        if bias:
            d["%s%d.bias" % (prefix, 2 * k)] = rng.normal(size=sizes[k + 1])
    return d


def test_state_dict_numpy_well_formed():
    rng = np.random.default_rng(3)
    sd = sd_numpy(rng, [3, 6, 2])
    p = pb.Policy.from_state_dict(sd, ["tanh", "linear"])
    X = rng.normal(size=(20, 3))
    ref = numpy_forward([(sd["net.0.weight"], sd["net.0.bias"], "tanh"),
                         (sd["net.2.weight"], sd["net.2.bias"], "linear")], X)
    np.testing.assert_allclose(p(X), ref, rtol=1e-12, atol=1e-12)


def test_state_dict_torch_sequential_bias_false():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16, bias=False), torch.nn.ReLU(),
                              torch.nn.Linear(16, 16), torch.nn.Tanh(),
                              torch.nn.Linear(16, 2)).double()
    p = pb.Policy.from_state_dict(net.state_dict(), ["relu", "tanh", "linear"])
    X = np.random.default_rng(4).normal(size=(100, 4))
    with torch.no_grad():
        ref = net(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(p(X), ref, rtol=1e-12, atol=1e-12)
    assert np.array_equal(p.layers()[0][1], np.zeros(16))  # Linear(bias=False): b = 0


@pytest.mark.parametrize("mutate, acts, message", [
    (lambda d: d.update({"net.2.weight": np.ones((2, 7))}), ["tanh", "linear"],
     r"state_dict\['net.2.weight'\] has 7 inputs but the layer before it \('net.0.weight'\) has 6"),
    (lambda d: d.update({"net.0.bias": np.ones(5)}), ["tanh", "linear"],
     r"state_dict\['net.0.bias'\] has shape \(5,\) but 'net.0.weight' has 6 outputs"),
    (lambda d: None, ["tanh"], r"1 activations for 2 Linear layers \(net.0.weight, net.2.weight\)"),
    (lambda d: None, ["tanh", None], r"activation of 'net.2.weight' is None"),
    (lambda d: d.update({"net.4.bias": np.ones(2)}), ["tanh", "linear"],
     r"state_dict\['net.4.bias'\] has no matching 'net.4.weight'"),
    (lambda d: d.update({"conv.weight": np.ones((2, 3, 3))}), ["tanh", "linear", "linear"],
     r"state_dict\['conv.weight'\] has shape \(2, 3, 3\)"),
    (lambda d: d.update({"log_std": np.ones(2)}), ["tanh", "linear"],
     r"state_dict\['log_std'\] is not an nn.Linear weight or bias"),
    (lambda d: d.update({"value_net.weight": np.ones((1, 6))}), ["tanh", "linear"],
     r"state_dict\['value_net.weight'\] looks like an actor-critic's value head"),
])
def test_state_dict_malformed_names_the_key(mutate, acts, message):
    sd = sd_numpy(np.random.default_rng(5), [3, 6, 2])
    mutate(sd)
    with pytest.raises(ValueError, match=message):
        pb.Policy.from_state_dict(sd, acts)


def test_state_dict_actor_critic_with_prefix():
    """A Stable-Baselines3-shaped actor-critic: the actor selected by prefix
    equals the actor's own forward pass; without prefix it is refused."""
    rng = np.random.default_rng(6)
    sd = {"mlp_extractor.policy_net.0.weight": rng.normal(size=(8, 3)),
          "mlp_extractor.policy_net.0.bias": rng.normal(size=8),
          "mlp_extractor.value_net.0.weight": rng.normal(size=(8, 3)),
          "mlp_extractor.value_net.0.bias": rng.normal(size=8),
          "action_net.weight": rng.normal(size=(1, 8)), "action_net.bias": rng.normal(size=1),
          "value_net.weight": rng.normal(size=(1, 8)), "value_net.bias": rng.normal(size=1)}
    with pytest.raises(ValueError, match="value head"):
        pb.Policy.from_state_dict(sd, ["tanh", "linear"])
    p = pb.Policy.from_state_dict(sd, ["tanh", "linear"],
                                  prefix=("mlp_extractor.policy_net.", "action_net."))
    X = rng.normal(size=(10, 3))
    ref = numpy_forward([(sd["mlp_extractor.policy_net.0.weight"],
                          sd["mlp_extractor.policy_net.0.bias"], "tanh"),
                         (sd["action_net.weight"], sd["action_net.bias"], "linear")], X)
    np.testing.assert_allclose(p(X), ref, rtol=1e-12, atol=1e-12)
