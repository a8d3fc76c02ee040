"""What a local FROM / ADAPTER path holds: checked by magic bytes, not by name.

A file must be GGUF (``GGUF``); a folder must hold what Ollama's ``filesForModel``
looks for, in its order: ``model*.safetensors``, ``consolidated*.safetensors``,
``pytorch_model*.bin`` / ``consolidated*.pth`` (zip archives), ``*.gguf``, ``*.bin``
(GGUF).  Legacy GGML files (``ggml``/``ggjt``/``ggmf``) are named as such.

Nothing here raises on a path: one the OS will not look at (a name too long, a loop
of symbolic links, no permission) or that is no regular file (a FIFO, a device) is
:attr:`Kind.UNREADABLE` with the OS's reason, and a FIFO is never opened.
"""

from __future__ import annotations

import enum
import fnmatch
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from modelfile.gguf_metadata import MAGIC as GGUF_MAGIC
from modelfile.paths import PathKind, open_regular, os_reason, probe
from modelfile.safetensors_header import SafetensorsError, read_header

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
    UNREADABLE = "unreadable"  # the path itself cannot be looked at or read: ``problem`` says why


@dataclass(frozen=True)
class Weights:
    """The verdict on one path: ``kind`` and, when it is not usable, why (for a missing
    path, possibly where its dangling symbolic link points)."""

    kind: Kind
    path: Path
    problem: str | None = None
    folder: bool = False  # the path is a folder (whatever it holds)

    @property
    def usable(self) -> bool:
        return self.problem is None and self.kind not in (Kind.MISSING, Kind.UNREADABLE)

    @property
    def exists(self) -> bool:
        """Something is at the path, readable or not (Ollama would not read it as a model name)."""
        return self.kind is not Kind.MISSING


def head(path: Path, size: int = 16) -> bytes:
    """The first ``size`` bytes of a regular file (``OSError`` for anything else)."""
    with open_regular(path) as handle:
        return handle.read(size)


def safetensors_problem(path: Path) -> str | None:
    """Why ``path`` is not a readable safetensors file, or ``None``."""
    try:
        read_header(path)
    except SafetensorsError as error:
        return f"{path.name}: {error.reason}"
    except OSError as error:
        return f"{path.name}: {os_reason(error)}"
    return None


def files_matching(folder: Path, pattern: str) -> list[Path]:
    """The entries of ``folder`` whose names match ``pattern`` (as ``Path.glob``,
    hidden names included), sorted; ``OSError`` if the folder cannot be listed."""
    return sorted(folder / name for name in os.listdir(folder) if fnmatch.fnmatch(name, pattern))


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
    def problem(file: Path) -> str | None:
        try:
            return None if head(file, len(expected)) == expected else f"{file.name} is not a {what}"
        except OSError as error:
            return f"{file.name}: {os_reason(error)}"

    return problem


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
        found = files_matching(path, pattern)
        if found:
            return Weights(kind, path, next(filter(None, map(problem_of, found)), None), folder=True)
    return Weights(
        Kind.NOT_A_MODEL, path, "no model files found (no Modelfile or safetensors files found)", folder=True
    )


def inspect(path: str | os.PathLike[str]) -> Weights:
    """Check what ``path`` holds, reading only the first bytes of its files; never raises.

    A file in the folder that cannot be read makes the folder ``NOT_A_MODEL`` (the
    problem names the file and the OS's reason)."""
    target = Path(path)
    found = probe(target)
    if found.kind is PathKind.MISSING:
        return Weights(Kind.MISSING, target, found.reason)
    if found.kind in (PathKind.UNREADABLE, PathKind.SPECIAL):
        return Weights(Kind.UNREADABLE, target, found.reason)
    try:
        return _folder(target) if found.kind is PathKind.FOLDER else _file(target)
    except OSError as error:  # the path itself: listing the folder, or opening the file
        return Weights(Kind.UNREADABLE, target, os_reason(error), folder=found.kind is PathKind.FOLDER)
