"""Read a GGUF file's header and metadata without reading its tensors.

gguf-py's ``GGUFReader`` builds a NumPy view for every element of every array
(tokenizer vocabularies run to 150k strings): over 2 s for a 98 MB model, which is
too slow to run on every lint.  This reader walks the key/value section once,
keeps scalars and strings, and keeps arrays only when asked for (by key), skipping
the rest by their lengths.  It reads through a memory map, so only the header
pages are touched.

Layout (little-endian unless the version field says otherwise):
magic ``GGUF`` | version u32 | tensor count u64 | kv count u64 | kv pairs …
(version 1 used u32 for counts and string lengths).

The format's facts are the tables at the top, the only copies in mfc: the metadata
value types (:data:`VALUE_TYPES`) and llama.cpp's file types, the numbers
``general.file_type`` holds (:data:`FILE_TYPES`).
"""

from __future__ import annotations

import math
import mmap
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from modelfile.errors import MfcError
from modelfile.paths import open_regular

MAGIC = b"GGUF"


@dataclass(frozen=True)
class ValueType:
    """A GGUF metadata value type: its number on disk, its short name (as ``mfc
    inspect`` prints it) and, for a scalar, its ``struct`` code and size in bytes."""

    number: int
    name: str
    code: str = ""  # "" for string and array
    size: int = 0


#: GGUF's metadata value types (gguf-py's ``GGUFValueType``), by number.
VALUE_TYPES: dict[int, ValueType] = {
    t.number: t
    for t in (
        ValueType(0, "u8", "B", 1),
        ValueType(1, "i8", "b", 1),
        ValueType(2, "u16", "H", 2),
        ValueType(3, "i16", "h", 2),
        ValueType(4, "u32", "I", 4),
        ValueType(5, "i32", "i", 4),
        ValueType(6, "f32", "f", 4),
        ValueType(7, "bool", "?", 1),
        ValueType(8, "string"),
        ValueType(9, "array"),
        ValueType(10, "u64", "Q", 8),
        ValueType(11, "i64", "q", 8),
        ValueType(12, "f64", "d", 8),
    )
}
_SCALARS: dict[int, tuple[str, int]] = {t.number: (t.code, t.size) for t in VALUE_TYPES.values() if t.size}
_STRING, _ARRAY = 8, 9

#: llama.cpp's file types (``llama_ftype``, GGUF ``general.file_type``): number -> the
#: name llama-quantize and Ollama's ``FileType.String()`` give it.
FILE_TYPES: dict[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4_MOE",
    39: "NVFP4",
    40: "Q1_0",
}
#: The same table the other way: name -> ``llama_ftype``.
FILE_TYPE_NUMBERS: dict[str, int] = {name: number for number, name in FILE_TYPES.items()}


class GGUFError(MfcError, ValueError):
    """Not a GGUF file, or a damaged one; the message says what and where."""

    code = "invalid-gguf"


@dataclass(frozen=True)
class ArrayInfo:
    """An array value that was skipped: its element type and length."""

    element_type: int
    length: int


@dataclass(frozen=True)
class TensorInfo:
    """One tensor's entry: GGUF dimensions (innermost first), GGML type number, data offset."""

    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int  # from the start of the tensor data section

    @property
    def elements(self) -> int:
        return math.prod(self.shape)


@dataclass
class GGUFMetadata:
    """The header and key/value metadata of a GGUF file (and its tensor table, if read)."""

    path: str
    version: int
    tensor_count: int
    metadata: dict[str, Any] = field(default_factory=dict)
    data_offset: int = 0  # where the tensor-info section starts
    tensors: list[TensorInfo] = field(default_factory=list)
    tensor_data_offset: int = 0  # where tensor data starts (only with tensors read)

    @property
    def parameter_count(self) -> int:
        return sum(t.elements for t in self.tensors)

    @property
    def file_type(self) -> int | None:
        value = self.metadata.get("general.file_type")
        return value if isinstance(value, int) else None

    @property
    def architecture(self) -> str | None:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else None

    def arch_value(self, suffix: str) -> Any:
        """``<architecture>.<suffix>``, e.g. ``arch_value("context_length")``."""
        return self.metadata.get(f"{self.architecture}.{suffix}")

    @property
    def context_length(self) -> int | None:
        value = self.arch_value("context_length")
        return value if isinstance(value, int) else None


def read_metadata(path: str | os.PathLike[str], *, arrays: Iterable[str] = (), tensors: bool = False) -> GGUFMetadata:
    """Parse the header and metadata of ``path``; arrays are kept only for keys in ``arrays``;
    with ``tensors``, the tensor table too (checked against the file's size).  ``OSError``
    when it cannot be read (a folder, FIFO or device is never opened)."""
    wanted = set(arrays)
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < 8:
            raise GGUFError(f"{os.fspath(path)}: not a GGUF file (only {size} bytes)")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            reader = _Reader(os.fspath(path), data, size)
            meta = reader.read(wanted)
            if tensors:
                reader.tensors(meta)
            return meta


def read_metadata_bytes(data: bytes, name: str, *, arrays: Iterable[str] = ()) -> GGUFMetadata:
    """``read_metadata`` for a GGUF file's content already in memory (``name`` for messages)."""
    if len(data) < 8:
        raise GGUFError(f"{name}: not a GGUF file (only {len(data)} bytes)")
    return _Reader(name, data, len(data)).read(set(arrays))


class _Reader:
    def __init__(self, path: str, data: mmap.mmap | bytes, size: int) -> None:
        self.path, self.data, self.size, self.pos = path, data, size, 0
        self.endian = "<"
        self.wide = True  # u64 counts and lengths (version >= 2)

    def fail(self, what: str) -> GGUFError:
        return GGUFError(f"{self.path}: {what} at byte {self.pos}")

    def take(self, code: str, size: int) -> Any:
        if self.pos + size > self.size:
            raise self.fail("file ends inside the metadata (truncated GGUF)")
        (value,) = struct.unpack_from(self.endian + code, self.data, self.pos)
        self.pos += size
        return value

    def count(self) -> int:
        return int(self.take("Q", 8) if self.wide else self.take("I", 4))

    def string(self) -> str:
        length = self.count()
        if self.pos + length > self.size:
            raise self.fail(f"string of {length} bytes runs past the end of the file")
        raw = self.data[self.pos : self.pos + length]
        self.pos += length
        return raw.decode("utf-8", "replace")

    def skip_strings(self, count: int) -> None:
        """Step over ``count`` strings (vocabularies: 100k+ of them) in one tight loop."""
        width = 8 if self.wide else 4
        unpack = struct.Struct(self.endian + ("Q" if self.wide else "I")).unpack_from
        data, pos, last = self.data, self.pos, self.size - width
        for _ in range(count):
            if pos > last:
                self.pos = pos
                raise self.fail(f"array of {count} strings runs past the end of the file")
            pos += width + unpack(data, pos)[0]
        if pos > self.size:
            raise self.fail(f"array of {count} strings runs past the end of the file")
        self.pos = pos

    def read(self, wanted: set[str]) -> GGUFMetadata:
        if self.data[:4] != MAGIC:
            raise GGUFError(f"{self.path}: not a GGUF file (starts with {bytes(self.data[:4])!r})")
        self.pos = 4
        version = self.take("I", 4)
        if version & 0xFFFF == 0:  # written on a big-endian machine
            self.endian, version = ">", int.from_bytes(version.to_bytes(4, "little"), "big")
        if version not in (1, 2, 3):
            raise self.fail(f"unsupported GGUF version {version}")
        self.wide = version >= 2
        tensors = self.count()
        pairs = self.count()
        if pairs > self.size:
            raise self.fail(f"metadata claims {pairs} entries")
        meta = GGUFMetadata(self.path, version, tensors)
        for _ in range(pairs):
            key = self.string()
            kind = self.take("I", 4)
            meta.metadata[key] = self.value(kind, key in wanted)
        meta.data_offset = self.pos
        return meta

    def tensors(self, meta: GGUFMetadata) -> None:
        self.pos = meta.data_offset
        if meta.tensor_count > self.size:
            raise self.fail(f"header claims {meta.tensor_count} tensors")
        for _ in range(meta.tensor_count):
            name = self.string()
            dims = self.take("I", 4)
            if dims > 8:
                raise self.fail(f"tensor {name!r} has {dims} dimensions")
            shape = tuple(self.count() for _ in range(dims))
            kind = self.take("I", 4)
            offset = self.take("Q", 8)
            meta.tensors.append(TensorInfo(name, shape, kind, offset))
        alignment = meta.metadata.get("general.alignment", 32)
        if not isinstance(alignment, int) or alignment <= 0:
            raise self.fail(f"bad general.alignment {alignment!r}")
        meta.tensor_data_offset = (self.pos + alignment - 1) // alignment * alignment
        for tensor in meta.tensors:
            if meta.tensor_data_offset + tensor.offset > self.size:
                raise GGUFError(f"{self.path}: tensor {tensor.name!r} starts past the end of the file (truncated GGUF)")

    def value(self, kind: int, keep_array: bool) -> Any:
        if kind in _SCALARS:
            return self.take(*_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind != _ARRAY:
            raise self.fail(f"unknown metadata value type {kind}")
        element = self.take("I", 4)
        length = self.count()
        if keep_array:
            return [self.value(element, True) for _ in range(length)]
        if element in _SCALARS:
            step = _SCALARS[element][1] * length
            if self.pos + step > self.size:
                raise self.fail(f"array of {length} values runs past the end of the file")
            self.pos += step
        elif element == _STRING:
            self.skip_strings(length)
        else:
            for _ in range(length):
                self.value(element, False)
        return ArrayInfo(element, length)
