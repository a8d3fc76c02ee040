"""Write small GGUF files for tests: a header, metadata, and no tensors."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def _value(value: Any) -> bytes:
    if isinstance(value, bool):
        return struct.pack("<I?", 7, value)
    if isinstance(value, int):
        return (
            struct.pack("<Iq", 11, value)
            if value < 0
            else struct.pack("<IQ", 10, value)
            if value >= 2**32
            else struct.pack("<II", 4, value)
        )
    if isinstance(value, float):
        return struct.pack("<If", 6, value)
    if isinstance(value, str):
        return struct.pack("<I", 8) + _string(value)
    if isinstance(value, list):
        kind = 8 if all(isinstance(v, str) for v in value) else 5
        body = b"".join(_string(v) if kind == 8 else struct.pack("<i", v) for v in value)
        return struct.pack("<IIQ", 9, kind, len(value)) + body
    raise TypeError(value)


def write_gguf(path: Path, metadata: dict[str, Any], tensors: dict[str, tuple[int, ...]] | None = None) -> Path:
    """A GGUF v3 file; ``tensors`` maps names to shapes of F32 tensors (filled with
    their index), laid out with the default 32-byte alignment."""
    tensors = tensors or {}
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, value in metadata.items():
        out += _string(key) + _value(value)
    data = b""
    for index, (name, shape) in enumerate(tensors.items()):
        out += _string(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in shape)
        out += struct.pack("<IQ", 0, len(data))
        count = 1
        for d in shape:
            count *= d
        data += struct.pack(f"<{count}f", *([float(index)] * count))
        data += b"\0" * (-len(data) % 32)
    if tensors:
        out += b"\0" * (-len(out) % 32) + data
    path.write_bytes(out)
    return path
