"""Build-time validation of .tflite files.

``validate(path_or_bytes) -> ModelSummary`` reads the flatbuffer with bounds
checks on every offset, vtable, vector and string, checks the structure the
runtime relies on (identifier "TFL3", schema version 3, tensor/buffer/opcode
indices, shapes, quantization arrays, constant data sizes, graph order) and
summarises it: ops used with versions, tensors, and arena figures. Anything
malformed raises ``ModelError`` with a reason naming the part, e.g.
"tensor 7: shape dim 2 is -3".

    python -m microforge.model.reader model.tflite
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from microforge.model import schema
from microforge.model.schema import (
    BufferField,
    MetadataField,
    ModelField,
    OperatorCodeField,
    OperatorField,
    QuantizationField,
    SubGraphField,
    TensorField,
    TensorType,
)

MAX_MODEL_BYTES = 2**31 - 1
MAX_RANK = 8
MAX_TENSOR_BYTES = 2**31 - 1


class ModelError(ValueError):
    """The file is not a valid TFLite model for this runtime."""


# -- a bounds-checked flatbuffer reader ---------------------------------------

class _Buf:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def need(self, pos: int, n: int, what: str) -> None:
        if pos < 0 or n < 0 or pos + n > self.size:
            raise ModelError(f"{what}: {n} bytes at offset {pos} run past the end "
                             f"({self.size} bytes)")

    def unpack(self, fmt: str, pos: int, what: str) -> int | float:
        n = struct.calcsize("<" + fmt)
        self.need(pos, n, what)
        return struct.unpack_from("<" + fmt, self.data, pos)[0]

    def uoffset(self, pos: int, what: str) -> int:
        target = pos + int(self.unpack("I", pos, what))
        if target >= self.size:
            raise ModelError(f"{what}: offset at {pos} points to {target}, past the end")
        return target

    def table(self, pos: int, what: str) -> _Table:
        if pos % 4:
            raise ModelError(f"{what}: table at {pos} is not 4-byte aligned")
        soffset = int(self.unpack("i", pos, what))
        vt = pos - soffset
        if vt % 2:
            raise ModelError(f"{what}: vtable at {vt} is misaligned")
        vt_size = int(self.unpack("H", vt, f"{what} vtable"))
        table_size = int(self.unpack("H", vt + 2, f"{what} vtable"))
        if vt_size < 4 or vt_size % 2:
            raise ModelError(f"{what}: vtable size {vt_size} is invalid")
        self.need(vt, vt_size, f"{what} vtable")
        if table_size < 4:
            raise ModelError(f"{what}: table size {table_size} is invalid")
        self.need(pos, table_size, what)
        return _Table(self, pos, vt, vt_size, table_size, what)

    def vector_at(self, pos: int, elem: int, what: str) -> tuple[int, int]:
        if pos % 4:
            raise ModelError(f"{what}: vector at {pos} is not 4-byte aligned")
        length = int(self.unpack("I", pos, what))
        if length * elem > self.size:
            raise ModelError(f"{what}: vector length {length} exceeds the file")
        self.need(pos + 4, length * elem, what)
        return pos + 4, length


@dataclass
class _Table:
    buf: _Buf
    pos: int
    vt: int
    vt_size: int
    table_size: int
    what: str

    def field(self, slot: int, size: int) -> int | None:
        entry = 4 + 2 * slot
        if entry + 2 > self.vt_size:
            return None
        voff = int(self.buf.unpack("H", self.vt + entry, self.what))
        if voff == 0:
            return None
        if voff < 4 or voff + size > self.table_size:
            raise ModelError(f"{self.what}: field {slot} at {voff} lies outside the table "
                             f"({self.table_size} bytes)")
        return self.pos + voff

    def scalar(self, slot: int, fmt: str, default: int | float | bool = 0) -> int | float | bool:
        pos = self.field(slot, struct.calcsize("<" + fmt))
        if pos is None:
            return default
        return self.buf.unpack(fmt, pos, f"{self.what} field {slot}")

    def target(self, slot: int, name: str) -> int | None:
        pos = self.field(slot, 4)
        if pos is None:
            return None
        return self.buf.uoffset(pos, f"{self.what} {name}")

    def table(self, slot: int, name: str) -> _Table | None:
        pos = self.target(slot, name)
        return None if pos is None else self.buf.table(pos, f"{self.what} {name}")

    def vector(self, slot: int, fmt: str, name: str) -> list | None:
        pos = self.target(slot, name)
        if pos is None:
            return None
        elem = struct.calcsize("<" + fmt)
        start, length = self.buf.vector_at(pos, elem, f"{self.what} {name}")
        return list(struct.unpack_from(f"<{length}{fmt}", self.buf.data, start))

    def bytes_vector(self, slot: int, name: str) -> tuple[int, int] | None:
        pos = self.target(slot, name)
        return None if pos is None else self.buf.vector_at(pos, 1, f"{self.what} {name}")

    def tables(self, slot: int, name: str) -> list[_Table] | None:
        pos = self.target(slot, name)
        if pos is None:
            return None
        start, length = self.buf.vector_at(pos, 4, f"{self.what} {name}")
        return [self.buf.table(self.buf.uoffset(start + 4 * i, f"{name}[{i}]"), f"{name}[{i}]")
                for i in range(length)]

    def string(self, slot: int, name: str) -> str | None:
        pos = self.target(slot, name)
        if pos is None:
            return None
        start, length = self.buf.vector_at(pos, 1, f"{self.what} {name}")
        self.buf.need(start + length, 1, f"{self.what} {name} terminator")
        if self.buf.data[start + length] != 0:
            raise ModelError(f"{self.what} {name}: string is not NUL-terminated")
        return self.buf.data[start:start + length].decode("utf-8", errors="replace")


# -- the summary ----------------------------------------------------------------

@dataclass(frozen=True)
class OpUse:
    name: str
    code: int
    version: int
    count: int
    supported: bool  # the runtime has a kernel for it
    custom_code: str | None = None

    def __str__(self) -> str:
        mark = "" if self.supported else "  (no kernel in microforge)"
        return f"{self.name} v{self.version} x{self.count}{mark}"


@dataclass(frozen=True)
class TensorSummary:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: TensorType
    nbytes: int
    constant: bool
    variable: bool
    scales: tuple[float, ...] = ()
    zero_points: tuple[int, ...] = ()
    quantized_dimension: int = 0


@dataclass(frozen=True)
class OperatorSummary:
    index: int
    op: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options_type: int


@dataclass
class ModelSummary:
    size: int
    version: int
    description: str
    ops: list[OpUse]
    tensors: list[TensorSummary]
    operators: list[OperatorSummary]
    inputs: list[int]
    outputs: list[int]
    subgraph_count: int
    metadata: list[str] = field(default_factory=list)
    offline_offsets: list[int] | None = None
    path: str | None = None

    @property
    def constant_bytes(self) -> int:
        return sum(t.nbytes for t in self.tensors if t.constant)

    @property
    def variable_bytes(self) -> int:
        return sum(t.nbytes for t in self.tensors if t.variable)

    @property
    def activation_bytes(self) -> int:
        """Bytes of every non-constant, non-variable tensor (no memory reuse)."""
        return sum(t.nbytes for t in self.tensors if not t.constant and not t.variable)

    @property
    def peak_live_bytes(self) -> int:
        """Largest sum of activation bytes alive during one op: a lower bound of any plan."""
        return _peak_live(self)

    @property
    def unsupported_ops(self) -> list[OpUse]:
        return [o for o in self.ops if not o.supported]

    def input_tensors(self) -> list[TensorSummary]:
        return [self.tensors[i] for i in self.inputs]

    def output_tensors(self) -> list[TensorSummary]:
        return [self.tensors[i] for i in self.outputs]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary (for build reports)."""
        def io(t: TensorSummary) -> dict[str, object]:
            return {"name": t.name, "dtype": t.dtype.name.lower(), "shape": list(t.shape),
                    "scale": t.scales[0] if t.scales else None,
                    "zero_point": t.zero_points[0] if t.zero_points else None}

        return {
            "path": self.path, "size": self.size, "schema_version": self.version,
            "subgraphs": self.subgraph_count, "tensors": len(self.tensors),
            "operators": len(self.operators),
            "ops": [{"name": o.name, "version": o.version, "count": o.count,
                     "supported": o.supported} for o in self.ops],
            "inputs": [io(t) for t in self.input_tensors()],
            "outputs": [io(t) for t in self.output_tensors()],
            "constant_bytes": self.constant_bytes, "variable_bytes": self.variable_bytes,
            "activation_bytes": self.activation_bytes, "peak_live_bytes": self.peak_live_bytes,
            "metadata": list(self.metadata),
        }

    def format(self) -> str:
        def io(t: TensorSummary) -> str:
            q = f" scale={t.scales[0]:.9g} zp={t.zero_points[0]}" if t.scales else ""
            return f"{t.dtype.name.lower()}{list(t.shape)}{q}"

        lines = [
            f"model: {self.path or '<bytes>'} ({self.size} bytes, schema v{self.version})",
            f"subgraphs: {self.subgraph_count}; tensors: {len(self.tensors)}; "
            f"operators: {len(self.operators)}",
            *(f"input {n}: {io(t)}" for n, t in enumerate(self.input_tensors())),
            *(f"output {n}: {io(t)}" for n, t in enumerate(self.output_tensors())),
            "ops: " + ", ".join(str(o) for o in self.ops),
            f"constants: {self.constant_bytes} bytes; variables: {self.variable_bytes} bytes",
            f"activations: {self.activation_bytes} bytes total, "
            f"{self.peak_live_bytes} bytes live at peak",
        ]
        if self.metadata:
            lines.append("metadata: " + ", ".join(self.metadata))
        return "\n".join(lines)


def _peak_live(s: ModelSummary) -> int:
    planned = [t for t in s.tensors if not t.constant and not t.variable]
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    end = len(s.operators)
    for t in planned:
        if t.index in s.inputs:
            first[t.index] = 0
        if t.index in s.outputs:
            last[t.index] = end
    for op in s.operators:
        for t in (*op.inputs, *op.outputs):
            if t < 0 or s.tensors[t].constant or s.tensors[t].variable:
                continue
            first.setdefault(t, op.index)
            last[t] = max(last.get(t, op.index), op.index)
    peak = 0
    for step in range(max(end, 1)):
        live = sum(s.tensors[t].nbytes for t in first
                   if first[t] <= step <= last.get(t, first[t]))
        peak = max(peak, live)
    return peak


# -- validation -------------------------------------------------------------------

def _element_size(tt: TensorType, index: int) -> int:
    if tt == TensorType.INT4:
        return 1  # stored unpacked by the converter for the runtime's purposes
    if tt not in schema.NUMPY_DTYPES or tt == TensorType.STRING:
        raise ModelError(f"tensor {index}: type {tt.name} is not supported")
    return schema.NUMPY_DTYPES[tt].itemsize


def _read_tensor(t: _Table, index: int, buffers: list[tuple[int, int] | None]
                 ) -> TensorSummary:
    what = f"tensor {index}"
    shape = t.vector(TensorField.SHAPE, "i", "shape") or []
    if len(shape) > MAX_RANK:
        raise ModelError(f"{what}: rank {len(shape)} exceeds {MAX_RANK}")
    for d, dim in enumerate(shape):
        if dim < 0:
            raise ModelError(f"{what}: shape dim {d} is {dim}")
    type_code = int(t.scalar(TensorField.TYPE, "b", 0))
    try:
        tt = TensorType(type_code)
    except ValueError:
        raise ModelError(f"{what}: unknown type {type_code}") from None
    elements = int(np.prod(shape, dtype=object)) if shape else 1
    nbytes = elements * _element_size(tt, index)
    if nbytes > MAX_TENSOR_BYTES:
        raise ModelError(f"{what}: {nbytes} bytes is too large")
    buffer_index = int(t.scalar(TensorField.BUFFER, "I", 0))
    if buffer_index >= len(buffers):
        raise ModelError(f"{what}: buffer {buffer_index} does not exist ({len(buffers)} buffers)")
    name = t.string(TensorField.NAME, "name") or ""
    if t.field(TensorField.SPARSITY, 4) is not None:
        raise ModelError(f"{what}: sparse tensors are not supported")
    variable = bool(t.scalar(TensorField.IS_VARIABLE, "?", False))
    data = buffers[buffer_index]
    constant = data is not None and data[1] > 0
    if constant:
        assert data is not None
        if data[1] != nbytes and tt != TensorType.INT4:
            raise ModelError(f"{what}: buffer {buffer_index} has {data[1]} bytes, "
                             f"shape {shape} {tt.name.lower()} needs {nbytes}")
        align = min(schema.NUMPY_DTYPES.get(tt, np.dtype("u1")).itemsize, 8)
        if data[0] % align:
            raise ModelError(f"{what}: data at offset {data[0]} is not {align}-byte aligned")
    scales: tuple[float, ...] = ()
    zero_points: tuple[int, ...] = ()
    axis = 0
    q = t.table(TensorField.QUANTIZATION, "quantization")
    if q is not None:
        qwhat = f"{what} quantization"
        scales = tuple(q.vector(QuantizationField.SCALE, "f", "scale") or ())
        zero_points = tuple(q.vector(QuantizationField.ZERO_POINT, "q", "zero_point") or ())
        axis = int(q.scalar(QuantizationField.QUANTIZED_DIMENSION, "i", 0))
        if q.field(QuantizationField.DETAILS, 4) is not None:
            raise ModelError(f"{qwhat}: custom quantization details are not supported")
        if len(scales) != len(zero_points):
            raise ModelError(f"{qwhat}: {len(scales)} scales but {len(zero_points)} zero points")
        if len(scales) > 1:
            # Converters keep the weights' dimension (e.g. 3) on 1-D per-channel biases.
            bias_like = len(shape) == 1 and shape[0] == len(scales)
            if not bias_like and not 0 <= axis < len(shape):
                raise ModelError(f"{qwhat}: quantized_dimension {axis} is outside rank "
                                 f"{len(shape)}")
            if not bias_like and shape[axis] != len(scales):
                raise ModelError(f"{qwhat}: {len(scales)} channels but dim {axis} is "
                                 f"{shape[axis]}")
        if any(not np.isfinite(s) for s in scales):
            raise ModelError(f"{qwhat}: non-finite scale")
    return TensorSummary(index, name, tuple(shape), tt, nbytes, constant, variable,
                         scales, zero_points, axis)


def validate_bytes(data: bytes, path: str | None = None) -> ModelSummary:
    """Validates a model held in memory. See `validate`."""
    data = bytes(data)
    if len(data) > MAX_MODEL_BYTES:
        raise ModelError(f"model is {len(data)} bytes, more than 2 GiB")
    if len(data) < 8:
        raise ModelError(f"{len(data)} bytes is too short for a TFLite model")
    if data[4:8] != schema.FILE_IDENTIFIER:
        raise ModelError(f"file identifier is {data[4:8]!r}, expected {schema.FILE_IDENTIFIER!r} "
                         "(not a TFLite model)")
    buf = _Buf(data)
    model = buf.table(buf.uoffset(0, "root"), "model")
    version = int(model.scalar(ModelField.VERSION, "I", 0))
    if version != schema.SCHEMA_VERSION:
        raise ModelError(f"schema version {version}, expected {schema.SCHEMA_VERSION}")
    description = model.string(ModelField.DESCRIPTION, "description") or ""

    buffer_tables = model.tables(ModelField.BUFFERS, "buffers")
    if not buffer_tables:
        raise ModelError("model has no buffers")
    buffers: list[tuple[int, int] | None] = []
    for i, bt in enumerate(buffer_tables):
        vec = bt.bytes_vector(BufferField.DATA, "data")
        offset = int(bt.scalar(BufferField.OFFSET, "Q", 0))
        size = int(bt.scalar(BufferField.SIZE, "Q", 0))
        if vec is not None and vec[1] > 0:
            buffers.append(vec)
        elif offset > 1:
            if offset + size > len(data):
                raise ModelError(f"buffer {i}: offset {offset} + size {size} runs past the end")
            buffers.append((offset, size))
        else:
            buffers.append(None)

    opcode_tables = model.tables(ModelField.OPERATOR_CODES, "operator_codes") or []
    opcodes: list[tuple[int, int, str | None]] = []
    for i, oc in enumerate(opcode_tables):
        deprecated = int(oc.scalar(OperatorCodeField.DEPRECATED_BUILTIN_CODE, "b", 0))
        code = max(deprecated, int(oc.scalar(OperatorCodeField.BUILTIN_CODE, "i", 0)))
        op_version = int(oc.scalar(OperatorCodeField.VERSION, "i", 1))
        if op_version < 1:
            raise ModelError(f"operator code {i}: version {op_version} < 1")
        custom = oc.string(OperatorCodeField.CUSTOM_CODE, "custom_code")
        if code == schema.BuiltinOperator.CUSTOM and custom is None:
            raise ModelError(f"operator code {i}: CUSTOM without a custom_code")
        opcodes.append((code, op_version, custom))

    subgraphs = model.tables(ModelField.SUBGRAPHS, "subgraphs")
    if not subgraphs:
        raise ModelError("model has no subgraphs")
    sg = subgraphs[0]
    tensor_tables = sg.tables(SubGraphField.TENSORS, "tensors") or []
    tensors = [_read_tensor(t, i, buffers) for i, t in enumerate(tensor_tables)]

    def check_indices(values: Sequence[int], what: str, optional: bool) -> None:
        for n, v in enumerate(values):
            if (v == -1 and optional) or 0 <= v < len(tensors):
                continue
            raise ModelError(f"{what} {n}: tensor index {v} is out of range "
                             f"({len(tensors)} tensors)")

    inputs = sg.vector(SubGraphField.INPUTS, "i", "inputs") or []
    outputs = sg.vector(SubGraphField.OUTPUTS, "i", "outputs") or []
    check_indices(inputs, "subgraph input", False)
    check_indices(outputs, "subgraph output", False)
    if not outputs:
        raise ModelError("subgraph 0 has no outputs")

    available = set(inputs) | {t.index for t in tensors if t.constant or t.variable}
    operators: list[OperatorSummary] = []
    uses: dict[tuple[int, int, str | None], int] = {}
    for i, ot in enumerate(sg.tables(SubGraphField.OPERATORS, "operators") or []):
        what = f"operator {i}"
        opcode_index = int(ot.scalar(OperatorField.OPCODE_INDEX, "I", 0))
        if opcode_index >= len(opcodes):
            raise ModelError(f"{what}: opcode index {opcode_index} is out of range "
                             f"({len(opcodes)} operator codes)")
        code, op_version, custom = opcodes[opcode_index]
        name = custom if custom is not None else schema.op_name(code)
        op_inputs = ot.vector(OperatorField.INPUTS, "i", "inputs") or []
        op_outputs = ot.vector(OperatorField.OUTPUTS, "i", "outputs") or []
        check_indices(op_inputs, f"{what} ({name}) input", True)
        check_indices(op_outputs, f"{what} ({name}) output", False)
        for n, t in enumerate(op_inputs):
            if t != -1 and t not in available:
                raise ModelError(f"{what} ({name}) input {n}: tensor {t} is read before any "
                                 "operator writes it")
        for n, t in enumerate(op_outputs):
            if tensors[t].constant:
                raise ModelError(f"{what} ({name}) output {n}: tensor {t} is constant")
        available.update(op_outputs)
        options_type = int(ot.scalar(OperatorField.BUILTIN_OPTIONS_TYPE, "B", 0))
        options = ot.table(OperatorField.BUILTIN_OPTIONS, "builtin_options")
        if options_type != 0 and options is None:
            raise ModelError(f"{what} ({name}): options type {options_type} without a table")
        ot.bytes_vector(OperatorField.CUSTOM_OPTIONS, "custom_options")
        operators.append(OperatorSummary(i, name, tuple(op_inputs), tuple(op_outputs),
                                         options_type))
        key = (code, op_version, custom)
        uses[key] = uses.get(key, 0) + 1

    for n, t in enumerate(outputs):
        if t not in available:
            raise ModelError(f"subgraph output {n}: tensor {t} is never written")

    metadata: list[str] = []
    offline: list[int] | None = None
    for i, mt in enumerate(model.tables(ModelField.METADATA, "metadata") or []):
        name = mt.string(MetadataField.NAME, "name") or ""
        buffer_index = int(mt.scalar(MetadataField.BUFFER, "I", 0))
        if buffer_index >= len(buffers):
            raise ModelError(f"metadata {i} ({name}): buffer {buffer_index} does not exist")
        metadata.append(name)
        if name == schema.OFFLINE_MEMORY_ALLOCATION:
            offline = _offline_offsets(data, buffers[buffer_index], len(tensors))

    ops = [OpUse(custom if custom is not None else schema.op_name(code), code, v, count,
                 custom is None and code in schema.RUNTIME_OPS, custom)
           for (code, v, custom), count in uses.items()]
    return ModelSummary(len(data), version, description, ops, tensors, operators,
                        list(inputs), list(outputs), len(subgraphs), metadata, offline, path)


def _offline_offsets(data: bytes, where: tuple[int, int] | None, tensor_count: int) -> list[int]:
    what = "metadata OfflineMemoryAllocation"
    if where is None or where[1] % 4 or where[1] < 12:
        raise ModelError(f"{what}: needs at least 3 int32 words")
    words = list(struct.unpack_from(f"<{where[1] // 4}i", data, where[0]))
    version, subgraph, count = words[:3]
    if version != 1:
        raise ModelError(f"{what}: version {version}, expected 1")
    if subgraph != 0:
        raise ModelError(f"{what}: subgraph {subgraph}, expected 0")
    if count != tensor_count or len(words) != 3 + count:
        raise ModelError(f"{what}: {count} offsets ({len(words) - 3} stored) for "
                         f"{tensor_count} tensors")
    offsets = words[3:]
    for i, off in enumerate(offsets):
        if off < -1:
            raise ModelError(f"{what}: tensor {i} offset {off} is invalid")
    return offsets


def validate(model: str | Path | bytes) -> ModelSummary:
    """Validates a .tflite file (a path, or the bytes) and returns its summary."""
    if isinstance(model, bytes | bytearray | memoryview):
        return validate_bytes(bytes(model))
    path = Path(model)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        return validate_bytes(data, str(path))
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m microforge.model.reader MODEL.tflite...", file=sys.stderr)
        return 2
    code = 0
    for arg in args:
        try:
            print(validate(arg).format())
        except ModelError as exc:
            print(f"error: {exc}", file=sys.stderr)
            code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
