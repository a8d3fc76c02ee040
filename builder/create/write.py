"""Writing a planned build: every blob, then the config, then the manifest, under the
store lock; or, for a dry run, only the digests.

Crash safety: each blob is written under a temporary name and renamed into place (see
``builder.store``); blobs this build created are removed again if anything fails before
the manifest is written, so a failed build leaves the store as it was, and a killed one
leaves nothing a model names.  The manifest is written last.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from builder.create.derived import quantize_into_store, with_digest
from builder.create.layer import (
    BlobSource,
    BytesSource,
    ConvertedSource,
    FileSource,
    Planned,
    QuantizeSource,
    read_gguf,
)
from builder.create.rules import config_blob
from builder.create.session import BuildSession
from builder.errors import BuildError
from builder.events import Event
from builder.manifest import CONFIG_MEDIA_TYPE, Layer, Manifest
from builder.names import ModelName
from builder.request import CreateRequest
from builder.store import digest_of_bytes


@dataclass(frozen=True)
class Outcome:
    """What was built: the name as stored, the manifest and its digest (the model's ID;
    empty when a dry run cannot know it)."""

    name: ModelName
    manifest: Manifest
    digest: str
    written: bool


def preview(session: BuildSession, request: CreateRequest, target: ModelName) -> Outcome:
    """A dry run: every digest, without copying anything (files are hashed instead)."""
    session.layers[:] = [with_digest(session, p) for p in session.layers]
    manifest = _manifest(session.layers, config_blob(session, request))
    if any(isinstance(p.source, QuantizeSource) for p in session.layers):
        session.warnings.append(
            "the quantized model layer's digest (and so the model's ID) is known only after "
            "quantizing: the dry run shows the source's"
        )
        return Outcome(target, manifest, "", written=False)
    return Outcome(target, manifest, hashlib.sha256(manifest.encode()).hexdigest(), written=False)


def write(session: BuildSession, request: CreateRequest, target: ModelName, *, link: bool) -> Outcome:
    """Write the blobs, the config and the manifest of ``target``; on failure, remove the
    blobs this build created.  A rebuilt name's blobs that nothing else uses go, as in
    Ollama."""
    store = session.store
    with store.locked():
        stored_name = store.resolve(target)
        previous = store.find_optional(stored_name)
        created: list[Path] = []
        new: list[bool] = []  # per layer: its blob is new in the store
        try:
            for index, planned in enumerate(session.layers):
                written, is_new = _write_layer(session, planned, link)
                session.layers[index] = written
                new.append(is_new)
                if is_new:
                    created.append(store.blob_path(written.source.digest))
            config = config_blob(session, request)  # after writing: a quantized model has a new file type
            manifest = _manifest(session.layers, config)
            if not store.has_blob(manifest.config.digest):
                created.append(store.blob_path(manifest.config.digest))
            store.add_bytes(config)
            for is_new, layer in zip(new, manifest.layers, strict=True):
                session.report(Event(f"{'creating new' if is_new else 'using existing'} layer {layer.digest}"))
            session.report(Event("writing manifest"))
            digest = store.write_manifest(stored_name, manifest)
        except BaseException:
            for path in created:  # leave the store as it was
                path.unlink(missing_ok=True)
            raise
        if previous is not None and previous.digest != digest:
            store.remove_unused(previous.manifest)  # as Ollama does when a name is rebuilt
        session.hashes.save()
        session.quantized.save()
        session.converted.save()
    session.report(Event("success"))
    return Outcome(stored_name, manifest, digest, written=True)


def _write_layer(session: BuildSession, planned: Planned, link: bool) -> tuple[Planned, bool]:
    """Put one layer's blob in the store: the layer, now a blob, and whether the blob is
    new.  What a conversion or quantization made is remembered in the session's caches
    (saved once the manifest is written)."""
    store, source = session.store, planned.source
    if isinstance(source, BytesSource):
        existed = store.has_blob(source.digest)
        store.add_bytes(source.data)
        return planned, not existed
    if isinstance(source, BlobSource):
        if not store.has_blob(source.digest):
            raise BuildError(f"blob {source.digest} is missing from the store")
        return planned, False
    if isinstance(source, QuantizeSource):
        digest, size, is_new = quantize_into_store(session, source)
        session.remember("quantized", source.key, digest)
        if source.converted_key:
            session.remember("converted", source.converted_key, source.digest)
        meta = read_gguf(store.blob_path(digest))
        return Planned(planned.media_type, BlobSource(digest, size), meta=meta), is_new
    if isinstance(source, ConvertedSource):  # a scratch file: linked in, not worth a hash cache entry
        digest, size, is_new = store.add_file(
            source.path, source.digest or None, link=True, progress=session.report, label=source.label
        )
        session.remember("converted", source.key, digest)
        return replace(planned, source=BlobSource(digest, size)), is_new
    digest, size, is_new = store.add_file(source.path, source.digest or None, link=link, progress=session.report)
    _remember_file(session, source, digest)
    return replace(planned, source=BlobSource(digest, size)), is_new


def _remember_file(session: BuildSession, source: FileSource, digest: str) -> None:
    if not source.digest:
        session.hashes.remember(source.path, digest, source.stat)  # hashed while copied
    if os.path.samefile(source.path, session.store.blob_path(digest)):
        session.hashes.remember(source.path, digest)  # a hard-linked blob: touching it changed the file's mtime


def _manifest(layers: list[Planned], config: bytes) -> Manifest:
    config_layer = Layer(CONFIG_MEDIA_TYPE, digest_of_bytes(config), len(config))
    return Manifest(config_layer, tuple(p.layer for p in layers))
