"""What a local FROM / ADAPTER path holds: checked by magic bytes, not by name.

A file must be GGUF (``GGUF``); a folder must hold what Ollama's ``filesForModel``
looks for, in its order: ``model*.safetensors``, ``consolidated*.safetensors``,
``pytorch_model*.bin`` / ``consolidated*.pth`` (zip archives), ``*.gguf``, ``*.bin``
(GGUF).  Legacy GGML files (``ggml``/``ggjt``/``ggmf``) are named as such.
"""

from __future__ import annotations

import enum
import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from modelfile.gguf_metadata import MAGIC as GGUF_MAGIC

# GGML magics as they appear on disk (little-endian u32 of 'ggml', 'ggmf', 'ggjt', 'ggla').
_GGML_MAGICS = {b"lmgg": "ggml", b"fmgg": "ggmf", b"tjgg": "ggjt", b"algg": "ggla"}
_ZIP_MAGIC = b"PK\x03\x04"


class Kind(enum.Enum):
    GGUF = "GGUF file"
    SAFETENSORS_DIR = "safetensors folder"
    PYTORCH_DIR = "PyTorch folder"
    GGUF_DIR = "folder of GGUF files"
    MISSING = "missing"
    NOT_A_MODEL = "not a model"


@dataclass(frozen=True)
class Weights:
    """The verdict on one path: ``kind`` and, when it is not usable, why."""

    kind: Kind
    path: Path
    problem: str | None = None

    @property
    def usable(self) -> bool:
        return self.problem is None and self.kind is not Kind.MISSING


def head(path: Path, size: int = 16) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def safetensors_problem(path: Path) -> str | None:
    """Why ``path`` is not a readable safetensors file, or ``None``."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(8)
            if len(raw) < 8:
                return f"{path.name} is too short for a safetensors file ({len(raw)} bytes)"
            (length,) = struct.unpack("<Q", raw)
            if length > path.stat().st_size - 8:
                return f"{path.name}: safetensors header claims {length} bytes, more than the file holds"
            header = handle.read(min(length, 100_000_000))
    except OSError as error:
        return f"cannot read {path.name}: {error.strerror}"
    if raw.startswith(b"version "):
        return f"{path.name} is a Git LFS pointer, not the weights (run `git lfs pull`)"
    try:
        json.loads(header)
    except ValueError:
        return f"{path.name} does not start with a safetensors JSON header"
    return None


def _file(path: Path) -> Weights:
    start = head(path)
    if start.startswith(GGUF_MAGIC):
        return Weights(Kind.GGUF, path)
    if start[:4] in _GGML_MAGICS:
        legacy = _GGML_MAGICS[start[:4]]
        return Weights(Kind.NOT_A_MODEL, path, f"{path.name} is a legacy GGML ({legacy}) file; convert it to GGUF")
    if start.startswith(b"version https://git-lfs"):
        return Weights(
            Kind.NOT_A_MODEL, path, f"{path.name} is a Git LFS pointer, not the weights (run `git lfs pull`)"
        )
    if path.suffix == ".safetensors" and safetensors_problem(path) is None:
        return Weights(
            Kind.NOT_A_MODEL, path, f"{path.name} is one safetensors file; point at its folder (with config.json)"
        )
    return Weights(Kind.NOT_A_MODEL, path, f"{path.name} is not a GGUF file (it starts with {start[:4]!r})")


def _magic(expected: bytes, what: str) -> Callable[[Path], str | None]:
    return lambda file: None if head(file, len(expected)) == expected else f"{file.name} is not a {what}"


#: Ollama's ``filesForModel``, in its order: the first pattern with matches decides.
_FOLDER_LAYOUTS: tuple[tuple[str, Kind, Callable[[Path], str | None]], ...] = (
    ("model*.safetensors", Kind.SAFETENSORS_DIR, safetensors_problem),
    ("consolidated*.safetensors", Kind.SAFETENSORS_DIR, safetensors_problem),
    ("pytorch_model*.bin", Kind.PYTORCH_DIR, _magic(_ZIP_MAGIC, "PyTorch zip archive")),
    ("consolidated*.pth", Kind.PYTORCH_DIR, _magic(_ZIP_MAGIC, "PyTorch zip archive")),
    ("*.gguf", Kind.GGUF_DIR, _magic(GGUF_MAGIC, "GGUF file")),
    ("*.bin", Kind.GGUF_DIR, _magic(GGUF_MAGIC, "GGUF file")),
)


def _folder(path: Path) -> Weights:
    for pattern, kind, problem_of in _FOLDER_LAYOUTS:
        found = sorted(path.glob(pattern))
        if found:
            return Weights(kind, path, next(filter(None, map(problem_of, found)), None))
    return Weights(Kind.NOT_A_MODEL, path, "no model files found (no Modelfile or safetensors files found)")


def inspect(path: str | os.PathLike[str]) -> Weights:
    """Check what ``path`` holds, reading only the first bytes of its files."""
    target = Path(path)
    try:
        if target.is_dir():
            return _folder(target)
        if target.is_file():
            return _file(target)
    except OSError as error:
        return Weights(Kind.NOT_A_MODEL, target, f"cannot read {target}: {error.strerror}")
    return Weights(Kind.MISSING, target, None)
