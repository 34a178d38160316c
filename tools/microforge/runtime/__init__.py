"""The host runtime library, driven from Python (tests, tools, the oracle comparison)."""

from microforge.runtime.host import (
    ArenaTooSmallError,
    HostRuntime,
    Interpreter,
    KernelError,
    MicroforgeError,
    ModelInvalidError,
    OpUnsupportedError,
    TensorDetails,
)

__all__ = [
    "ArenaTooSmallError",
    "HostRuntime",
    "Interpreter",
    "KernelError",
    "MicroforgeError",
    "ModelInvalidError",
    "OpUnsupportedError",
    "TensorDetails",
]
