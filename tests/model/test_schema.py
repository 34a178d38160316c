"""The schema facts in microforge.model.schema, checked against the `tflite` package."""

import re

import numpy as np
import pytest
import tflite
from microforge import ROOT
from microforge.model import schema
from microforge.model.writer import ModelWriter


def _members(cls: type) -> dict[str, int]:
    return {k: v for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


@pytest.mark.parametrize(("ours", "theirs"), [
    (schema.BuiltinOperator, tflite.BuiltinOperator),
    (schema.TensorType, tflite.TensorType),
    (schema.Padding, tflite.Padding),
    (schema.ActivationFunctionType, tflite.ActivationFunctionType),
    (schema.FullyConnectedWeightsFormat, tflite.FullyConnectedOptionsWeightsFormat),
])
def test_enum_matches_tflite(ours, theirs):
    expected = _members(theirs)
    assert {m.name: int(m) for m in ours} == expected


def test_builtin_options_union_numbers():
    union = _members(tflite.BuiltinOptions)
    for member in schema.BuiltinOptions:
        assert union[member.name] == member.value, member.name


def test_runtime_ops_match_mf_ops_header():
    text = (ROOT / "micro/include/mf_ops.h").read_text()
    header = {(int(code), name) for code, name in re.findall(r'X\(\w+,\s*(\d+),\s*"(\w+)"\)', text)}
    assert header == {(int(op), op.name) for op in schema.RUNTIME_OPS}
    assert len(header) == 33


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _distinct_value(f: schema.OptionField, slot: int):
    if f.kind == "int_vector":
        return [slot + 1, -2, 3]
    if f.kind == "float":
        return 0.25 + slot
    if f.kind == "bool":
        return not f.default
    if f.enum is not None:
        values = [int(m) for m in f.enum if int(m) != f.default]
        return values[slot % len(values)]
    return 7 + 3 * slot


@pytest.mark.parametrize("op", sorted(schema.OP_OPTIONS, key=int), ids=lambda op: op.name)
def test_option_fields_round_trip_through_tflite(op):
    """Every field written with a non-default value reads back through tflite's accessors:
    this checks union numbers, slot order and field types together."""
    table = schema.OP_OPTIONS[op]
    options = {} if table is None else {f.name: _distinct_value(f, slot)
                                        for slot, f in enumerate(table.fields)}
    w = ModelWriter()
    x = w.tensor([1, 2], "float32")
    y = w.tensor([1, 2], "float32")
    w.operator(op, [x], [y], options)
    w.set_io([x], [y])
    model = tflite.Model.GetRootAsModel(w.to_bytes(), 0)
    operator = model.Subgraphs(0).Operators(0)
    code = model.OperatorCodes(operator.OpcodeIndex())
    assert max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) == int(op)
    if table is None:
        assert operator.BuiltinOptionsType() == 0
        return
    assert operator.BuiltinOptionsType() == int(table.union)
    cls = getattr(tflite, table.name)
    opts = cls()
    raw = operator.BuiltinOptions()
    opts.Init(raw.Bytes, raw.Pos)
    for name, value in options.items():
        if isinstance(value, list):
            got = list(getattr(opts, _camel(name) + "AsNumpy")())
        else:
            got = getattr(opts, _camel(name))()
        if isinstance(value, float):
            assert got == pytest.approx(value), name
        else:
            assert got == value, name


def test_numpy_dtypes():
    assert schema.numpy_dtype("int8") == np.int8
    assert schema.tensor_type(np.float32) == schema.TensorType.FLOAT32
    assert schema.tensor_type("INT16") == schema.TensorType.INT16
    assert schema.tensor_type(9) == schema.TensorType.INT8
    with pytest.raises(ValueError, match="no TFLite tensor type"):
        schema.tensor_type(np.dtype("datetime64[s]"))
    with pytest.raises(ValueError, match="no numpy equivalent"):
        schema.numpy_dtype("string")


def test_op_name_of_unknown_code():
    assert schema.op_name(3) == "CONV_2D"
    assert schema.op_name(5000) == "BUILTIN_5000"
    with pytest.raises(ValueError, match="unknown builtin operator"):
        schema.builtin_operator("CONV_3")
