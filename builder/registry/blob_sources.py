"""Where the store's blobs are known to be in registries: ``<store>/.mfc/blob-sources.json``
maps a digest to the repositories (``host/namespace/model``) a pull fetched it from or a
push put it in.  A push to another repository on the same registry mounts the blob from
there instead of uploading it again (as Docker's blob cache does).  Advisory: a wrong
entry only costs the mount attempt."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from builder.store import Store

#: Repositories remembered per blob (the most recent first).
KEEP = 8


class BlobSources:
    """The record of one store (read once; ``save`` merges with what others wrote)."""

    def __init__(self, store: Store) -> None:
        self.path = store.root / ".mfc" / "blob-sources.json"
        self.entries = self._load()
        self.added: dict[str, list[str]] = {}

    def _load(self) -> dict[str, list[str]]:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(k): [str(r) for r in v] for k, v in data.items() if isinstance(v, list)}
        return {}

    def repositories(self, digest: str, host: str) -> list[str]:
        """The repositories on ``host`` known to hold ``digest`` (``namespace/model``)."""
        found = []
        for place in self.entries.get(digest, []):
            where, _, repository = place.partition("/")
            if where == host and repository:
                found.append(repository)
        return found

    def note(self, digest: str, host: str, repository: str) -> None:
        place = f"{host}/{repository}"
        known = [place, *(p for p in self.entries.get(digest, []) if p != place)][:KEEP]
        self.entries[digest] = self.added[digest] = known

    def save(self) -> None:
        if not self.added or not self.path.parent.parent.is_dir():
            return
        merged = {**self._load(), **self.added}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=".blob-sources-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(merged, file, indent=1, sort_keys=True)
            os.replace(name, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                Path(name).unlink()
        self.added.clear()
