"""Small ONNX models for tests/test_controller.c, written with onnx.helper:
valid ones covering each supported construct (checked against oracle.py) and
malformed or unsupported ones (each refused with a known message).

usage: make_onnx.py OUTDIR"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def save(name, nodes, inits, inp, outs, opset=13):
    g = helper.make_graph(nodes, name, inp, outs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(m, os.path.join(out, name + ".onnx"))


def f32(name, a):
    return numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)


def f64(name, a):
    return numpy_helper.from_array(np.asarray(a, dtype=np.float64), name)


def f32_listed(name, a):
    # float_data instead of raw_data
    a = np.asarray(a, dtype=np.float32)
    return helper.make_tensor(name, TensorProto.FLOAT, a.shape, a.flatten().tolist())


# 1. Gemm without transB (alpha, beta, double raw data), LeakyRelu, Gemm with
#    transB and float_data, Clip(-1, 1) from Constant nodes, Identity.
save(
    "ok_gemm",
    [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h1"], "g1", alpha=0.5, beta=2.0),
        helper.make_node("LeakyRelu", ["h1"], ["a1"], "lr", alpha=0.2),
        helper.make_node("Gemm", ["a1", "W2", "b2"], ["h2"], "g2", transB=1),
        helper.make_node("Constant", [], ["lo"], "c_lo", value=f32("lo_v", -1.0)),
        helper.make_node("Constant", [], ["hi"], "c_hi", value=f32("hi_v", 1.0)),
        helper.make_node("Clip", ["h2", "lo", "hi"], ["a2"], "clip"),
        helper.make_node("Identity", ["a2"], ["y"], "id"),
    ],
    [f64("W1", rng.normal(size=(3, 5))), f64("b1", rng.normal(size=5)),
     f32_listed("W2", rng.normal(size=(2, 5))), f32_listed("b2", rng.normal(size=2))],
    [vi("x", ["N", 3])], [vi("y", ["N", 2])])

# 2. Keras-like: input normalisation Sub then Div, MatMul + Add (bias first),
#    Sigmoid, MatMul + Add, Tanh.
save(
    "ok_keras",
    [
        helper.make_node("Sub", ["x", "mean"], ["xs"], "norm_sub"),
        helper.make_node("Div", ["xs", "std"], ["xn"], "norm_div"),
        helper.make_node("MatMul", ["xn", "K1"], ["m1"], "dense1"),
        helper.make_node("Add", ["B1", "m1"], ["z1"], "bias1"),
        helper.make_node("Sigmoid", ["z1"], ["a1"], "sig"),
        helper.make_node("MatMul", ["a1", "K2"], ["m2"], "dense2"),
        helper.make_node("Add", ["m2", "B2"], ["z2"], "bias2"),
        helper.make_node("Tanh", ["z2"], ["y"], "tanh"),
    ],
    [f32("mean", rng.normal(size=4)), f32("std", rng.uniform(0.5, 2.0, size=4)),
     f32("K1", rng.normal(size=(4, 6))), f32("B1", rng.normal(size=6)),
     f32("K2", rng.normal(size=(6, 1))), f32("B2", rng.normal(size=1))],
    [vi("x", ["N", 4])], [vi("y", ["N", 1])])

# 3. MATLAB-like: input [N, 1, 1, 3], Sub of the mean, dense layers as
#    Conv covering the whole input, Relu, Flatten.
save(
    "ok_conv",
    [
        helper.make_node("Sub", ["x", "mean"], ["xs"], "input_Sub"),
        helper.make_node("Conv", ["xs", "C1", "c1"], ["h1"], "fc1", kernel_shape=[1, 3],
                         pads=[0, 0, 0, 0], strides=[1, 1], group=1, dilations=[1, 1]),
        helper.make_node("Relu", ["h1"], ["a1"], "relu1"),
        helper.make_node("Conv", ["a1", "C2", "c2"], ["h2"], "fc2", kernel_shape=[1, 1]),
        helper.make_node("Flatten", ["h2"], ["y"], "flat", axis=1),
    ],
    [f32("mean", rng.normal(size=(1, 1, 1, 3))), f32("C1", rng.normal(size=(4, 1, 1, 3))),
     f32("c1", rng.normal(size=4)), f32("C2", rng.normal(size=(2, 4, 1, 1))),
     f32("c2", rng.normal(size=2))],
    [vi("x", ["N", 1, 1, 3])], [vi("y", ["N", 2])], opset=9)

# 4. No shape on the graph input (the first layer gives its size).
save("ok_noshape",
     [helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], "g1", transB=1),
      helper.make_node("Relu", ["h"], ["a"], "r"),
      helper.make_node("Gemm", ["a", "W2", "b2"], ["y"], "g2", transB=1)],
     [f32("W1", rng.normal(size=(3, 2))), f32("b1", rng.normal(size=3)),
      f32("W2", rng.normal(size=(1, 3))), f32("b2", rng.normal(size=1))],
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)], [vi("y", None)])

W = rng.normal(size=(2, 3))
b = rng.normal(size=2)
x2, y2 = [vi("x", ["N", 3])], [vi("y", ["N", 2])]

# Refused: an operator outside the supported set.
save("bad_softmax", [helper.make_node("Gemm", ["x", "W", "b"], ["h"], "g", transB=1),
                     helper.make_node("Softmax", ["h"], ["y"], "probs")],
     [f32("W", W), f32("b", b)], x2, y2)
# Refused: transA.
save("bad_transA", [helper.make_node("Gemm", ["x", "W", "b"], ["y"], "gt", transA=1)],
     [f32("W", W), f32("b", b)], x2, y2)
# Refused: integer weights.
save("bad_int", [helper.make_node("Gemm", ["x", "W", "b"], ["y"], "gi", transB=1)],
     [numpy_helper.from_array(np.ones((2, 3), dtype=np.int64), "W"), f32("b", b)], x2, y2)
# Refused: a NaN weight.
Wn = W.copy()
Wn[1, 2] = np.nan
save("bad_nan", [helper.make_node("Gemm", ["x", "W", "b"], ["y"], "gn", transB=1)],
     [f32("W", Wn), f32("b", b)], x2, y2)
# Refused: a padded convolution.
save("bad_pad", [helper.make_node("Conv", ["x", "C", "c"], ["y"], "cp", pads=[1, 1, 1, 1])],
     [f32("C", rng.normal(size=(2, 1, 1, 3))), f32("c", b)],
     [vi("x", ["N", 1, 1, 3])], [vi("y", ["N", 2, 3, 5])])
# Refused: an activation before any dense layer.
save("bad_actfirst", [helper.make_node("Relu", ["x"], ["r"], "r0"),
                      helper.make_node("Gemm", ["r", "W", "b"], ["y"], "g", transB=1)],
     [f32("W", W), f32("b", b)], x2, y2)
# Refused: a branch (a second node reading the graph input).
save("bad_branch", [helper.make_node("Gemm", ["x", "W", "b"], ["h"], "g1", transB=1),
                    helper.make_node("Gemm", ["x", "W", "b"], ["y"], "g2", transB=1)],
     [f32("W", W), f32("b", b)], x2, y2)
# Refused: the chain does not end in the graph output.
save("bad_output", [helper.make_node("Gemm", ["x", "W", "b"], ["h"], "g", transB=1)],
     [f32("W", W), f32("b", b)], x2, y2)
# Refused: raw data of the wrong length for the shape.
t = f32("W", W)
t.raw_data = t.raw_data[:-4]
save("bad_size", [helper.make_node("Gemm", ["x", "W", "b"], ["y"], "gs", transB=1)],
     [t, f32("b", b)], x2, y2)
# Refused: a weight that is not a constant.
save("bad_nonconst", [helper.make_node("Gemm", ["x", "Wx", "b"], ["y"], "gc", transB=1)],
     [f32("b", b)], [vi("x", ["N", 3]), vi("Wx", [2, 3])], y2)
# Refused: a damaged node without op_type, an initializer without a name.
g = helper.make_graph([helper.make_node("Gemm", ["x", "W", "b"], ["y"], "g", transB=1)],
                      "bad_noop", x2, y2, initializer=[f32("W", W), f32("b", b)])
g.node[0].ClearField("op_type")
onnx.save(helper.make_model(g), os.path.join(out, "bad_noop.onnx"))
g = helper.make_graph([helper.make_node("Gemm", ["x", "W", "b"], ["y"], "g", transB=1)],
                      "bad_noname", x2, y2, initializer=[f32("W", W), f32("b", b)])
g.initializer[1].ClearField("name")
onnx.save(helper.make_model(g), os.path.join(out, "bad_noname.onnx"))
# Refused: input normalisation without the input's shape.
save("bad_noshape_sub", [helper.make_node("Sub", ["x", "m"], ["xs"], "sub0"),
                         helper.make_node("Gemm", ["xs", "W", "b"], ["y"], "g", transB=1)],
     [f32("m", np.ones(3)), f32("W", W), f32("b", b)],
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)], y2)
