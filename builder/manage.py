"""Copying and removing models, with Ollama's semantics (``CopyModel``, ``DELETE``)."""

from __future__ import annotations

from pathlib import Path

from builder.errors import ModelNameError, StoreError
from builder.names import parse_name
from builder.store import Store


def copy_model(store: Store, source: str, destination: str) -> tuple[str, str]:
    """Copy the manifest bytes verbatim, so the ID stays the same; an existing
    destination is replaced.  The (source, destination) names as stored."""
    for label, value in (("source", source), ("destination", destination)):
        try:
            parse_name(value)
        except ModelNameError as error:
            raise StoreError(f"{label} {value!r} is invalid: {error}") from None
    with store.locked():
        found = store.find(source)
        target = store.resolve(destination)
        if store.manifest_path(target) != found.path:
            store.write_manifest_bytes(target, found.path.read_bytes())
    return found.name.display(), target.display()


def remove_model(store: Store, name: str) -> tuple[str, list[Path]]:
    """Delete the manifest, then the blobs no other manifest uses."""
    with store.locked():
        found = store.find(name)
        store.remove_manifest(found.name)
        return found.name.display(), store.remove_unused(found.manifest)
