"""Blobs an earlier build derived from its inputs: quantized models (by source digest
and options) and converted safetensors folders (by the digests of the folder's files).
Kept in ``<store>/.mfc/<kind>.json`` (Ollama ignores it), so that a rebuild reuses the
result instead of doing the work again."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path


class DerivedCache:
    def __init__(self, root: Path, kind: str) -> None:
        self.path = root / ".mfc" / f"{kind}.json"
        self.entries: dict[str, str] = {}
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.entries = {str(k): str(v) for k, v in loaded.items()}

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def remember(self, found: dict[str, str]) -> None:
        """Add key -> blob digest entries and save (call with the store locked)."""
        if not found or all(self.entries.get(k) == v for k, v in found.items()):
            return
        self.entries.update(found)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, encoding="utf-8") as handle:
            json.dump(self.entries, handle, indent=1, sort_keys=True)
        os.replace(handle.name, self.path)
