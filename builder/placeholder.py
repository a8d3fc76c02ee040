"""A placeholder model for examples and tests: a GGUF header that names an architecture
and holds no tensors — enough to build, list, show, copy, remove and verify a model
(not to run one)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

_ARCHITECTURE_KEY = b"general.architecture"
_STRING = 8  # GGUF's value type for a string


def placeholder_gguf(path: str | os.PathLike[str], architecture: str = "llama") -> Path:
    """Write the placeholder GGUF (version 3, no tensors, one key:
    ``general.architecture``) at ``path``; its path.

    >>> import builder, tempfile
    >>> from pathlib import Path
    >>> gguf = builder.placeholder_gguf(Path(tempfile.mkdtemp()) / "tiny.gguf")
    >>> builder.inspect_gguf(gguf).metadata
    {'general.architecture': 'llama'}
    """
    name = architecture.encode()
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, 1)
    header += struct.pack("<Q", len(_ARCHITECTURE_KEY)) + _ARCHITECTURE_KEY
    header += struct.pack("<IQ", _STRING, len(name)) + name
    target = Path(path)
    target.write_bytes(header)
    return target
