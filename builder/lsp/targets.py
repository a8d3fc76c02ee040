"""What a FROM (or ADAPTER) value names: a GGUF file and its metadata, a folder, or a
model of the store (its layers, template and weights' metadata).  Never raises: what
cannot be read says why in ``problem``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import StoreError
from builder.store import Store
from modelfile.errors import MfcError
from modelfile.gguf_metadata import FILE_TYPES, GGUFMetadata, read_metadata
from modelfile.paths import PathError, expand_path, looks_like_path
from modelfile.weights import Kind, inspect


@dataclass(frozen=True)
class Target:
    """A resolved FROM/ADAPTER value."""

    value: str
    kind: str  # "file", "folder", "model", "missing"
    path: Path | None = None  # the file or folder; a store model's weights blob
    metadata: GGUFMetadata | None = None
    model: str | None = None  # the store's name for it
    layers: tuple[tuple[str, str, int], ...] = ()  # (media type, digest, size)
    template: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    @property
    def context_length(self) -> int | None:
        return self.metadata.context_length if self.metadata is not None else None


def resolve(value: str, base: Path, store: Store | None) -> Target:
    """The target of ``value`` for a Modelfile in folder ``base``."""
    value = value.strip()
    if not value:
        return Target(value, "missing", problem="no value")
    if looks_like_path(value):
        return _path_target(value, base)
    if store is None:
        local = _path_target(value, base)
        return (
            local if local.kind != "missing" else Target(value, "missing", problem="a model name; no store to look in")
        )
    stored = _model_target(value, store)
    if stored.kind == "missing":
        local = _path_target(value, base)
        return local if local.kind != "missing" else stored
    return stored


def _path_target(value: str, base: Path) -> Target:
    try:
        path = Path(expand_path(value, base))
    except PathError as error:
        return Target(value, "missing", problem=str(error))
    weights = inspect(path)
    if weights.kind in (Kind.MISSING, Kind.UNREADABLE):
        return Target(value, "missing", path, problem=weights.problem or f"{path} does not exist")
    if weights.folder:
        return Target(value, "folder", path, problem=weights.problem)
    return Target(value, "file", path, _metadata(path), problem=weights.problem)


def _model_target(value: str, store: Store) -> Target:
    from builder.manifest import MODEL
    from builder.show import load

    try:
        stored = store.find_optional(value)
        if stored is None:
            return Target(value, "missing", problem=f"model {value!r} is not in the store ({store.root})")
        view = load(store, value)
    except (MfcError, OSError) as error:
        return Target(value, "missing", problem=str(error))
    layers = tuple((layer.media_type, layer.digest, layer.size) for layer in stored.manifest.layers)
    weights = [layer for layer in stored.manifest.layers if layer.media_type == MODEL]
    blob = store.blob_path(weights[0].digest) if weights else None
    return Target(
        value,
        "model",
        blob,
        _metadata(blob) if blob is not None else None,
        stored.name.display(),
        layers,
        view.template,
        view.parameters,
    )


_CACHE: dict[tuple[str, int, int], GGUFMetadata | None] = {}


def _metadata(path: Path) -> GGUFMetadata | None:
    """The GGUF metadata at ``path`` (None: not a readable GGUF), cached by file stamp."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    key = (os.fspath(path), info.st_mtime_ns, info.st_size)
    if key not in _CACHE:
        if len(_CACHE) > 64:
            _CACHE.clear()
        try:
            _CACHE[key] = read_metadata(path, arrays=())
        except (MfcError, OSError, ValueError):
            _CACHE[key] = None
    return _CACHE[key]


def describe(target: Target) -> str:
    """Markdown about a target, for hovering over FROM/ADAPTER."""
    if target.kind == "missing":
        return f"`{target.value}`: {target.problem}"
    lines = [
        f"`{target.value}`: " + {"file": "a file", "folder": "a folder", "model": "a model of the store"}[target.kind]
    ]
    if target.path is not None and target.kind != "model":
        lines.append(f"- path: `{target.path}`")
    if target.problem:
        lines.append(f"- problem: {target.problem}")
    meta = target.metadata
    if meta is not None:
        params = meta.metadata.get("general.size_label") or meta.metadata.get("general.parameter_count")
        kind = FILE_TYPES.get(meta.file_type) if meta.file_type is not None else None
        lines += [
            f"- architecture: {meta.architecture or 'unknown'}",
            f"- parameters: {params if params is not None else 'unknown'}",
            f"- quantization: {kind or 'unknown'}",
            f"- context length: {meta.context_length if meta.context_length is not None else 'unknown'}",
        ]
    for media_type, digest, size in target.layers:
        lines.append(f"- layer `{media_type.rsplit('.', 1)[-1]}` {digest[:19]} ({size} bytes)")
    return "\n".join(lines)


def store_or_none(root: Path | None) -> Store | None:
    """The store at ``root`` when it exists (the language server never creates one)."""
    try:
        return Store(root) if root is not None and root.is_dir() else None
    except StoreError:
        return None
