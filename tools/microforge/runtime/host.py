"""ctypes binding of the host runtime library (``micro/runner/host_api.c``).

    rt = HostRuntime()                      # builds or finds libmicroforge.so
    it = rt.interpreter(model_bytes)        # arena sized automatically
    out = it.run([x])                       # numpy in, numpy out
    it.arena_used, it.profile()

Failures raise ``MicroforgeError`` (or a subclass per status) carrying the
runtime's own error text.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microforge.model import schema

MAX_DIMS = 8
DEFAULT_ARENA_GUESS = 64 * 1024
MAX_ARENA = 1 << 30


class MicroforgeError(RuntimeError):
    """A runtime call failed; `status` is the mf_status name, the message its reason."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.reason = message


class ModelInvalidError(MicroforgeError):
    pass


class OpUnsupportedError(MicroforgeError):
    pass


class KernelError(MicroforgeError):
    pass


class ArenaTooSmallError(MicroforgeError):
    def __init__(self, status: str, message: str, needed: int) -> None:
        super().__init__(status, message)
        self.needed = needed


_ERRORS: dict[str, type[MicroforgeError]] = {
    "MF_ERR_MODEL_INVALID": ModelInvalidError,
    "MF_ERR_OP_UNSUPPORTED": OpUnsupportedError,
    "MF_ERR_KERNEL": KernelError,
}


class _HostTensor(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("dtype", ctypes.c_int32),
        ("ndims", ctypes.c_uint32),
        ("dims", ctypes.c_int32 * MAX_DIMS),
        ("bytes", ctypes.c_uint64),
        ("scale", ctypes.c_float),
        ("zero_point", ctypes.c_int32),
        ("channels", ctypes.c_uint32),
    ]


@dataclass(frozen=True)
class TensorDetails:
    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    nbytes: int
    scale: float
    zero_point: int
    quantized: bool


def _declare(lib: ctypes.CDLL) -> None:
    vp, sz, u32, i32 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32, ctypes.c_int
    sigs: dict[str, tuple[object, list[object]]] = {
        "mf_host_state_size": (sz, [sz, sz, u32]),
        "mf_host_open": (i32, [vp, sz, vp, sz, sz, u32]),
        "mf_host_error": (ctypes.c_char_p, [vp]),
        "mf_host_status_name": (ctypes.c_char_p, [i32]),
        "mf_host_input_count": (u32, [vp]),
        "mf_host_output_count": (u32, [vp]),
        "mf_host_tensor_info": (i32, [vp, i32, u32, ctypes.POINTER(_HostTensor)]),
        "mf_host_set_input": (i32, [vp, u32, vp, sz]),
        "mf_host_invoke": (i32, [vp]),
        "mf_host_get_output": (i32, [vp, u32, vp, sz]),
        "mf_host_reset_state": (i32, [vp]),
        "mf_host_arena_used": (sz, [vp]),
        "mf_host_arena_needed": (sz, [vp]),
        "mf_host_profile_count": (u32, [vp]),
        "mf_host_profile_entry": (i32, [vp, u32, ctypes.POINTER(ctypes.c_char_p),
                                        ctypes.POINTER(u32)]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


class HostRuntime:
    """The loaded host library. `library` defaults to microforge.runtime.build.host_library()."""

    def __init__(self, library: str | Path | None = None) -> None:
        if library is None:
            from microforge.runtime.build import host_library
            library = host_library()
        self.path = Path(library)
        try:
            self.lib = ctypes.CDLL(str(self.path))
        except OSError as exc:
            raise MicroforgeError("LOAD", f"cannot load {self.path}: {exc}") from exc
        _declare(self.lib)

    def status_name(self, status: int) -> str:
        return self.lib.mf_host_status_name(status).decode()

    def interpreter(self, model: bytes, arena_size: int | None = None,
                    profile_capacity: int = 0) -> Interpreter:
        """Opens a model. Without `arena_size`, the arena is the exact size the runtime needs."""
        if arena_size is not None:
            return Interpreter(self, model, arena_size, profile_capacity)
        size = max(DEFAULT_ARENA_GUESS, 4 * len(model))
        for _ in range(8):
            try:
                return Interpreter(self, model, size, profile_capacity)
            except ArenaTooSmallError as exc:
                if exc.needed <= size or exc.needed > MAX_ARENA:
                    raise
                size = exc.needed
        raise MicroforgeError("MF_ERR_ARENA_TOO_SMALL", "arena size did not settle")


class Interpreter:
    """One model on one arena. Not thread-safe; independent interpreters are."""

    def __init__(self, runtime: HostRuntime, model: bytes, arena_size: int,
                 profile_capacity: int = 0) -> None:
        if not 0 <= arena_size <= MAX_ARENA:
            raise ValueError(f"arena_size must be in 0..{MAX_ARENA}, got {arena_size}")
        if not 0 <= profile_capacity < 2**32:
            raise ValueError(f"profile_capacity {profile_capacity} out of range")
        self.runtime = runtime
        self._lib = runtime.lib
        model = bytes(model)
        size = self._lib.mf_host_state_size(len(model), arena_size, profile_capacity)
        if size == 0:
            raise ValueError("model or arena too large")
        self._block = ctypes.create_string_buffer(size + 16)
        self._state = ctypes.c_void_p((ctypes.addressof(self._block) + 15) & ~15)
        status = self._lib.mf_host_open(self._state, size, model, len(model), arena_size,
                                        profile_capacity)
        self.arena_size = arena_size
        self._check(status)
        self.inputs = [self._details(0, i)
                       for i in range(self._lib.mf_host_input_count(self._state))]
        self.outputs = [self._details(1, i)
                        for i in range(self._lib.mf_host_output_count(self._state))]

    def _error(self, status: int) -> MicroforgeError:
        name = self.runtime.status_name(status)
        text = (self._lib.mf_host_error(self._state) or b"").decode(errors="replace")
        if name == "MF_ERR_ARENA_TOO_SMALL":
            return ArenaTooSmallError(name, text, int(self._lib.mf_host_arena_needed(self._state)))
        return _ERRORS.get(name, MicroforgeError)(name, text)

    def _check(self, status: int) -> None:
        if status != 0:
            raise self._error(status)

    def _details(self, kind: int, i: int) -> TensorDetails:
        t = _HostTensor()
        self._check(self._lib.mf_host_tensor_info(self._state, kind, i, ctypes.byref(t)))
        return TensorDetails(
            name=(t.name or b"").decode(errors="replace"),
            dtype=schema.numpy_dtype(t.dtype),
            shape=tuple(t.dims[d] for d in range(t.ndims)),
            nbytes=int(t.bytes),
            scale=float(t.scale),
            zero_point=int(t.zero_point),
            quantized=t.channels > 0,
        )

    def set_input(self, i: int, value: np.ndarray) -> None:
        if not 0 <= i < len(self.inputs):
            raise IndexError(f"input {i} of {len(self.inputs)}")
        d = self.inputs[i]
        arr = np.asarray(value)
        if arr.dtype != d.dtype:
            raise TypeError(f"input {i} ({d.name}) is {d.dtype}, got {arr.dtype}")
        if arr.size * arr.itemsize != d.nbytes:
            raise ValueError(f"input {i} ({d.name}) has shape {d.shape}, got {arr.shape}")
        data = np.ascontiguousarray(arr).tobytes()
        self._check(self._lib.mf_host_set_input(self._state, i, data, len(data)))

    def invoke(self) -> None:
        self._check(self._lib.mf_host_invoke(self._state))

    def get_output(self, i: int) -> np.ndarray:
        if not 0 <= i < len(self.outputs):
            raise IndexError(f"output {i} of {len(self.outputs)}")
        d = self.outputs[i]
        out = np.empty(d.shape, dtype=d.dtype)
        self._check(self._lib.mf_host_get_output(self._state, i,
                                                 out.ctypes.data_as(ctypes.c_void_p), d.nbytes))
        return out

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Sets every input, invokes once, returns every output."""
        if len(inputs) != len(self.inputs):
            raise ValueError(f"the model has {len(self.inputs)} inputs, got {len(inputs)}")
        for i, value in enumerate(inputs):
            self.set_input(i, value)
        self.invoke()
        return [self.get_output(i) for i in range(len(self.outputs))]

    def reset_state(self) -> None:
        self._check(self._lib.mf_host_reset_state(self._state))

    @property
    def arena_used(self) -> int:
        return int(self._lib.mf_host_arena_used(self._state))

    def profile(self) -> list[tuple[str, int]]:
        """(op name, ticks) per node of the last invoke (needs profile_capacity)."""
        out = []
        op, ticks = ctypes.c_char_p(), ctypes.c_uint32()
        for i in range(self._lib.mf_host_profile_count(self._state)):
            self._check(self._lib.mf_host_profile_entry(self._state, i, ctypes.byref(op),
                                                        ctypes.byref(ticks)))
            out.append(((op.value or b"?").decode(), int(ticks.value)))
        return out
