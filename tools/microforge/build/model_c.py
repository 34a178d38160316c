"""Models are sources: a `.tflite` becomes a 16-byte aligned C array, validated first."""

from __future__ import annotations

import struct
from pathlib import Path

MAX_MODEL_BYTES = 64 * 1024 * 1024


class ModelBuildError(Exception):
    pass


def minimal_check(data: bytes) -> None:
    """Used when microforge.model.reader is not available: identifier and root offset."""
    if len(data) < 16:
        raise ModelBuildError(f"{len(data)} bytes is too short for a .tflite flatbuffer")
    if data[4:8] != b"TFL3":
        raise ModelBuildError(f"file identifier is {data[4:8]!r}, not b'TFL3'")
    (root,) = struct.unpack_from("<I", data, 0)
    if root + 4 > len(data):
        raise ModelBuildError(f"root table offset {root} is outside the {len(data)}-byte file")


def validate(path: Path, data: bytes) -> str:
    """Validates a model; returns which validator ran. Raises ModelBuildError with the reason."""
    if len(data) > MAX_MODEL_BYTES:
        raise ModelBuildError(f"{len(data)} bytes is above the {MAX_MODEL_BYTES}-byte limit")
    try:
        from microforge.model import reader  # the full validator, when present
        full = reader.validate
        model_error = reader.ModelError
    except (ImportError, AttributeError):
        minimal_check(data)
        return "minimal"
    minimal_check(data)
    try:
        full(path)
    except model_error as exc:
        raise ModelBuildError(str(exc)) from exc
    return "full"


def c_array(data: bytes, symbol: str, source_label: str) -> tuple[str, str]:
    """The .c and .h texts for `data` as `symbol[]` and `symbol_len`."""
    rows = []
    for start in range(0, len(data), 16):
        chunk = data[start:start + 16]
        rows.append("  " + ", ".join(f"0x{b:02x}" for b in chunk) + ",")
    body = "\n".join(rows)
    header_guard = f"MF_GENERATED_{symbol.upper()}_H"
    c_text = (
        f"/* Generated from {source_label}; do not edit. */\n"
        f"#include \"{symbol}.h\"\n\n"
        f"_Alignas(16) const uint8_t {symbol}[{max(len(data), 1)}] = {{\n{body}\n}};\n"
        f"const uint32_t {symbol}_len = {len(data)}u;\n"
    )
    h_text = (
        f"/* Generated from {source_label}; do not edit. */\n"
        f"#ifndef {header_guard}\n#define {header_guard}\n\n#include <stdint.h>\n\n"
        f"/* The model, 16-byte aligned, and its length in bytes. */\n"
        f"extern const uint8_t {symbol}[];\n"
        f"extern const uint32_t {symbol}_len;\n\n#endif\n"
    )
    return c_text, h_text


def build_model_source(model: Path, c_path: Path, h_path: Path, symbol: str,
                       label: str) -> None:
    try:
        data = model.read_bytes()
    except OSError as exc:
        raise ModelBuildError(f"cannot read: {exc.strerror}") from exc
    validate(model, data)
    c_text, h_text = c_array(data, symbol, label)
    c_path.parent.mkdir(parents=True, exist_ok=True)
    c_path.write_text(c_text)
    h_path.write_text(h_text)
