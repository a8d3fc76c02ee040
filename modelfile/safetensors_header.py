"""The safetensors format: its dtypes, and its header read with every claim checked.

A safetensors file is ``u64 header length | JSON header | tensor data``; the header
maps each tensor name to its dtype, shape and byte range in the data (plus an optional
``__metadata__`` object of strings).  :func:`read_header` checks every claim before
anyone reads a tensor: the length fits the file and safetensors' own limit, the JSON
parses, each dtype is one safetensors defines, each range holds exactly the bytes its
shape and dtype need, lies inside the file and overlaps no other.  So a truncated
download, a Git LFS pointer or a lying header is a one-line :class:`SafetensorsError`
naming the file and the tensor, for lint (``modelfile.weights``) and the converter
(``builder.conversion.checkpoint``) alike.

Which tensors matter is not decided here: every dtype safetensors defines is read,
integer buffers (``position_ids`` as I64, quantization state as U8/U32) included.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from modelfile.errors import MfcError
from modelfile.paths import open_regular

#: Every dtype safetensors defines (its Rust ``Dtype``), with its bits per element.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "F4": 4,  # float4 e2m1, two to a byte
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8,
    "F8_E5M2FNUZ": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,  # complex: two float32
    "F64": 64,
    "I64": 64,
    "U64": 64,
}
#: The float dtypes model weights come in, with numpy's spelling of their bytes
#: (bfloat16 has no numpy type: its bytes are read as uint16).
FLOAT_WEIGHTS: dict[str, str] = {"F32": "<f4", "F16": "<f2", "BF16": "<u2"}
#: safetensors' own limit on the JSON header (``MAX_HEADER_SIZE``).
MAX_HEADER = 100_000_000
_LFS_POINTER = b"version "  # the start of ``version https://git-lfs.github.com/spec/v1``


class SafetensorsError(MfcError, ValueError):
    """A safetensors file whose header is damaged or lies; ``reason`` is the message
    without the file's path (for callers that name the file their own way)."""

    code = "invalid-safetensors"

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path, self.reason = Path(path), reason


@dataclass(frozen=True)
class TensorRef:
    """One tensor of a safetensors file: what it holds and where its bytes are."""

    name: str
    dtype: str  # a key of DTYPE_BITS
    shape: tuple[int, ...]
    path: Path
    start: int  # absolute offset in the file
    end: int

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def rows(self) -> int:
        """The length of the first dimension (1 for a scalar)."""
        return self.shape[0] if self.shape else 1


def read_header(path: Path) -> list[TensorRef]:
    """The tensors ``path`` declares, in the order of their bytes, every claim checked.

    Raises :class:`SafetensorsError` for a file that is not valid safetensors and
    ``OSError`` when it cannot be read (a folder, FIFO or device is never opened)."""
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(8)
        if head == _LFS_POINTER:
            raise SafetensorsError(path, "a Git LFS pointer, not the weights (run `git lfs pull`)")
        if len(head) < 8:
            raise SafetensorsError(path, f"{size} bytes is too short for a safetensors file")
        (length,) = struct.unpack("<Q", head)
        if length > size - 8:
            raise SafetensorsError(
                path, f"header claims {length} bytes but the file has {size} (truncated or not safetensors)"
            )
        if length > MAX_HEADER:
            raise SafetensorsError(path, f"header claims {length} bytes, more than safetensors allows ({MAX_HEADER})")
        raw = handle.read(length)
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise SafetensorsError(path, f"header is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(path, "header is not a JSON object")
    data_start, data_size = 8 + length, size - 8 - length
    tensors = [
        _entry(path, name, entry, data_start, data_size) for name, entry in header.items() if name != "__metadata__"
    ]
    tensors.sort(key=lambda t: t.start)
    for before, after in itertools.pairwise(tensors):
        if after.start < before.end:
            raise SafetensorsError(path, f"tensors {before.name} and {after.name} claim overlapping bytes")
    return tensors


def _entry(path: Path, name: str, entry: object, data_start: int, data_size: int) -> TensorRef:
    def fail(what: str) -> SafetensorsError:
        return SafetensorsError(path, f"tensor {name}: {what}")

    if not isinstance(entry, dict):
        raise fail("header entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise fail(f"unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise fail(f"shape {shape!r} is not a list of sizes")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
    ):
        raise fail(f"data_offsets {offsets!r} is not [begin, end]")
    begin, end = offsets
    if not 0 <= begin <= end:
        raise fail(f"data_offsets {offsets} are not in order")
    if end > data_size:
        raise fail(
            f"its bytes end at {end}, past the {data_size} bytes of data in the file (truncated or lying header)"
        )
    bits = math.prod(shape) * DTYPE_BITS[dtype]
    if bits % 8 or end - begin != bits // 8:
        needs = f"{bits // 8}" if bits % 8 == 0 else f"{bits / 8} (not a whole number)"
        raise fail(f"{end - begin} bytes for {dtype} {shape} (which needs {needs})")
    return TensorRef(name, dtype, tuple(shape), path, data_start + begin, data_start + end)
