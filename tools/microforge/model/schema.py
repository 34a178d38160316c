"""TFLite schema facts (schema version 3) used by the model writer and reader.

Numbers and field orders follow the public ``schema.fbs`` of TensorFlow Lite;
``tests/model/test_schema.py`` checks them against the ``tflite`` package.
Option fields are listed in schema order: a field's slot is its index.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

SCHEMA_VERSION = 3
FILE_IDENTIFIER = b"TFL3"


class BuiltinOperator(IntEnum):
    ADD = 0
    AVERAGE_POOL_2D = 1
    CONCATENATION = 2
    CONV_2D = 3
    DEPTHWISE_CONV_2D = 4
    DEPTH_TO_SPACE = 5
    DEQUANTIZE = 6
    EMBEDDING_LOOKUP = 7
    FLOOR = 8
    FULLY_CONNECTED = 9
    HASHTABLE_LOOKUP = 10
    L2_NORMALIZATION = 11
    L2_POOL_2D = 12
    LOCAL_RESPONSE_NORMALIZATION = 13
    LOGISTIC = 14
    LSH_PROJECTION = 15
    LSTM = 16
    MAX_POOL_2D = 17
    MUL = 18
    RELU = 19
    RELU_N1_TO_1 = 20
    RELU6 = 21
    RESHAPE = 22
    RESIZE_BILINEAR = 23
    RNN = 24
    SOFTMAX = 25
    SPACE_TO_DEPTH = 26
    SVDF = 27
    TANH = 28
    CONCAT_EMBEDDINGS = 29
    SKIP_GRAM = 30
    CALL = 31
    CUSTOM = 32
    EMBEDDING_LOOKUP_SPARSE = 33
    PAD = 34
    UNIDIRECTIONAL_SEQUENCE_RNN = 35
    GATHER = 36
    BATCH_TO_SPACE_ND = 37
    SPACE_TO_BATCH_ND = 38
    TRANSPOSE = 39
    MEAN = 40
    SUB = 41
    DIV = 42
    SQUEEZE = 43
    UNIDIRECTIONAL_SEQUENCE_LSTM = 44
    STRIDED_SLICE = 45
    BIDIRECTIONAL_SEQUENCE_RNN = 46
    EXP = 47
    TOPK_V2 = 48
    SPLIT = 49
    LOG_SOFTMAX = 50
    DELEGATE = 51
    BIDIRECTIONAL_SEQUENCE_LSTM = 52
    CAST = 53
    PRELU = 54
    MAXIMUM = 55
    ARG_MAX = 56
    MINIMUM = 57
    LESS = 58
    NEG = 59
    PADV2 = 60
    GREATER = 61
    GREATER_EQUAL = 62
    LESS_EQUAL = 63
    SELECT = 64
    SLICE = 65
    SIN = 66
    TRANSPOSE_CONV = 67
    SPARSE_TO_DENSE = 68
    TILE = 69
    EXPAND_DIMS = 70
    EQUAL = 71
    NOT_EQUAL = 72
    LOG = 73
    SUM = 74
    SQRT = 75
    RSQRT = 76
    SHAPE = 77
    POW = 78
    ARG_MIN = 79
    FAKE_QUANT = 80
    REDUCE_PROD = 81
    REDUCE_MAX = 82
    PACK = 83
    LOGICAL_OR = 84
    ONE_HOT = 85
    LOGICAL_AND = 86
    LOGICAL_NOT = 87
    UNPACK = 88
    REDUCE_MIN = 89
    FLOOR_DIV = 90
    REDUCE_ANY = 91
    SQUARE = 92
    ZEROS_LIKE = 93
    FILL = 94
    FLOOR_MOD = 95
    RANGE = 96
    RESIZE_NEAREST_NEIGHBOR = 97
    LEAKY_RELU = 98
    SQUARED_DIFFERENCE = 99
    MIRROR_PAD = 100
    ABS = 101
    SPLIT_V = 102
    UNIQUE = 103
    CEIL = 104
    REVERSE_V2 = 105
    ADD_N = 106
    GATHER_ND = 107
    COS = 108
    WHERE = 109
    RANK = 110
    ELU = 111
    REVERSE_SEQUENCE = 112
    MATRIX_DIAG = 113
    QUANTIZE = 114
    MATRIX_SET_DIAG = 115
    ROUND = 116
    HARD_SWISH = 117
    IF = 118
    WHILE = 119
    NON_MAX_SUPPRESSION_V4 = 120
    NON_MAX_SUPPRESSION_V5 = 121
    SCATTER_ND = 122
    SELECT_V2 = 123
    DENSIFY = 124
    SEGMENT_SUM = 125
    BATCH_MATMUL = 126
    PLACEHOLDER_FOR_GREATER_OP_CODES = 127
    CUMSUM = 128
    CALL_ONCE = 129
    BROADCAST_TO = 130
    RFFT2D = 131
    CONV_3D = 132
    IMAG = 133
    REAL = 134
    COMPLEX_ABS = 135
    HASHTABLE = 136
    HASHTABLE_FIND = 137
    HASHTABLE_IMPORT = 138
    HASHTABLE_SIZE = 139
    REDUCE_ALL = 140
    CONV_3D_TRANSPOSE = 141
    VAR_HANDLE = 142
    READ_VARIABLE = 143
    ASSIGN_VARIABLE = 144
    BROADCAST_ARGS = 145
    RANDOM_STANDARD_NORMAL = 146
    BUCKETIZE = 147
    RANDOM_UNIFORM = 148
    MULTINOMIAL = 149
    GELU = 150
    DYNAMIC_UPDATE_SLICE = 151
    RELU_0_TO_1 = 152
    UNSORTED_SEGMENT_PROD = 153
    UNSORTED_SEGMENT_MAX = 154
    UNSORTED_SEGMENT_SUM = 155
    ATAN2 = 156
    UNSORTED_SEGMENT_MIN = 157
    SIGN = 158
    BITCAST = 159
    BITWISE_XOR = 160
    RIGHT_SHIFT = 161
    STABLEHLO_LOGISTIC = 162
    STABLEHLO_ADD = 163
    STABLEHLO_DIVIDE = 164
    STABLEHLO_MULTIPLY = 165
    STABLEHLO_MAXIMUM = 166
    STABLEHLO_RESHAPE = 167
    STABLEHLO_CLAMP = 168
    STABLEHLO_CONCATENATE = 169
    STABLEHLO_BROADCAST_IN_DIM = 170
    STABLEHLO_CONVOLUTION = 171
    STABLEHLO_SLICE = 172
    STABLEHLO_CUSTOM_CALL = 173
    STABLEHLO_REDUCE = 174
    STABLEHLO_ABS = 175
    STABLEHLO_AND = 176
    STABLEHLO_COSINE = 177
    STABLEHLO_EXPONENTIAL = 178
    STABLEHLO_FLOOR = 179
    STABLEHLO_LOG = 180
    STABLEHLO_MINIMUM = 181
    STABLEHLO_NEGATE = 182
    STABLEHLO_OR = 183
    STABLEHLO_POWER = 184
    STABLEHLO_REMAINDER = 185
    STABLEHLO_RSQRT = 186
    STABLEHLO_SELECT = 187
    STABLEHLO_SUBTRACT = 188
    STABLEHLO_TANH = 189
    STABLEHLO_SCATTER = 190
    STABLEHLO_COMPARE = 191
    STABLEHLO_CONVERT = 192
    STABLEHLO_DYNAMIC_SLICE = 193
    STABLEHLO_DYNAMIC_UPDATE_SLICE = 194
    STABLEHLO_PAD = 195
    STABLEHLO_IOTA = 196
    STABLEHLO_DOT_GENERAL = 197
    STABLEHLO_REDUCE_WINDOW = 198
    STABLEHLO_SORT = 199
    STABLEHLO_WHILE = 200
    STABLEHLO_GATHER = 201
    STABLEHLO_TRANSPOSE = 202
    DILATE = 203
    STABLEHLO_RNG_BIT_GENERATOR = 204
    REDUCE_WINDOW = 205
    STABLEHLO_COMPOSITE = 206
    STABLEHLO_SHIFT_LEFT = 207
    STABLEHLO_CBRT = 208


class TensorType(IntEnum):
    FLOAT32 = 0
    FLOAT16 = 1
    INT32 = 2
    UINT8 = 3
    INT64 = 4
    STRING = 5
    BOOL = 6
    INT16 = 7
    COMPLEX64 = 8
    INT8 = 9
    FLOAT64 = 10
    COMPLEX128 = 11
    UINT64 = 12
    RESOURCE = 13
    VARIANT = 14
    UINT32 = 15
    UINT16 = 16
    INT4 = 17
    BFLOAT16 = 18


class Padding(IntEnum):
    SAME = 0
    VALID = 1


class ActivationFunctionType(IntEnum):
    NONE = 0
    RELU = 1
    RELU_N1_TO_1 = 2
    RELU6 = 3
    TANH = 4
    SIGN_BIT = 5


class FullyConnectedWeightsFormat(IntEnum):
    DEFAULT = 0
    SHUFFLED4x16INT8 = 1


class BuiltinOptions(IntEnum):
    """The BuiltinOptions union: the type numbers of the option tables used here."""

    NONE = 0
    Conv2DOptions = 1
    DepthwiseConv2DOptions = 2
    Pool2DOptions = 5
    SVDFOptions = 6
    FullyConnectedOptions = 8
    SoftmaxOptions = 9
    ConcatenationOptions = 10
    AddOptions = 11
    ReshapeOptions = 17
    MulOptions = 21
    PadOptions = 22
    TransposeOptions = 26
    ReducerOptions = 27
    SubOptions = 28
    SqueezeOptions = 30
    StridedSliceOptions = 32
    SplitOptions = 35
    DequantizeOptions = 38
    MaximumMinimumOptions = 39
    PadV2Options = 43
    ExpandDimsOptions = 52
    ShapeOptions = 55
    PackOptions = 59
    UnpackOptions = 64
    LeakyReluOptions = 75
    QuantizeOptions = 89
    HardSwishOptions = 91


# numpy dtype of each storable tensor type.
NUMPY_DTYPES: dict[TensorType, np.dtype] = {
    TensorType.FLOAT32: np.dtype("<f4"),
    TensorType.FLOAT16: np.dtype("<f2"),
    TensorType.INT32: np.dtype("<i4"),
    TensorType.UINT8: np.dtype("u1"),
    TensorType.INT64: np.dtype("<i8"),
    TensorType.BOOL: np.dtype("?"),
    TensorType.INT16: np.dtype("<i2"),
    TensorType.INT8: np.dtype("i1"),
    TensorType.FLOAT64: np.dtype("<f8"),
    TensorType.COMPLEX64: np.dtype("<c8"),
    TensorType.COMPLEX128: np.dtype("<c16"),
    TensorType.UINT64: np.dtype("<u8"),
    TensorType.UINT32: np.dtype("<u4"),
    TensorType.UINT16: np.dtype("<u2"),
}


def tensor_type(value: TensorType | str | int | np.dtype | type) -> TensorType:
    """A TensorType from a TensorType, its name ("int8"), number, or a numpy dtype."""
    if isinstance(value, TensorType):
        return value
    if isinstance(value, str) and value.upper() in TensorType.__members__:
        return TensorType[value.upper()]
    if isinstance(value, int) and not isinstance(value, bool):
        return TensorType(value)
    try:
        dt = np.dtype(value)
    except TypeError as exc:
        raise ValueError(f"unknown tensor type {value!r}") from exc
    for tt, npdt in NUMPY_DTYPES.items():
        if npdt == dt.newbyteorder("<") or npdt == dt:
            return tt
    raise ValueError(f"no TFLite tensor type for numpy dtype {dt}")


def numpy_dtype(value: TensorType | str | int) -> np.dtype:
    tt = tensor_type(value)
    if tt not in NUMPY_DTYPES:
        raise ValueError(f"tensor type {tt.name} has no numpy equivalent")
    return NUMPY_DTYPES[tt]


# -- builtin options -------------------------------------------------------

@dataclass(frozen=True)
class OptionField:
    """One field of an options table. kind: byte, int, bool, float, int_vector."""

    name: str
    kind: str
    default: int | float | bool | None = 0
    enum: type[IntEnum] | None = None


@dataclass(frozen=True)
class OptionsTable:
    union: BuiltinOptions
    fields: tuple[OptionField, ...]

    @property
    def name(self) -> str:
        return self.union.name

    def field(self, name: str) -> tuple[int, OptionField]:
        for slot, f in enumerate(self.fields):
            if f.name == name:
                return slot, f
        known = ", ".join(f.name for f in self.fields) or "none"
        raise KeyError(f"{self.name} has no field {name!r} (fields: {known})")


_PAD = OptionField("padding", "byte", 0, Padding)
_ACT = OptionField("fused_activation_function", "byte", 0, ActivationFunctionType)
_STRIDE_W = OptionField("stride_w", "int")
_STRIDE_H = OptionField("stride_h", "int")
_DIL_W = OptionField("dilation_w_factor", "int", 1)
_DIL_H = OptionField("dilation_h_factor", "int", 1)
_BIAS_TYPE = OptionField("quantized_bias_type", "byte", 0, TensorType)


def _table(union: BuiltinOptions, *fields: OptionField) -> OptionsTable:
    return OptionsTable(union, tuple(fields))


CONV_2D_OPTIONS = _table(BuiltinOptions.Conv2DOptions, _PAD, _STRIDE_W, _STRIDE_H, _ACT,
                         _DIL_W, _DIL_H, _BIAS_TYPE)
DEPTHWISE_CONV_2D_OPTIONS = _table(
    BuiltinOptions.DepthwiseConv2DOptions, _PAD, _STRIDE_W, _STRIDE_H,
    OptionField("depth_multiplier", "int"), _ACT, _DIL_W, _DIL_H)
POOL_2D_OPTIONS = _table(BuiltinOptions.Pool2DOptions, _PAD, _STRIDE_W, _STRIDE_H,
                         OptionField("filter_width", "int"), OptionField("filter_height", "int"),
                         _ACT)
SVDF_OPTIONS = _table(BuiltinOptions.SVDFOptions, OptionField("rank", "int"), _ACT,
                      OptionField("asymmetric_quantize_inputs", "bool", False))
FULLY_CONNECTED_OPTIONS = _table(
    BuiltinOptions.FullyConnectedOptions, _ACT,
    OptionField("weights_format", "byte", 0, FullyConnectedWeightsFormat),
    OptionField("keep_num_dims", "bool", False),
    OptionField("asymmetric_quantize_inputs", "bool", False), _BIAS_TYPE)
SOFTMAX_OPTIONS = _table(BuiltinOptions.SoftmaxOptions, OptionField("beta", "float", 0.0))
CONCATENATION_OPTIONS = _table(BuiltinOptions.ConcatenationOptions,
                               OptionField("axis", "int"), _ACT)
ADD_OPTIONS = _table(BuiltinOptions.AddOptions, _ACT,
                     OptionField("pot_scale_int16", "bool", True))
SUB_OPTIONS = _table(BuiltinOptions.SubOptions, _ACT,
                     OptionField("pot_scale_int16", "bool", True))
MUL_OPTIONS = _table(BuiltinOptions.MulOptions, _ACT)
RESHAPE_OPTIONS = _table(BuiltinOptions.ReshapeOptions,
                         OptionField("new_shape", "int_vector", None))
REDUCER_OPTIONS = _table(BuiltinOptions.ReducerOptions, OptionField("keep_dims", "bool", False))
SQUEEZE_OPTIONS = _table(BuiltinOptions.SqueezeOptions,
                         OptionField("squeeze_dims", "int_vector", None))
STRIDED_SLICE_OPTIONS = _table(
    BuiltinOptions.StridedSliceOptions, OptionField("begin_mask", "int"),
    OptionField("end_mask", "int"), OptionField("ellipsis_mask", "int"),
    OptionField("new_axis_mask", "int"), OptionField("shrink_axis_mask", "int"),
    OptionField("offset", "bool", False))
SPLIT_OPTIONS = _table(BuiltinOptions.SplitOptions, OptionField("num_splits", "int"))
SHAPE_OPTIONS = _table(BuiltinOptions.ShapeOptions,
                       OptionField("out_type", "byte", 0, TensorType))
PACK_OPTIONS = _table(BuiltinOptions.PackOptions, OptionField("values_count", "int"),
                      OptionField("axis", "int"))
UNPACK_OPTIONS = _table(BuiltinOptions.UnpackOptions, OptionField("num", "int"),
                        OptionField("axis", "int"))
LEAKY_RELU_OPTIONS = _table(BuiltinOptions.LeakyReluOptions, OptionField("alpha", "float", 0.0))


def _empty(union: BuiltinOptions) -> OptionsTable:
    return OptionsTable(union, ())


# The options table of every op the runtime implements (micro/include/mf_ops.h);
# None for ops that have no options table.
OP_OPTIONS: dict[BuiltinOperator, OptionsTable | None] = {
    BuiltinOperator.ADD: ADD_OPTIONS,
    BuiltinOperator.AVERAGE_POOL_2D: POOL_2D_OPTIONS,
    BuiltinOperator.CONCATENATION: CONCATENATION_OPTIONS,
    BuiltinOperator.CONV_2D: CONV_2D_OPTIONS,
    BuiltinOperator.DEPTHWISE_CONV_2D: DEPTHWISE_CONV_2D_OPTIONS,
    BuiltinOperator.DEQUANTIZE: _empty(BuiltinOptions.DequantizeOptions),
    BuiltinOperator.FULLY_CONNECTED: FULLY_CONNECTED_OPTIONS,
    BuiltinOperator.LOGISTIC: None,
    BuiltinOperator.MAX_POOL_2D: POOL_2D_OPTIONS,
    BuiltinOperator.MUL: MUL_OPTIONS,
    BuiltinOperator.RELU: None,
    BuiltinOperator.RELU6: None,
    BuiltinOperator.RESHAPE: RESHAPE_OPTIONS,
    BuiltinOperator.SOFTMAX: SOFTMAX_OPTIONS,
    BuiltinOperator.SVDF: SVDF_OPTIONS,
    BuiltinOperator.TANH: None,
    BuiltinOperator.PAD: _empty(BuiltinOptions.PadOptions),
    BuiltinOperator.TRANSPOSE: _empty(BuiltinOptions.TransposeOptions),
    BuiltinOperator.MEAN: REDUCER_OPTIONS,
    BuiltinOperator.SUB: SUB_OPTIONS,
    BuiltinOperator.SQUEEZE: SQUEEZE_OPTIONS,
    BuiltinOperator.STRIDED_SLICE: STRIDED_SLICE_OPTIONS,
    BuiltinOperator.SPLIT: SPLIT_OPTIONS,
    BuiltinOperator.MAXIMUM: _empty(BuiltinOptions.MaximumMinimumOptions),
    BuiltinOperator.MINIMUM: _empty(BuiltinOptions.MaximumMinimumOptions),
    BuiltinOperator.PADV2: _empty(BuiltinOptions.PadV2Options),
    BuiltinOperator.EXPAND_DIMS: _empty(BuiltinOptions.ExpandDimsOptions),
    BuiltinOperator.SHAPE: SHAPE_OPTIONS,
    BuiltinOperator.PACK: PACK_OPTIONS,
    BuiltinOperator.UNPACK: UNPACK_OPTIONS,
    BuiltinOperator.LEAKY_RELU: LEAKY_RELU_OPTIONS,
    BuiltinOperator.QUANTIZE: _empty(BuiltinOptions.QuantizeOptions),
    BuiltinOperator.HARD_SWISH: _empty(BuiltinOptions.HardSwishOptions),
}

# The ops the runtime implements (the same set as MF_FOR_EACH_OP in mf_ops.h).
RUNTIME_OPS: frozenset[BuiltinOperator] = frozenset(OP_OPTIONS)


def builtin_operator(value: BuiltinOperator | str | int) -> BuiltinOperator:
    """A BuiltinOperator from itself, its name ("CONV_2D") or its number."""
    if isinstance(value, BuiltinOperator):
        return value
    if isinstance(value, str):
        try:
            return BuiltinOperator[value.upper()]
        except KeyError:
            raise ValueError(f"unknown builtin operator {value!r}") from None
    try:
        return BuiltinOperator(value)
    except ValueError:
        raise ValueError(f"unknown builtin operator code {value!r}") from None


def op_name(code: int) -> str:
    """The name of a builtin code, or "BUILTIN_<n>" for codes this schema does not know."""
    try:
        return BuiltinOperator(code).name
    except ValueError:
        return f"BUILTIN_{code}"


# -- table slots of the model structure ---------------------------------------

class ModelField(IntEnum):
    VERSION = 0
    OPERATOR_CODES = 1
    SUBGRAPHS = 2
    DESCRIPTION = 3
    BUFFERS = 4
    METADATA_BUFFER = 5
    METADATA = 6
    SIGNATURE_DEFS = 7


class OperatorCodeField(IntEnum):
    DEPRECATED_BUILTIN_CODE = 0
    CUSTOM_CODE = 1
    VERSION = 2
    BUILTIN_CODE = 3


class SubGraphField(IntEnum):
    TENSORS = 0
    INPUTS = 1
    OUTPUTS = 2
    OPERATORS = 3
    NAME = 4


class TensorField(IntEnum):
    SHAPE = 0
    TYPE = 1
    BUFFER = 2
    NAME = 3
    QUANTIZATION = 4
    IS_VARIABLE = 5
    SPARSITY = 6
    SHAPE_SIGNATURE = 7


class QuantizationField(IntEnum):
    MIN = 0
    MAX = 1
    SCALE = 2
    ZERO_POINT = 3
    DETAILS_TYPE = 4
    DETAILS = 5
    QUANTIZED_DIMENSION = 6


class OperatorField(IntEnum):
    OPCODE_INDEX = 0
    INPUTS = 1
    OUTPUTS = 2
    BUILTIN_OPTIONS_TYPE = 3
    BUILTIN_OPTIONS = 4
    CUSTOM_OPTIONS = 5
    CUSTOM_OPTIONS_FORMAT = 6
    MUTATING_VARIABLE_INPUTS = 7
    INTERMEDIATES = 8


class BufferField(IntEnum):
    DATA = 0
    OFFSET = 1
    SIZE = 2


class MetadataField(IntEnum):
    NAME = 0
    BUFFER = 1


# Builtin codes below this are also stored in the deprecated int8 field.
PLACEHOLDER_FOR_GREATER_OP_CODES = 127
# Name of the metadata entry holding offline-planned tensor offsets.
OFFLINE_MEMORY_ALLOCATION = "OfflineMemoryAllocation"
