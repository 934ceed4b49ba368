"""The layers of a PyTorch state_dict of nn.Linear modules, checked: the
number of activations, the layer chain, the bias shapes and an actor-critic's
value head, each refusal naming the offending key."""

import re

import numpy as np

_VALUE_HEAD = re.compile(r"^(value.*|values?|critic.*|vf.*|v_head|v_net|q_net.*|qf\d*|q\d*)$")


def _array(key, t):
    if hasattr(t, "detach") and hasattr(t, "cpu"):  # torch.Tensor
        t = t.detach().cpu().numpy()
    try:
        return np.array(t, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError("state_dict[%r]: not a numeric array (%s)" % (key, e)) from None


def _select(state_dict, prefix):
    keys = list(state_dict.keys())
    if prefix is None:
        for k in keys:
            for part in k.split(".")[:-1]:
                if _VALUE_HEAD.match(part):
                    raise ValueError(
                        "state_dict[%r] looks like an actor-critic's value head (%r): a policy "
                        "has only the actor's layers; pass prefix= naming them, e.g. "
                        "prefix=('mlp_extractor.policy_net.', 'action_net.') for "
                        "Stable-Baselines3" % (k, part))
        return [(k, k) for k in keys]
    prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix)
    out = []
    for p in prefixes:
        sel = [(k, k[len(p):]) for k in keys if k.startswith(p)]
        if not sel:
            raise ValueError("prefix %r: no key of the state_dict starts with it" % (p,))
        out += [(k, p + short) for k, short in sel]
    return out


def layers_from_state_dict(state_dict, activations, prefix=None):
    """[(W, b, activation), ...] from the nn.Linear entries of state_dict in
    order (see Policy.from_state_dict)."""
    if not hasattr(state_dict, "keys"):
        raise TypeError("from_state_dict: expected a dict of tensors or arrays, got %s"
                        % type(state_dict).__name__)
    weights, biases, order = {}, {}, []
    for key, name in _select(state_dict, prefix):
        if name.endswith(".weight"):
            mod = name[:-len(".weight")]
            W = _array(key, state_dict[key])
            if W.ndim != 2:
                raise ValueError("state_dict[%r] has shape %s: only nn.Linear weights "
                                 "[out_features, in_features] are supported" % (key, W.shape))
            weights[mod] = (key, W)
            order.append(mod)
        elif name.endswith(".bias"):
            biases[name[:-len(".bias")]] = (key, _array(key, state_dict[key]))
        else:
            raise ValueError("state_dict[%r] is not an nn.Linear weight or bias (select the "
                             "policy's layers with prefix=)" % (key,))
    for mod, (key, _) in biases.items():
        if mod not in weights:
            raise ValueError("state_dict[%r] has no matching %r" % (key, mod + ".weight"))
    if not order:
        raise ValueError("state_dict holds no nn.Linear weight ('<name>.weight')")
    acts = list(activations) if not isinstance(activations, str) else [activations]
    if len(acts) != len(order):
        raise ValueError("%d activations for %d Linear layers (%s): give one per layer, "
                         "'linear' for the output layer"
                         % (len(acts), len(order), ", ".join(weights[m][0] for m in order)))
    layers = []
    prev = None
    for mod, act in zip(order, acts):
        key, W = weights[mod]
        if act is None:
            raise ValueError("activation of %r is None: name it ('linear' for none)" % (key,))
        if prev is not None and W.shape[1] != prev[1].shape[0]:
            raise ValueError("state_dict[%r] has %d inputs but the layer before it (%r) has %d "
                             "outputs" % (key, W.shape[1], prev[0], prev[1].shape[0]))
        b = None
        if mod in biases:
            bkey, b = biases[mod]
            if b.shape != (W.shape[0],):
                raise ValueError("state_dict[%r] has shape %s but %r has %d outputs"
                                 % (bkey, b.shape, key, W.shape[0]))
        layers.append((W, b, act))
        prev = (key, W)
    return layers
