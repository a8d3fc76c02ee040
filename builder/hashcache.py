"""Digests of local files, remembered by (path, size, mtime) so that an unchanged
rebuild reads nothing.  Kept in ``<store>/.mfc/hashes.json`` (Ollama ignores it)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from builder.events import Progress
from builder.store import hash_file


class HashCache:
    def __init__(self, root: Path) -> None:
        self.path = root / ".mfc" / "hashes.json"
        self.entries: dict[str, list[object]] = {}
        self.dirty = False
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.entries = loaded

    def lookup(self, path: Path, stat: os.stat_result | None = None) -> str | None:
        """The remembered digest, if the file's size and mtime are unchanged."""
        stat = stat or path.stat()
        entry = self.entries.get(str(path.resolve()))
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns and isinstance(entry[2], str):
            return entry[2]
        return None

    def digest(self, path: Path, progress: Progress | None = None) -> tuple[str, int]:
        """The file's sha256 and size: remembered if size and mtime are unchanged, else
        hashed (reported to ``progress`` as ``hashing <name>``)."""
        stat = path.stat()
        known = self.lookup(path, stat)
        if known is not None:
            return known, stat.st_size
        digest, size = hash_file(path, progress)
        self.remember(path, digest, stat)
        return digest, size

    def remember(self, path: Path, digest: str, stat: os.stat_result | None = None) -> None:
        """Remember ``digest`` for the file as ``stat`` saw it (taken before reading it,
        so that a change while reading makes the entry stale, not wrong)."""
        stat = stat or path.stat()
        self.entries[str(path.resolve())] = [stat.st_size, stat.st_mtime_ns, digest]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, encoding="utf-8") as handle:
            json.dump(self.entries, handle)
        os.replace(handle.name, self.path)
        self.dirty = False
