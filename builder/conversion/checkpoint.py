"""Reading a Hugging Face checkpoint's safetensors without loading it.

Each file's header is read and checked by ``modelfile.safetensors_header`` (the reader
lint uses): the length fits the file, the JSON parses, each dtype is one safetensors
defines, each range holds exactly the bytes its shape needs, lies inside the file and
overlaps no other.  So a truncated download or a lying header is an error naming the
file, not a crash or garbage later.  Tensors are then read with ``readinto`` into a
fresh array, a range of rows at a time.  Sharded checkpoints
(``model.safetensors.index.json``) are one checkpoint.

Every tensor is listed, whatever its dtype; which ones a GGUF needs, and whether their
dtype can be converted (:data:`FLOATS`), is the architecture's decision.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from builder.errors import ConvertError
from modelfile import safetensors_header
from modelfile.paths import os_reason
from modelfile.safetensors_header import DTYPE_BITS, FLOAT_WEIGHTS, SafetensorsError, TensorRef

__all__ = ["FLOATS", "Checkpoint", "TensorRef", "open_checkpoint", "read_header"]

#: The dtypes mfc converts (weights in any other dtype are refused, by name).
FLOATS = tuple(FLOAT_WEIGHTS)


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
        if tensor.dtype not in FLOAT_WEIGHTS:
            raise ConvertError(
                f"{tensor.path}: tensor {tensor.name} is {tensor.dtype}; mfc converts F32, F16 and BF16 weights"
            )
        row = tensor.elements // tensor.rows if tensor.shape else 1
        size = DTYPE_BITS[tensor.dtype] // 8
        stored = FLOAT_WEIGHTS[tensor.dtype]
        data = np.empty((last - first) * row, dtype=stored)
        handle = self._file(tensor.path)
        handle.seek(tensor.start + first * row * size)
        if handle.readinto(data.data.cast("B")) != data.nbytes:
            raise ConvertError(f"{tensor.path}: ended inside tensor {tensor.name} (was it truncated meanwhile?)")
        return data.reshape((last - first, *tensor.shape[1:]) if tensor.shape else ())

    def raw(self, tensor: TensorRef, first: int, last: int) -> np.ndarray:
        """Rows ``first:last`` of a tensor of any dtype as their bytes (uint8, one row of
        bytes per row), read into a new array: for packed data such as MXFP4 blocks."""
        row = (tensor.end - tensor.start) // max(tensor.rows, 1)
        data = np.empty((last - first, row), dtype=np.uint8)
        handle = self._file(tensor.path)
        handle.seek(tensor.start + first * row)
        if handle.readinto(data.data.cast("B")) != data.nbytes:
            raise ConvertError(f"{tensor.path}: ended inside tensor {tensor.name} (was it truncated meanwhile?)")
        return data

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
    """The tensors a safetensors file declares, every claim checked against the file
    (by the one reader lint uses too), as :class:`ConvertError` when it fails."""
    try:
        return safetensors_header.read_header(path)
    except SafetensorsError as error:
        raise ConvertError(str(error)) from None
    except OSError as error:
        raise ConvertError(f"{path}: {os_reason(error)}") from None
