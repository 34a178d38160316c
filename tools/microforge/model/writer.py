"""Writing .tflite models: tensors, operators, graph inputs/outputs, metadata -> bytes.

    w = ModelWriter()
    x = w.tensor([1, 4], "int8", name="x", quant=Quantization.per_tensor(0.05, -3))
    k = w.const(weights_int8, name="w", quant=Quantization.per_channel(scales, axis=0))
    b = w.const(bias_int32, name="b", quant=Quantization.per_channel(scales * 0.05, axis=0))
    y = w.tensor([1, 3], "int8", name="y", quant=Quantization.per_tensor(0.1, 2))
    w.operator("FULLY_CONNECTED", [x, k, b], [y], {"activation": "RELU"})
    w.set_io([x], [y])
    model: bytes = w.to_bytes()

Tensors are referred to by index. Options are a dict of the op's schema field
names (``schema.OP_OPTIONS``), enum fields take names ("SAME", "RELU6") or
numbers, and ``activation`` is short for ``fused_activation_function``. An op
with an options table always gets one (possibly empty), as the TFLite converter
writes it. Constant data is stored 16-byte aligned, as the runtime reads it in
place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from microforge.model import schema
from microforge.model.flatbuffer import Builder, Field
from microforge.model.schema import (
    BufferField,
    BuiltinOperator,
    MetadataField,
    ModelField,
    OperatorCodeField,
    OperatorField,
    QuantizationField,
    SubGraphField,
    TensorField,
    TensorType,
)

BUFFER_ALIGNMENT = 16


class ModelWriteError(ValueError):
    """The model description is inconsistent (bad index, shape, dtype or option)."""


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: real = scale * (q - zero_point), per tensor or per channel."""

    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    axis: int = 0
    min: tuple[float, ...] | None = None
    max: tuple[float, ...] | None = None

    @staticmethod
    def per_tensor(scale: float, zero_point: int = 0) -> Quantization:
        return Quantization((float(scale),), (int(zero_point),))

    @staticmethod
    def per_channel(scales: Sequence[float] | np.ndarray, zero_points: Sequence[int] | None = None,
                    axis: int = 0) -> Quantization:
        s = tuple(float(v) for v in np.asarray(scales, dtype=np.float64).ravel())
        zp = (0,) * len(s) if zero_points is None else tuple(int(v) for v in zero_points)
        if len(zp) != len(s):
            raise ModelWriteError(f"{len(s)} scales but {len(zp)} zero points")
        return Quantization(s, zp, int(axis))

    @property
    def channels(self) -> int:
        return len(self.scales)


@dataclass
class TensorSpec:
    """What the writer knows about one tensor."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: TensorType
    quant: Quantization | None = None
    data: bytes | None = None
    variable: bool = False
    shape_signature: tuple[int, ...] | None = None

    @property
    def numpy_dtype(self) -> np.dtype:
        return schema.numpy_dtype(self.dtype)

    @property
    def is_constant(self) -> bool:
        return self.data is not None


@dataclass
class OperatorSpec:
    op: BuiltinOperator
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    custom_code: str | None = None
    custom_options: bytes | None = None
    intermediates: tuple[int, ...] = ()


def _enum_value(f: schema.OptionField, value: Any) -> int:
    if f.enum is None:
        return int(value)
    if isinstance(value, str):
        try:
            return int(f.enum[value.upper()])
        except KeyError:
            names = ", ".join(f.enum.__members__)
            raise ModelWriteError(f"{f.name}: {value!r} is not one of {names}") from None
    return int(f.enum(int(value)))


class ModelWriter:
    """Collects one subgraph and writes it as a TFLite flatbuffer."""

    def __init__(self, description: str = "microforge model writer",
                 subgraph_name: str = "main") -> None:
        self.description = description
        self.subgraph_name = subgraph_name
        self.tensors: list[TensorSpec] = []
        self.operators: list[OperatorSpec] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []
        self.metadata: list[tuple[str, bytes]] = []

    # -- tensors -------------------------------------------------------------
    def tensor(self, shape: Sequence[int], dtype: TensorType | str | np.dtype | type,
               name: str | None = None, quant: Quantization | None = None,
               data: np.ndarray | bytes | None = None, variable: bool = False,
               shape_signature: Sequence[int] | None = None) -> int:
        """Adds a tensor and returns its index. `data` makes it a constant."""
        tt = schema.tensor_type(dtype)
        dims = tuple(int(d) for d in shape)
        if any(d < 0 for d in dims):
            raise ModelWriteError(f"tensor {name!r}: negative dimension in {dims}")
        index = len(self.tensors)
        name = name if name is not None else f"t{index}"
        raw: bytes | None = None
        if data is not None:
            raw = self._tensor_bytes(name, dims, tt, data)
        if quant is not None:
            self._check_quant(name, dims, quant)
        self.tensors.append(TensorSpec(index, name, dims, tt, quant, raw, variable,
                                       None if shape_signature is None
                                       else tuple(int(d) for d in shape_signature)))
        return index

    def const(self, data: np.ndarray, dtype: TensorType | str | np.dtype | type | None = None,
              name: str | None = None, quant: Quantization | None = None) -> int:
        """Adds a constant tensor holding `data` (shape and dtype from the array)."""
        arr = np.asarray(data)
        tt = schema.tensor_type(arr.dtype if dtype is None else dtype)
        return self.tensor(arr.shape, tt, name=name, quant=quant,
                           data=arr.astype(schema.numpy_dtype(tt), copy=False))

    @staticmethod
    def _tensor_bytes(name: str, dims: tuple[int, ...], tt: TensorType,
                      data: np.ndarray | bytes) -> bytes:
        if isinstance(data, bytes | bytearray | memoryview):
            raw = bytes(data)
            expected = int(np.prod(dims, dtype=np.int64)) * schema.numpy_dtype(tt).itemsize
            if len(raw) != expected:
                raise ModelWriteError(
                    f"tensor {name!r}: {len(raw)} data bytes, shape {dims} {tt.name} "
                    f"needs {expected}")
            return raw
        arr = np.asarray(data)
        if tuple(arr.shape) != dims and arr.size != int(np.prod(dims, dtype=np.int64)):
            raise ModelWriteError(f"tensor {name!r}: data shape {arr.shape} != {dims}")
        want = schema.numpy_dtype(tt)
        if arr.dtype != want:
            if arr.dtype.kind != want.kind and not (arr.dtype.kind in "iu" and want.kind in "iu"):
                raise ModelWriteError(f"tensor {name!r}: {arr.dtype} data for a {tt.name} tensor")
            info = np.iinfo(want) if want.kind in "iu" else None
            if info is not None and arr.size and (arr.min() < info.min or arr.max() > info.max):
                raise ModelWriteError(f"tensor {name!r}: values outside the {tt.name} range")
            arr = arr.astype(want)
        return np.ascontiguousarray(arr).tobytes()

    @staticmethod
    def _check_quant(name: str, dims: tuple[int, ...], q: Quantization) -> None:
        if q.channels == 0 or len(q.zero_points) != q.channels:
            raise ModelWriteError(
                f"tensor {name!r}: quantization needs matching scales and zero points")
        if not all(np.isfinite(s) for s in q.scales):
            raise ModelWriteError(f"tensor {name!r}: non-finite quantization scale")
        if q.channels > 1:
            if not 0 <= q.axis < len(dims):
                raise ModelWriteError(f"tensor {name!r}: quantized axis {q.axis} outside {dims}")
            if dims[q.axis] != q.channels:
                raise ModelWriteError(
                    f"tensor {name!r}: {q.channels} channels, dimension {q.axis} is {dims[q.axis]}")

    # -- operators -------------------------------------------------------------
    def operator(self, op: BuiltinOperator | str | int, inputs: Sequence[int],
                 outputs: Sequence[int], options: Mapping[str, Any] | None = None,
                 version: int = 1, custom_code: str | None = None,
                 custom_options: bytes | None = None,
                 intermediates: Sequence[int] = ()) -> int:
        """Adds an operator (a builtin, or CUSTOM with `custom_code`); returns its index.

        An input of -1 is an absent optional tensor."""
        code = schema.builtin_operator(op)
        if (code == BuiltinOperator.CUSTOM) != (custom_code is not None):
            raise ModelWriteError("custom_code is given exactly for CUSTOM operators")
        for t in inputs:
            if not -1 <= t < len(self.tensors):
                raise ModelWriteError(f"{code.name}: input tensor {t} does not exist")
        for t in (*outputs, *intermediates):
            if not 0 <= t < len(self.tensors):
                raise ModelWriteError(f"{code.name}: output tensor {t} does not exist")
        if version < 1:
            raise ModelWriteError(f"{code.name}: version {version} < 1")
        opts = dict(options or {})
        self._encode_options(code, opts)  # validates early
        self.operators.append(OperatorSpec(code, tuple(inputs), tuple(outputs), opts, version,
                                           custom_code, custom_options, tuple(intermediates)))
        return len(self.operators) - 1

    def set_io(self, inputs: Sequence[int], outputs: Sequence[int]) -> None:
        for t in (*inputs, *outputs):
            if not 0 <= t < len(self.tensors):
                raise ModelWriteError(f"graph input/output {t} does not exist")
        self.inputs = list(inputs)
        self.outputs = list(outputs)

    def add_metadata(self, name: str, data: bytes) -> None:
        self.metadata.append((name, bytes(data)))

    def offline_memory_allocation(self, offsets: Sequence[int]) -> None:
        """Fixes arena offsets per tensor of subgraph 0 (-1: let the planner place it).

        Stored as TFLM's "OfflineMemoryAllocation" metadata: int32 words
        [version 1, subgraph 0, tensor count, offset of each tensor]."""
        if len(offsets) != len(self.tensors):
            raise ModelWriteError(f"{len(offsets)} offsets for {len(self.tensors)} tensors")
        words = np.array([1, 0, len(offsets), *offsets], dtype="<i4")
        self.add_metadata(schema.OFFLINE_MEMORY_ALLOCATION, words.tobytes())

    # -- serialization -----------------------------------------------------------
    @staticmethod
    def _options_table(code: BuiltinOperator) -> schema.OptionsTable | None:
        if code not in schema.OP_OPTIONS:
            return None
        return schema.OP_OPTIONS[code]

    def _encode_options(self, code: BuiltinOperator, opts: dict[str, Any]) -> tuple[
            schema.OptionsTable | None, list[tuple[int, schema.OptionField, Any]]]:
        table = self._options_table(code)
        if "activation" in opts:
            if "fused_activation_function" in opts:
                raise ModelWriteError(f"{code.name}: activation given twice")
            opts["fused_activation_function"] = opts.pop("activation")
        if table is None:
            if opts:
                raise ModelWriteError(f"{code.name} takes no builtin options, got {sorted(opts)}")
            return None, []
        encoded = []
        for key, value in opts.items():
            try:
                slot, f = table.field(key)
            except KeyError as exc:
                raise ModelWriteError(f"{code.name}: {exc.args[0]}") from None
            if f.kind == "int_vector":
                encoded.append((slot, f, [int(v) for v in value]))
            elif f.kind == "float":
                encoded.append((slot, f, float(value)))
            elif f.kind == "bool":
                encoded.append((slot, f, bool(value)))
            else:
                v = _enum_value(f, value)
                lo, hi = (-128, 127) if f.kind == "byte" else (-(2**31), 2**31 - 1)
                if not lo <= v <= hi:
                    raise ModelWriteError(f"{code.name}: {key}={v} out of range")
                encoded.append((slot, f, v))
        return table, encoded

    def to_bytes(self, buffers_outside: bool = False) -> bytes:
        """Serializes the model. Raises ModelWriteError when it is incomplete.

        With `buffers_outside`, constant data follows the flatbuffer and each Buffer
        holds its (offset, size) in the file instead of a data vector: the layout
        the converter uses for models above 2 GB."""
        if not self.outputs:
            raise ModelWriteError("the model has no outputs (call set_io)")
        if not buffers_outside:
            return self._serialize(None)
        # The flatbuffer's layout does not depend on the offset values: size it once,
        # then write it with the real offsets and append the data.
        size = len(self._serialize([2] * (1 + len(self.tensors) + len(self.metadata))))
        offsets, tail, at = [], bytearray(), size
        for data in self._buffer_data()[1]:
            if data is None:
                offsets.append(0)
                continue
            at += -at % BUFFER_ALIGNMENT
            tail += bytes(at - size - len(tail)) + data
            offsets.append(at)
            at += len(data)
        head = self._serialize(offsets)
        assert len(head) == size
        return head + bytes(tail)

    def _buffer_data(self) -> tuple[list[int], list[bytes | None]]:
        # Buffer 0 is the empty buffer, by convention; constants get their own.
        buffer_data: list[bytes | None] = [None]
        tensor_buffer: list[int] = []
        for t in self.tensors:
            if t.data is None:
                tensor_buffer.append(0)
            else:
                tensor_buffer.append(len(buffer_data))
                buffer_data.append(t.data)
        buffer_data.extend(data for _, data in self.metadata)
        return tensor_buffer, buffer_data

    def _serialize(self, outside_offsets: list[int] | None) -> bytes:
        b = Builder()
        tensor_buffer, buffer_data = self._buffer_data()
        # Large data first: it ends up at the end of the file.
        buffer_tables = []
        for n, data in enumerate(buffer_data):
            if data is None:
                buffer_tables.append(b.table([]))
            elif outside_offsets is not None:
                buffer_tables.append(b.table([
                    Field.scalar(BufferField.OFFSET, "Q", outside_offsets[n], force=True),
                    Field.scalar(BufferField.SIZE, "Q", len(data), force=True)]))
            else:
                vec = b.bytes_vector(data, BUFFER_ALIGNMENT)
                buffer_tables.append(b.table([Field.offset(BufferField.DATA, vec)]))
        buffers = b.vector_offsets(buffer_tables)

        tensors = b.vector_offsets([self._write_tensor(b, t, tensor_buffer[t.index])
                                    for t in self.tensors])
        opcode_keys: list[tuple[int, str | None, int]] = []
        operators = []
        for o in self.operators:
            key = (int(o.op), o.custom_code, o.version)
            if key not in opcode_keys:
                opcode_keys.append(key)
            operators.append(self._write_operator(b, o, opcode_keys.index(key)))
        operators_vec = b.vector_offsets(operators)
        inputs = b.vector_scalars("i", self.inputs)
        outputs = b.vector_scalars("i", self.outputs)
        sg_name = b.string(self.subgraph_name)
        subgraph = b.table([
            Field.offset(SubGraphField.TENSORS, tensors),
            Field.offset(SubGraphField.INPUTS, inputs),
            Field.offset(SubGraphField.OUTPUTS, outputs),
            Field.offset(SubGraphField.OPERATORS, operators_vec),
            Field.offset(SubGraphField.NAME, sg_name),
        ])
        subgraphs = b.vector_offsets([subgraph])

        opcodes = []
        for code, custom, version in opcode_keys:
            fields = [
                Field.scalar(OperatorCodeField.DEPRECATED_BUILTIN_CODE, "b",
                             min(code, schema.PLACEHOLDER_FOR_GREATER_OP_CODES)),
                Field.scalar(OperatorCodeField.VERSION, "i", version, default=1),
                Field.scalar(OperatorCodeField.BUILTIN_CODE, "i", code),
            ]
            if custom is not None:
                fields.append(Field.offset(OperatorCodeField.CUSTOM_CODE, b.string(custom)))
            opcodes.append(b.table(fields))
        opcodes_vec = b.vector_offsets(opcodes)

        metadata_vec = None
        if self.metadata:
            first = len(buffer_data) - len(self.metadata)
            entries = []
            for i, (name, _) in enumerate(self.metadata):
                entries.append(b.table([
                    Field.offset(MetadataField.NAME, b.string(name)),
                    Field.scalar(MetadataField.BUFFER, "I", first + i),
                ]))
            metadata_vec = b.vector_offsets(entries)
        description = b.string(self.description)
        fields = [
            Field.scalar(ModelField.VERSION, "I", schema.SCHEMA_VERSION),
            Field.offset(ModelField.OPERATOR_CODES, opcodes_vec),
            Field.offset(ModelField.SUBGRAPHS, subgraphs),
            Field.offset(ModelField.DESCRIPTION, description),
            Field.offset(ModelField.BUFFERS, buffers),
        ]
        if metadata_vec is not None:
            fields.append(Field.offset(ModelField.METADATA, metadata_vec))
        root = b.table(fields)
        return b.finish(root, schema.FILE_IDENTIFIER)

    @staticmethod
    def _write_tensor(b: Builder, t: TensorSpec, buffer: int) -> int:
        shape = b.vector_scalars("i", t.shape)
        name = b.string(t.name)
        quant = None
        if t.quant is not None:
            q = t.quant
            qfields = [
                Field.offset(QuantizationField.SCALE, b.vector_scalars("f", q.scales)),
                Field.offset(QuantizationField.ZERO_POINT, b.vector_scalars("q", q.zero_points)),
                Field.scalar(QuantizationField.QUANTIZED_DIMENSION, "i", q.axis),
            ]
            if q.min is not None:
                qfields.append(Field.offset(QuantizationField.MIN, b.vector_scalars("f", q.min)))
            if q.max is not None:
                qfields.append(Field.offset(QuantizationField.MAX, b.vector_scalars("f", q.max)))
            quant = b.table(qfields)
        fields = [
            Field.offset(TensorField.SHAPE, shape),
            Field.scalar(TensorField.TYPE, "b", int(t.dtype)),
            Field.scalar(TensorField.BUFFER, "I", buffer),
            Field.offset(TensorField.NAME, name),
            Field.scalar(TensorField.IS_VARIABLE, "?", t.variable, default=False),
        ]
        if quant is not None:
            fields.append(Field.offset(TensorField.QUANTIZATION, quant))
        if t.shape_signature is not None:
            fields.append(Field.offset(TensorField.SHAPE_SIGNATURE,
                                       b.vector_scalars("i", t.shape_signature)))
        return b.table(fields)

    def _write_operator(self, b: Builder, o: OperatorSpec, opcode_index: int) -> int:
        table, encoded = self._encode_options(o.op, dict(o.options))
        fields = [
            Field.scalar(OperatorField.OPCODE_INDEX, "I", opcode_index),
            Field.offset(OperatorField.INPUTS, b.vector_scalars("i", o.inputs)),
            Field.offset(OperatorField.OUTPUTS, b.vector_scalars("i", o.outputs)),
        ]
        if table is not None:
            ofields = []
            for slot, f, value in encoded:
                if f.kind == "int_vector":
                    ofields.append(Field.offset(slot, b.vector_scalars("i", value)))
                else:
                    fmt = {"byte": "b", "int": "i", "float": "f", "bool": "?"}[f.kind]
                    ofields.append(Field.scalar(slot, fmt, value, default=f.default))
            options = b.table(ofields)
            fields.append(Field.scalar(OperatorField.BUILTIN_OPTIONS_TYPE, "B",
                                       int(table.union)))
            fields.append(Field.offset(OperatorField.BUILTIN_OPTIONS, options))
        if o.custom_options is not None:
            fields.append(Field.offset(OperatorField.CUSTOM_OPTIONS,
                                       b.bytes_vector(o.custom_options)))
        if o.intermediates:
            fields.append(Field.offset(OperatorField.INTERMEDIATES,
                                       b.vector_scalars("i", o.intermediates)))
        return b.table(fields)


@dataclass(frozen=True)
class T:
    """A tensor of a single-op model: constant when `data` is given, else a graph input."""

    shape: Sequence[int]
    dtype: TensorType | str | np.dtype | type
    quant: Quantization | None = None
    data: np.ndarray | None = None
    name: str | None = None
    variable: bool = False

    @staticmethod
    def const(data: np.ndarray, quant: Quantization | None = None,
              dtype: TensorType | str | np.dtype | type | None = None,
              name: str | None = None) -> T:
        arr = np.asarray(data)
        return T(tuple(arr.shape), arr.dtype if dtype is None else dtype, quant, arr, name)


def single_op_model(op: BuiltinOperator | str | int, inputs: Sequence[T | None],
                    outputs: Sequence[T], options: Mapping[str, Any] | None = None,
                    version: int = 1) -> bytes:
    """A model of one operator. Inputs without data (and not variable) become the graph
    inputs, in order; None is an absent optional input; outputs are the graph outputs."""
    w = ModelWriter()
    graph_inputs: list[int] = []
    indices: list[int] = []
    for n, spec in enumerate(inputs):
        if spec is None:
            indices.append(-1)
            continue
        name = spec.name or f"input{n}"
        if spec.data is not None:
            index = w.tensor(spec.shape, spec.dtype, name=name, quant=spec.quant,
                             data=np.asarray(spec.data))
        else:
            index = w.tensor(spec.shape, spec.dtype, name=name, quant=spec.quant,
                             variable=spec.variable)
            if not spec.variable:
                graph_inputs.append(index)
        indices.append(index)
    outs = [w.tensor(s.shape, s.dtype, name=s.name or f"output{n}", quant=s.quant)
            for n, s in enumerate(outputs)]
    w.operator(op, indices, outs, options, version=version)
    w.set_io(graph_inputs, outs)
    return w.to_bytes()
