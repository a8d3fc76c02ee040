"""Importance matrices for llama.cpp's quantizer, read from the files ``llama-imatrix``
writes: the GGUF format (``<tensor>.in_sum2`` and ``<tensor>.counts`` per tensor) and
the older binary ``.dat`` format.  Each becomes, per tensor, the mean squared
activation of every input column (per expert), as ``llama-quantize`` passes them.
"""

from __future__ import annotations

import ctypes
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from builder.errors import QuantizeError

Imatrix = dict[str, np.ndarray]


def load(path: Path) -> Imatrix:
    """The importance matrix in ``path``, checked; read once per file version (the checks
    before quantizing and the quantization itself both need it)."""
    try:
        stat = path.stat()
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as error:
        raise QuantizeError(f"cannot read the importance matrix {path}: {error.strerror}") from None
    return _load(path.resolve(), stat.st_size, stat.st_mtime_ns, head)


@lru_cache(maxsize=2)
def _load(path: Path, size: int, mtime_ns: int, head: bytes) -> Imatrix:
    # size and mtime_ns only key the cache: a changed file is read again
    values = _load_gguf(path) if head == b"GGUF" else _load_dat(path)
    if not values:
        raise QuantizeError(f"{path}: the importance matrix holds no tensors")
    for name, data in values.items():
        if not np.all(np.isfinite(data)):
            raise QuantizeError(f"{path}: the importance matrix of {name} holds NaN or infinite values")
    return values


def _load_gguf(path: Path) -> Imatrix:
    import gguf

    try:
        reader = gguf.GGUFReader(path)
    except (ValueError, OSError) as error:
        raise QuantizeError(f"{path}: not a readable imatrix GGUF ({error})") from None
    tensors = {t.name: np.asarray(t.data, dtype=np.float32).reshape(-1) for t in reader.tensors}
    out: Imatrix = {}
    for name, sums in tensors.items():
        if not name.endswith(".in_sum2"):
            continue
        base = name.removesuffix(".in_sum2")
        counts = tensors.get(base + ".counts")
        if counts is None or counts.size == 0 or sums.size % counts.size:
            raise QuantizeError(f"{path}: {base} has no matching .counts entry")
        per_expert = sums.reshape(counts.size, -1)
        means = np.where(counts[:, None] > 0, per_expert / np.maximum(counts[:, None], 1), 1.0)
        out[base] = np.ascontiguousarray(means.reshape(-1), dtype=np.float32)
    return out


def _load_dat(path: Path) -> Imatrix:
    """``int32 n``, then per entry: ``int32 len, name, int32 ncall, int32 nval, float32[nval]``
    (sums over ``ncall`` calls)."""
    data = path.read_bytes()
    out: Imatrix = {}
    try:
        (entries,), at = struct.unpack_from("<i", data, 0), 4
        for _ in range(entries):
            (length,) = struct.unpack_from("<i", data, at)
            name = data[at + 4 : at + 4 + length].decode("utf-8")
            at += 4 + length
            calls, count = struct.unpack_from("<ii", data, at)
            at += 8
            values = np.frombuffer(data, dtype="<f4", count=count, offset=at).astype(np.float32)
            at += 4 * count
            out[name] = values / calls if calls > 0 else values
    except (struct.error, ValueError, UnicodeDecodeError):
        raise QuantizeError(f"{path}: not an importance matrix (neither GGUF nor llama-imatrix .dat)") from None
    return out


def as_ctypes(values: Imatrix) -> tuple[Any, list[Any]]:
    """The NULL-terminated ``llama_model_imatrix_data`` array, and what must stay alive
    while llama.cpp reads it."""
    import llama_cpp

    keep: list[Any] = []
    array = (llama_cpp.llama_model_imatrix_data * (len(values) + 1))()
    for index, (name, data) in enumerate(sorted(values.items())):
        encoded = name.encode("utf-8")
        contiguous = np.ascontiguousarray(data, dtype=np.float32)
        keep += [encoded, contiguous]
        array[index].name = encoded
        array[index].data = contiguous.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        array[index].size = contiguous.size
    keep.append(array)
    return array, keep
