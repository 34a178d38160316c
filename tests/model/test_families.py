"""The family generators produce valid models of the intended shape."""

import numpy as np
import pytest
from microforge.model import families
from microforge.model.reader import validate_bytes
from microforge.model.schema import TensorType

EXPECTED_OPS = {
    "mobilenet_v1": {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE",
                     "FULLY_CONNECTED", "SOFTMAX"},
    "mobilenet_v2": {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "AVERAGE_POOL_2D", "RESHAPE",
                     "FULLY_CONNECTED", "SOFTMAX"},
    "resnet": {"CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED", "SOFTMAX"},
    "ds_cnn": {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE", "FULLY_CONNECTED",
               "SOFTMAX"},
    "autoencoder": {"FULLY_CONNECTED"},
    "svdf_kws": {"SVDF", "FULLY_CONNECTED", "SOFTMAX"},
}


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("name", sorted(families.FAMILIES))
def test_family_structure(name, dtype):
    model = families.FAMILIES[name].build(np.random.default_rng(3), dtype)
    s = validate_bytes(model)
    assert {o.name for o in s.ops} == EXPECTED_OPS[name]
    assert all(o.supported for o in s.ops)
    want = TensorType.INT8 if dtype == "int8" else TensorType.FLOAT32
    assert s.input_tensors()[0].dtype == want and s.output_tensors()[0].dtype == want
    if dtype == "int8":
        for t in s.tensors:
            if t.dtype == TensorType.INT8 and not t.constant:
                assert len(t.scales) == 1, t.name
        if "SOFTMAX" in EXPECTED_OPS[name]:
            out = s.output_tensors()[0]
            assert out.scales == (1 / 256,) and out.zero_points == (-128,)
    if name == "svdf_kws":
        state = [t for t in s.tensors if t.variable]
        assert len(state) == 2
        if dtype == "int8":
            assert all(t.dtype == TensorType.INT16 for t in state)


def test_generators_are_deterministic_and_seed_dependent():
    a = families.resnet(np.random.default_rng(5), "int8")
    assert a == families.resnet(np.random.default_rng(5), "int8")
    assert a != families.resnet(np.random.default_rng(6), "int8")


def test_residual_add_has_matching_shapes():
    s = validate_bytes(families.resnet(np.random.default_rng(1), "int8", widths=(8, 16, 16)))
    adds = [op for op in s.operators if op.op == "ADD"]
    assert len(adds) == 3
    for op in adds:
        a, b = (s.tensors[i].shape for i in op.inputs)
        assert a == b


def test_weights_use_the_int8_range():
    s = validate_bytes(families.mobilenet(np.random.default_rng(2), "int8"))
    conv_weights = [t for t in s.tensors if t.constant and t.dtype == TensorType.INT8]
    assert conv_weights and all(len(t.scales) > 1 for t in conv_weights
                                if len(t.shape) == 4)


def test_bad_dtype():
    with pytest.raises(ValueError, match="int8 or float32"):
        families.autoencoder(np.random.default_rng(0), "int16")


def test_random_graph_structure():
    s = validate_bytes(families.random_graph(np.random.default_rng(4), "float32", nodes=20,
                                             inputs=3, outputs=2))
    assert len(s.inputs) == 3 and 1 <= len(s.outputs) <= 2
    assert len(s.operators) >= 20
    assert not set(s.inputs) & set(s.outputs)
    consumers: dict[int, int] = {}
    for op in s.operators:
        for t in op.inputs:
            consumers[t] = consumers.get(t, 0) + 1
    assert max(consumers.values()) >= 2  # some tensor feeds several ops
    a = families.random_graph(np.random.default_rng(9), "int8")
    assert a == families.random_graph(np.random.default_rng(9), "int8")
    ops = {o.name for o in validate_bytes(a).ops}
    assert not ops & {"MAXIMUM", "MINIMUM", "CONCATENATION"}  # int8 needs equal quantization
