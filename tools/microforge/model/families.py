"""Small random-weight instances of common microcontroller model families.

Each generator returns a ``.tflite`` (bytes) built with the model writer, as
float32 or full-integer int8 (int8 in/out, per-channel weights, int32 biases,
int16 SVDF state and time weights), the way the TFLite converter lays these
models out:

- ``mobilenet``:   conv stride 2, depthwise-separable blocks (v1) or inverted
                   residual blocks with ADD (v2), average pool, FC, softmax
- ``resnet``:      CIFAR-style residual stages with ADD (and a 1x1 projection
                   when downsampling), MEAN over H and W, FC, softmax
- ``ds_cnn``:      DS-CNN keyword spotter over an MFCC map: wide conv, DW/PW
                   blocks, average pool, reshape, FC, softmax
- ``autoencoder``: dense encoder/decoder (anomaly detection), FC + RELU
- ``svdf_kws``:    SVDF keyword model fed one feature frame per invoke (state
                   kept across invokes), FC, softmax
- ``random_graph``: a random DAG of conv/pool/elementwise/activation ops with
                   several inputs and outputs, for interpreter and planner tests

Weights are He-initialised from the given Generator. Activation ranges (hence
the int8 scales and zero points) come from running the float network in numpy
on random calibration inputs, so the quantized models use their whole range.

    rng = numpy.random.default_rng(0)
    model = resnet(rng, "int8")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from microforge.model.writer import ModelWriter, Quantization

CALIBRATION_SAMPLES = 16

# Op versions as the converter writes them for int8 models (float models use 1).
_INT8_VERSIONS = {"CONV_2D": 3, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 4, "SOFTMAX": 2,
                  "AVERAGE_POOL_2D": 2, "MAX_POOL_2D": 2, "ADD": 2, "MEAN": 2, "RESHAPE": 1,
                  "SVDF": 3, "SUB": 2, "MUL": 2, "MAXIMUM": 2, "MINIMUM": 2, "RELU": 2,
                  "RELU6": 2, "TANH": 2, "LOGISTIC": 2, "LEAKY_RELU": 2, "HARD_SWISH": 1,
                  "CONCATENATION": 2}


@dataclass
class _Value:
    """A tensor of the graph with its float calibration values (batch of samples first)."""

    index: int
    values: np.ndarray  # [samples, *shape[1:]] (the model's batch dimension is 1)
    quant: Quantization | None

    @property
    def shape(self) -> tuple[int, ...]:
        return (1, *self.values.shape[1:])


def _act(x: np.ndarray, activation: str) -> np.ndarray:
    if activation == "RELU":
        return np.maximum(x, 0)
    if activation == "RELU6":
        return np.clip(x, 0, 6)
    if activation == "NONE":
        return x
    raise ValueError(f"unsupported activation {activation}")


def _same_pads(size: int, k: int, stride: int) -> tuple[int, int]:
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2


def _windows(x: np.ndarray, kh: int, kw: int, stride: int, padding: str,
             fill: float = 0.0) -> np.ndarray:
    """[n, oh, ow, kh, kw, c] patches of an NHWC batch, TFLite's SAME/VALID geometry."""
    n, h, w, c = x.shape
    if padding == "SAME":
        oh, top = _same_pads(h, kh, stride)
        ow, left = _same_pads(w, kw, stride)
    else:
        oh, ow, top, left = (h - kh) // stride + 1, (w - kw) // stride + 1, 0, 0
    padded = np.full((n, h + kh + stride * oh, w + kw + stride * ow, c), fill, x.dtype)
    padded[:, top:top + h, left:left + w, :] = x
    out = np.empty((n, oh, ow, kh, kw, c), x.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, i, j, :] = padded[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
    return out


def _range_quant(values: np.ndarray) -> Quantization:
    """Asymmetric int8 quantization covering the values' range (and 0)."""
    lo = min(float(values.min()), 0.0)
    hi = max(float(values.max()), 0.0)
    if hi - lo < 1e-2:  # a constant tensor: keep the scale in a sane range
        hi = lo + 1e-2
    scale = float(np.float32((hi - lo) / 255.0))
    zero_point = int(np.clip(round(-128 - lo / scale), -128, 127))
    return Quantization.per_tensor(scale, zero_point)


def _symmetric_scales(w: np.ndarray, axis: int | None, qmax: int) -> np.ndarray:
    if axis is None:
        m = np.array([np.abs(w).max()])
    else:
        m = np.abs(np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)).max(axis=1)
    return (np.maximum(m, 1e-8) / qmax).astype(np.float32)


class _Net:
    """Builds the same network as a float model or an int8 model, with calibration."""

    def __init__(self, rng: np.random.Generator, dtype: str, input_shape: tuple[int, ...],
                 description: str) -> None:
        if dtype not in ("int8", "float32"):
            raise ValueError(f"dtype must be int8 or float32, not {dtype!r}")
        self.rng = rng
        self.int8 = dtype == "int8"
        self.w = ModelWriter(description=description)
        self.inputs: list[_Value] = []
        self.input = self.new_input(input_shape)

    def new_input(self, shape: tuple[int, ...]) -> _Value:
        calib = self.rng.uniform(-1, 1, size=(CALIBRATION_SAMPLES, *shape[1:]))
        value = self._tensor(f"input{len(self.inputs)}" if self.inputs else "input", calib)
        self.inputs.append(value)
        return value

    # -- tensors -------------------------------------------------------------
    def _tensor(self, name: str, values: np.ndarray, quant: Quantization | None = None,
                ) -> _Value:
        values = values.astype(np.float32)
        if self.int8 and quant is None:
            quant = _range_quant(values)
        shape = (1, *values.shape[1:])
        index = self.w.tensor(shape, "int8" if self.int8 else "float32", name=name,
                              quant=quant if self.int8 else None)
        return _Value(index, values, quant if self.int8 else None)

    def _name(self, op: str) -> str:
        return f"{op.lower()}_{len(self.w.operators)}"

    def _op(self, op: str, inputs: list[int], outputs: list[int], options: dict | None = None,
            ) -> None:
        version = _INT8_VERSIONS.get(op, 1) if self.int8 else 1
        self.w.operator(op, inputs, outputs, options, version=version)

    def _weights(self, name: str, w: np.ndarray, axis: int | None
                 ) -> tuple[int, Quantization | None]:
        if not self.int8:
            return self.w.const(w.astype(np.float32), name=name), None
        scales = _symmetric_scales(w, axis, 127)
        shape = [1] * w.ndim
        if axis is not None:
            shape[axis] = -1
        q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
        quant = (Quantization.per_channel(scales, axis=axis) if axis is not None
                 else Quantization.per_tensor(float(scales[0]), 0))
        return self.w.const(q, name=name, quant=quant), quant

    def _bias(self, name: str, b: np.ndarray, x: _Value, wq: Quantization | None) -> int:
        if not self.int8:
            return self.w.const(b.astype(np.float32), name=name)
        assert x.quant is not None and wq is not None
        scales = np.float32(x.quant.scales[0]) * np.asarray(wq.scales, np.float32)
        scales = np.broadcast_to(scales, b.shape).astype(np.float32)
        q = np.round(b / scales).astype(np.int64).clip(-(2**31), 2**31 - 1).astype(np.int32)
        quant = (Quantization.per_channel(scales, axis=0) if wq.channels > 1
                 else Quantization.per_tensor(float(scales[0]), 0))
        return self.w.const(q, name=name, quant=quant)

    def _he(self, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
        return (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    # -- layers ----------------------------------------------------------------
    def conv(self, x: _Value, filters: int, kernel: tuple[int, int], stride: int = 1,
             padding: str = "SAME", activation: str = "RELU") -> _Value:
        kh, kw = kernel
        cin = x.values.shape[-1]
        w = self._he((filters, kh, kw, cin), kh * kw * cin)
        b = (self.rng.standard_normal(filters) * 0.1).astype(np.float32)
        patches = _windows(x.values, kh, kw, stride, padding)
        y = _act(np.einsum("nhwijc,oijc->nhwo", patches, w) + b, activation)
        name = self._name("conv")
        wi, wq = self._weights(f"{name}/weights", w, 0)
        bi = self._bias(f"{name}/bias", b, x, wq)
        out = self._tensor(name, y)
        self._op("CONV_2D", [x.index, wi, bi], [out.index],
                 {"padding": padding, "stride_w": stride, "stride_h": stride,
                  "activation": activation})
        return out

    def depthwise(self, x: _Value, kernel: tuple[int, int] = (3, 3), stride: int = 1,
                  multiplier: int = 1, padding: str = "SAME", activation: str = "RELU") -> _Value:
        kh, kw = kernel
        cin = x.values.shape[-1]
        cout = cin * multiplier
        w = self._he((1, kh, kw, cout), kh * kw)
        b = (self.rng.standard_normal(cout) * 0.1).astype(np.float32)
        patches = _windows(x.values, kh, kw, stride, padding)
        patches = np.repeat(patches, multiplier, axis=-1)  # channel c*m+j reads input c
        y = _act(np.einsum("nhwijc,ijc->nhwc", patches, w[0]) + b, activation)
        name = self._name("depthwise")
        wi, wq = self._weights(f"{name}/weights", w, 3)
        bi = self._bias(f"{name}/bias", b, x, wq)
        out = self._tensor(name, y)
        self._op("DEPTHWISE_CONV_2D", [x.index, wi, bi], [out.index],
                 {"padding": padding, "stride_w": stride, "stride_h": stride,
                  "depth_multiplier": multiplier, "activation": activation})
        return out

    def fully_connected(self, x: _Value, units: int, activation: str = "NONE") -> _Value:
        flat = x.values.reshape(x.values.shape[0], -1)
        w = self._he((units, flat.shape[1]), flat.shape[1])
        b = (self.rng.standard_normal(units) * 0.1).astype(np.float32)
        y = _act(flat @ w.T + b, activation)
        name = self._name("dense")
        wi, wq = self._weights(f"{name}/weights", w, None)
        bi = self._bias(f"{name}/bias", b, x, wq)
        out = self._tensor(name, y)
        self._op("FULLY_CONNECTED", [x.index, wi, bi], [out.index], {"activation": activation})
        return out

    def pool(self, x: _Value, op: str, size: tuple[int, int], stride: int,
             padding: str = "VALID") -> _Value:
        fill = -np.inf if op == "MAX_POOL_2D" else np.nan
        patches = _windows(x.values, size[0], size[1], stride, padding, fill=fill)
        if op == "MAX_POOL_2D":
            y = patches.max(axis=(3, 4))
        else:
            y = np.nanmean(patches, axis=(3, 4))
        out = self._tensor(self._name(op), y, x.quant)  # pooling keeps the input's scale
        self._op(op, [x.index], [out.index],
                 {"padding": padding, "stride_w": stride, "stride_h": stride,
                  "filter_width": size[1], "filter_height": size[0]})
        return out

    def add(self, a: _Value, b: _Value, activation: str = "NONE") -> _Value:
        out = self._tensor(self._name("add"), _act(a.values + b.values, activation))
        self._op("ADD", [a.index, b.index], [out.index], {"activation": activation})
        return out

    def mean(self, x: _Value, axes: tuple[int, ...], keep_dims: bool = False) -> _Value:
        y = x.values.mean(axis=axes, keepdims=keep_dims)
        axes_t = self.w.const(np.array(axes, np.int32), name=self._name("mean") + "/axes")
        out = self._tensor(self._name("mean"), y)
        self._op("MEAN", [x.index, axes_t], [out.index], {"keep_dims": keep_dims})
        return out

    def reshape(self, x: _Value, shape: tuple[int, ...]) -> _Value:
        y = x.values.reshape((x.values.shape[0], *shape[1:]))
        new_shape = self.w.const(np.array(shape, np.int32), name=self._name("reshape") + "/shape")
        out = self._tensor(self._name("reshape"), y, x.quant)
        self._op("RESHAPE", [x.index, new_shape], [out.index], {"new_shape": list(shape)})
        return out

    def softmax(self, x: _Value) -> _Value:
        z = x.values - x.values.max(axis=-1, keepdims=True)
        e = np.exp(z)
        y = e / e.sum(axis=-1, keepdims=True)
        quant = Quantization.per_tensor(1.0 / 256.0, -128) if self.int8 else None
        out = self._tensor(self._name("softmax"), y, quant)
        self._op("SOFTMAX", [x.index], [out.index], {"beta": 1.0})
        return out

    def svdf(self, x: _Value, units: int, memory: int, rank: int = 1,
             activation: str = "RELU", steps: int = 12) -> _Value:
        """SVDF over one frame per invoke; calibrated over `steps` consecutive frames."""
        features = x.values.shape[-1]
        filters = units * rank
        wf = self._he((filters, features), features)
        wt = (self.rng.standard_normal((filters, memory)) / np.sqrt(memory)).astype(np.float32)
        b = (self.rng.standard_normal(units) * 0.1).astype(np.float32)
        frames = x.values.reshape(x.values.shape[0], features)
        # Calibrate state and output over a stream of frames (the samples in order).
        state = np.zeros((filters, memory), np.float32)
        states, outs = [], []
        for t in range(max(steps, frames.shape[0])):
            frame = frames[t % frames.shape[0]]
            state = np.concatenate([state[:, 1:], (wf @ frame)[:, None]], axis=1)
            y = (state * wt).sum(axis=1).reshape(units, rank).sum(axis=1) + b
            states.append(state.copy())
            outs.append(_act(y, activation))
        outs_arr = np.stack(outs)[-frames.shape[0]:]
        name = self._name("svdf")
        if self.int8:
            assert x.quant is not None
            state_scale = np.float32(max(np.abs(np.stack(states)).max(), 1e-6) / 32767)
            wt_scale = _symmetric_scales(wt, None, 32767)[0]
            wf_i, _ = self._weights(f"{name}/weights_feature", wf, None)
            wt_q = np.clip(np.round(wt / wt_scale), -32767, 32767).astype(np.int16)
            wt_i = self.w.const(wt_q, name=f"{name}/weights_time",
                                quant=Quantization.per_tensor(float(wt_scale), 0))
            bias_scale = np.float32(state_scale * wt_scale)
            b_i = self.w.const(np.round(b / bias_scale).astype(np.int32), name=f"{name}/bias",
                               quant=Quantization.per_tensor(float(bias_scale), 0))
            state_i = self.w.tensor([1, filters * memory], "int16", name=f"{name}/state",
                                    quant=Quantization.per_tensor(float(state_scale), 0),
                                    variable=True)
        else:
            wf_i = self.w.const(wf, name=f"{name}/weights_feature")
            wt_i = self.w.const(wt, name=f"{name}/weights_time")
            b_i = self.w.const(b, name=f"{name}/bias")
            state_i = self.w.tensor([1, filters * memory], "float32", name=f"{name}/state",
                                    variable=True)
        out = self._tensor(name, outs_arr)
        self._op("SVDF", [x.index, wf_i, wt_i, b_i, state_i], [out.index],
                 {"rank": rank, "activation": activation})
        return out

    def binary(self, op: str, a: _Value, b: _Value, activation: str = "NONE") -> _Value:
        """ADD, SUB, MUL (with a fused activation), MAXIMUM, MINIMUM; broadcasting."""
        fn = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply,
              "MAXIMUM": np.maximum, "MINIMUM": np.minimum}[op]
        fused = op in ("ADD", "SUB", "MUL")
        y = fn(a.values, b.values)
        out = self._tensor(self._name(op), _act(y, activation) if fused else y)
        self._op(op, [a.index, b.index], [out.index], {"activation": activation} if fused else None)
        return out

    def unary(self, op: str, x: _Value, alpha: float = 0.2) -> _Value:
        """RELU, RELU6, TANH, LOGISTIC, LEAKY_RELU, HARD_SWISH."""
        v = x.values
        quant = None
        options = None
        if op in ("RELU", "RELU6"):
            y = _act(v, op)
        elif op == "TANH":
            y = np.tanh(v)
            quant = Quantization.per_tensor(1.0 / 128.0, 0)
        elif op == "LOGISTIC":
            y = 1.0 / (1.0 + np.exp(-v))
            quant = Quantization.per_tensor(1.0 / 256.0, -128)
        elif op == "LEAKY_RELU":
            y = np.where(v >= 0, v, alpha * v)
            options = {"alpha": alpha}
        elif op == "HARD_SWISH":
            y = v * np.clip(v + 3, 0, 6) / 6
        else:
            raise ValueError(f"unsupported unary op {op}")
        out = self._tensor(self._name(op), y, quant if self.int8 else None)
        self._op(op, [x.index], [out.index], options)
        return out

    def concat(self, xs: list[_Value], axis: int) -> _Value:
        y = np.concatenate([x.values for x in xs], axis=axis)
        out = self._tensor(self._name("concat"), y)
        self._op("CONCATENATION", [x.index for x in xs], [out.index], {"axis": axis})
        return out

    def finish(self, output: _Value | list[_Value]) -> bytes:
        outputs = output if isinstance(output, list) else [output]
        self.w.set_io([i.index for i in self.inputs], [o.index for o in outputs])
        return self.w.to_bytes()


# -- the families ------------------------------------------------------------------

def mobilenet(rng: np.random.Generator, dtype: str = "int8",
              input_shape: tuple[int, int, int, int] = (1, 24, 24, 3),
              widths: tuple[int, ...] = (8, 16, 24), classes: int = 4, version: int = 1) -> bytes:
    """MobileNet-style classifier (v1: DW/PW blocks; v2: inverted residuals with ADD)."""
    net = _Net(rng, dtype, input_shape, f"mobilenet_v{version} family")
    x = net.conv(net.input, widths[0], (3, 3), stride=2, activation="RELU6")
    for n, width in enumerate(widths[1:]):
        stride = 2 if n % 2 == 0 else 1
        if version == 1:
            x = net.depthwise(x, stride=stride, activation="RELU6")
            x = net.conv(x, width, (1, 1), activation="RELU6")
        else:
            cin = x.values.shape[-1]
            h = net.conv(x, cin * 3, (1, 1), activation="RELU6")
            h = net.depthwise(h, stride=1, activation="RELU6")
            h = net.conv(h, cin, (1, 1), activation="NONE")
            x = net.add(x, h)
            x = net.depthwise(x, stride=stride, activation="RELU6")
            x = net.conv(x, width, (1, 1), activation="RELU6")
    h, w = x.values.shape[1:3]
    x = net.pool(x, "AVERAGE_POOL_2D", (h, w), 1)
    x = net.reshape(x, (1, x.values.shape[-1]))
    x = net.fully_connected(x, classes)
    return net.finish(net.softmax(x))


def resnet(rng: np.random.Generator, dtype: str = "int8",
           input_shape: tuple[int, int, int, int] = (1, 16, 16, 3),
           widths: tuple[int, ...] = (8, 16), classes: int = 10) -> bytes:
    """CIFAR-style ResNet: residual stages with ADD, MEAN over H and W, FC, softmax."""
    net = _Net(rng, dtype, input_shape, "resnet family")
    x = net.conv(net.input, widths[0], (3, 3))
    for n, width in enumerate(widths):
        stride = 1 if n == 0 else 2
        h = net.conv(x, width, (3, 3), stride=stride)
        h = net.conv(h, width, (3, 3), activation="NONE")
        shortcut = x if stride == 1 and width == x.values.shape[-1] else \
            net.conv(x, width, (1, 1), stride=stride, activation="NONE")
        x = net.add(shortcut, h, activation="RELU")
    x = net.mean(x, (1, 2))
    x = net.fully_connected(x, classes)
    return net.finish(net.softmax(x))


def ds_cnn(rng: np.random.Generator, dtype: str = "int8",
           input_shape: tuple[int, int, int, int] = (1, 25, 10, 1), width: int = 16,
           blocks: int = 2, classes: int = 12) -> bytes:
    """DS-CNN keyword spotter over an MFCC map (time x coefficients)."""
    net = _Net(rng, dtype, input_shape, "ds_cnn family")
    x = net.conv(net.input, width, (10, 4), stride=2)
    for _ in range(blocks):
        x = net.depthwise(x)
        x = net.conv(x, width, (1, 1))
    h, w = x.values.shape[1:3]
    x = net.pool(x, "AVERAGE_POOL_2D", (h, w), 1)
    x = net.reshape(x, (1, width))
    x = net.fully_connected(x, classes)
    return net.finish(net.softmax(x))


def autoencoder(rng: np.random.Generator, dtype: str = "int8", features: int = 64,
                hidden: tuple[int, ...] = (32, 16, 8)) -> bytes:
    """Dense autoencoder (anomaly detection): encoder and mirrored decoder."""
    net = _Net(rng, dtype, (1, features), "autoencoder family")
    x = net.input
    for units in (*hidden, *reversed(hidden[:-1])):
        x = net.fully_connected(x, units, activation="RELU")
    return net.finish(net.fully_connected(x, features))


def svdf_kws(rng: np.random.Generator, dtype: str = "int8", features: int = 40,
             layers: tuple[tuple[int, int], ...] = ((16, 8), (16, 4)), rank: int = 1,
             classes: int = 4) -> bytes:
    """SVDF keyword model: one feature frame per invoke, state carried between invokes."""
    net = _Net(rng, dtype, (1, features), "svdf keyword family")
    x = net.input
    for units, memory in layers:
        x = net.svdf(x, units, memory, rank=rank)
    x = net.fully_connected(x, classes)
    return net.finish(net.softmax(x))


def random_graph(rng: np.random.Generator, dtype: str = "int8", nodes: int = 12,
                 shape: tuple[int, int, int, int] = (1, 6, 6, 4), inputs: int = 2,
                 outputs: int = 2) -> bytes:
    """A random DAG of `nodes` ops over tensors of one NHWC shape: convolutions, pools,
    elementwise and activation ops, with operands drawn from any earlier tensor (long
    lifetimes, fan-out), several graph inputs and outputs. For interpreter and memory
    planner conformance."""
    net = _Net(rng, dtype, shape, "random graph")
    pool = [net.input] + [net.new_input(shape) for _ in range(inputs - 1)]
    used: set[int] = set()

    def pick(other: _Value | None = None) -> _Value:
        while True:
            back = min(int(rng.geometric(0.35)) - 1, len(pool) - 1)
            value = pool[len(pool) - 1 - back]
            if value is not other or len(pool) == 1:
                break
        used.add(value.index)
        return value

    def pick_two() -> tuple[_Value, _Value]:
        a = pick()
        return a, pick(a)

    channels = shape[-1]
    kinds = ["conv", "depthwise", "binary", "binary", "unary", "pool"]
    if not net.int8:
        kinds += ["minmax", "concat"]
    for _ in range(nodes):
        kind = kinds[int(rng.integers(len(kinds)))]
        act = ("NONE", "RELU", "RELU6")[int(rng.integers(3))]
        if kind == "conv":
            k = (1, 1) if rng.random() < 0.5 else (3, 3)
            out = net.conv(pick(), channels, k, activation=act)
        elif kind == "depthwise":
            out = net.depthwise(pick(), activation=act)
        elif kind == "binary":
            op = ("ADD", "SUB", "MUL")[int(rng.integers(3))]
            out = net.binary(op, *pick_two(), activation=act)
        elif kind == "minmax":
            out = net.binary(("MAXIMUM", "MINIMUM")[int(rng.integers(2))], *pick_two())
        elif kind == "unary":
            ops = ("RELU", "RELU6", "TANH", "LOGISTIC", "LEAKY_RELU", "HARD_SWISH")
            out = net.unary(ops[int(rng.integers(len(ops)))], pick())
        elif kind == "pool":
            op = ("AVERAGE_POOL_2D", "MAX_POOL_2D")[int(rng.integers(2))]
            out = net.pool(pick(), op, (3, 3), 1, padding="SAME")
        else:
            out = net.conv(net.concat(list(pick_two()), axis=3), channels, (1, 1),
                           activation=act)
        pool.append(out)
    graph_inputs = {v.index for v in pool[:inputs]}
    unused = [v for v in pool[inputs:-1] if v.index not in used]
    extra = [unused[i] for i in rng.permutation(len(unused))[:max(outputs - 1, 0)]]
    return net.finish([pool[-1], *extra] if pool[-1].index not in graph_inputs else extra)


@dataclass(frozen=True)
class Family:
    name: str
    build: Callable[..., bytes]
    stateful: bool = False  # state carries across invokes (feed a sequence of frames)


FAMILIES: dict[str, Family] = {
    "mobilenet_v1": Family("mobilenet_v1", lambda rng, dtype: mobilenet(rng, dtype, version=1)),
    "mobilenet_v2": Family("mobilenet_v2", lambda rng, dtype: mobilenet(rng, dtype, version=2)),
    "resnet": Family("resnet", resnet),
    "ds_cnn": Family("ds_cnn", ds_cnn),
    "autoencoder": Family("autoencoder", autoencoder),
    "svdf_kws": Family("svdf_kws", svdf_kws, stateful=True),
}
