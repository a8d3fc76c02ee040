"""Reading a Hugging Face checkpoint's safetensors without loading it.

A safetensors file is ``u64 header length | JSON header | tensor data``; the header
maps each tensor name to its dtype, shape and byte range in the data.  Every claim is
checked before any tensor is read (the length fits the file, the JSON parses, each
range holds exactly ``prod(shape) * itemsize`` bytes, lies inside the file and
overlaps no other), so a truncated download or a lying header is an error naming the
file, not a crash or garbage later.  Tensors are then read through memory maps, a
range of rows at a time.  Sharded checkpoints (``model.safetensors.index.json``) are
one checkpoint.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.errors import ConvertError

ITEMSIZE = {
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "F64": 8,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
}
FLOATS = ("F32", "F16", "BF16")
MAX_HEADER = 100 * 1024 * 1024


@dataclass(frozen=True)
class TensorRef:
    """One tensor of a checkpoint: where its bytes are and what they hold."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    path: Path
    start: int  # absolute offset in the file
    end: int

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def rows(self) -> int:
        return self.shape[0] if self.shape else 1


@dataclass
class Checkpoint:
    """The tensors of a folder's safetensors files, by name (sorted)."""

    folder: Path
    tensors: dict[str, TensorRef] = field(default_factory=dict)
    _files: dict[Path, io.FileIO] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[TensorRef]:
        return iter(self.tensors.values())

    def view(self, tensor: TensorRef, first: int, last: int) -> np.ndarray:
        """Rows ``first:last`` as stored (bfloat16 as uint16), read into a new array.

        Reading (rather than memory-mapping) keeps resident memory at one slab and is
        about twice as fast as faulting the pages in one by one."""
        if tensor.dtype not in FLOATS:
            raise ConvertError(
                f"{tensor.path}: tensor {tensor.name} is {tensor.dtype}; mfc converts F32, F16 and BF16 weights"
            )
        row = tensor.elements // tensor.rows if tensor.shape else 1
        size = ITEMSIZE[tensor.dtype]
        stored = {"F32": "<f4", "F16": "<f2", "BF16": "<u2"}[tensor.dtype]
        data = np.empty((last - first) * row, dtype=stored)
        handle = self._file(tensor.path)
        handle.seek(tensor.start + first * row * size)
        if handle.readinto(data.data.cast("B")) != data.nbytes:
            raise ConvertError(f"{tensor.path}: ended inside tensor {tensor.name} (was it truncated meanwhile?)")
        return data.reshape((last - first, *tensor.shape[1:]) if tensor.shape else ())

    def rows(self, tensor: TensorRef, first: int, last: int) -> np.ndarray:
        """Rows ``first:last`` of ``tensor`` as float32."""
        data = self.view(tensor, first, last)
        if tensor.dtype == "F32":
            return data
        if tensor.dtype == "F16":
            return data.astype(np.float32)
        return (data.astype(np.uint32) << 16).view(np.float32)  # bfloat16: the high half of a float32

    def _file(self, path: Path) -> io.FileIO:
        if path not in self._files:
            self._files[path] = io.FileIO(path, "r")
        return self._files[path]

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()


def open_checkpoint(folder: Path, *, adapter: bool = False) -> Checkpoint:
    """Every tensor of the folder's checkpoint, headers checked."""
    checkpoint = Checkpoint(folder)
    for path in _files(folder, adapter):
        for tensor in read_header(path):
            if tensor.name in checkpoint.tensors:
                raise ConvertError(
                    f"{path}: tensor {tensor.name} is also in {checkpoint.tensors[tensor.name].path.name}"
                )
            checkpoint.tensors[tensor.name] = tensor
    _check_index(folder, checkpoint)
    checkpoint.tensors = dict(sorted(checkpoint.tensors.items()))
    return checkpoint


def _files(folder: Path, adapter: bool) -> list[Path]:
    index = folder / "model.safetensors.index.json"
    if index.is_file() and not adapter:
        weight_map = _index(index)
        return sorted({folder / shard for shard in weight_map.values()})
    if adapter:
        found = [folder / "adapter_model.safetensors"]
    else:
        found = sorted(folder.glob("model*.safetensors")) or sorted(folder.glob("*.safetensors"))
    found = [path for path in found if path.is_file()]
    if not found:
        kind = "adapter_model.safetensors" if adapter else "*.safetensors"
        raise ConvertError(f"{folder}: no {kind} file (mfc converts safetensors checkpoints)")
    return found


def _index(path: Path) -> dict[str, str]:
    try:
        weight_map = json.loads(path.read_text(encoding="utf-8"))["weight_map"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConvertError(f"{path}: not a safetensors index ({error})") from None
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise ConvertError(f"{path}: weight_map is not a map of tensor names to files")
    for shard in set(weight_map.values()):
        if "/" in shard or "\\" in shard or shard.startswith("."):
            raise ConvertError(f"{path}: shard name {shard!r} is not a plain file name")
        if not (path.parent / shard).is_file():
            raise ConvertError(f"{path}: shard {shard} is missing")
    return weight_map


def _check_index(folder: Path, checkpoint: Checkpoint) -> None:
    index = folder / "model.safetensors.index.json"
    if not index.is_file():
        return
    for name, shard in _index(index).items():
        tensor = checkpoint.tensors.get(name)
        if tensor is None or tensor.path.name != shard:
            raise ConvertError(f"{index}: lists {name} in {shard}, which does not hold it")


def read_header(path: Path) -> list[TensorRef]:
    """The tensors a safetensors file declares, every claim checked against the file."""
    try:
        size = os.path.getsize(path)
        with path.open("rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                raise ConvertError(f"{path}: {size} bytes is too short for a safetensors file")
            (length,) = struct.unpack("<Q", head)
            if length > size - 8 or length > MAX_HEADER:
                raise ConvertError(
                    f"{path}: header claims {length} bytes but the file has {size} (truncated or not safetensors)"
                )
            raw = handle.read(length)
    except OSError as error:
        raise ConvertError(f"{path}: {error.strerror}") from None
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ConvertError(f"{path}: header is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise ConvertError(f"{path}: header is not a JSON object")
    data_start, data_size = 8 + length, size - 8 - length
    tensors = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        tensors.append(_entry(path, name, entry, data_start, data_size))
    tensors.sort(key=lambda t: t.start)
    for before, after in itertools.pairwise(tensors):
        if after.start < before.end:
            raise ConvertError(f"{path}: tensors {before.name} and {after.name} claim overlapping bytes")
    return tensors


def _entry(path: Path, name: str, entry: object, data_start: int, data_size: int) -> TensorRef:
    where = f"{path}: tensor {name}"
    if not isinstance(entry, dict):
        raise ConvertError(f"{where}: header entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in ITEMSIZE:
        raise ConvertError(f"{where}: unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ConvertError(f"{where}: shape {shape!r} is not a list of sizes")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
    ):
        raise ConvertError(f"{where}: data_offsets {offsets!r} is not [begin, end]")
    begin, end = offsets
    elements = math.prod(shape)
    if not 0 <= begin <= end:
        raise ConvertError(f"{where}: data_offsets {offsets} are not in order")
    if end > data_size:
        raise ConvertError(
            f"{where}: its bytes end at {end}, past the {data_size} bytes of data in the file "
            "(truncated or lying header)"
        )
    if end - begin != elements * ITEMSIZE[dtype]:
        raise ConvertError(
            f"{where}: {end - begin} bytes for {dtype} {shape} (which needs {elements * ITEMSIZE[dtype]})"
        )
    return TensorRef(name, dtype, tuple(shape), path, data_start + begin, data_start + end)
