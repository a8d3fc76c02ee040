"""Derived layers: GGUFs a build makes from its inputs, and remembers so that a rebuild
reuses them.

- Conversion: ``FROM ./hf-folder`` and ``ADAPTER ./peft-folder`` are converted into a
  scratch file in the store, once per set of input files (keyed by their digests, the
  kind of conversion and the converter's version).
- Quantization (``build(..., quantize=...)``): every model layer, once per source digest
  and options; everything is checked before any work, and the quantizer runs when the
  layer is written.

What was made is remembered in ``<store>/.mfc/<kind>.json`` (Ollama ignores it).  The
converter and the quantizer (with numpy and gguf-py) load only when one of them runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from builder.create.layer import (
    BlobSource,
    ConvertedSource,
    FileSource,
    Planned,
    QuantizedBlob,
    QuantizeSource,
    describe,
    media_type_of,
    read_gguf,
)
from builder.errors import BuildError, ConvertError, QuantizeError
from builder.events import Event, Progress
from builder.manifest import ADAPTER, MODEL

if TYPE_CHECKING:
    from builder.create.session import BuildSession
    from builder.store import Store

CONVERTED_SUFFIXES = (".json", ".safetensors", ".model", ".jinja", ".txt")
CONVERTER_VERSION = "mfc-convert-1"  # bump when the converter's output for the same input changes


class SharedCache(Protocol):
    """A build cache shared between machines (``builder.registry.cache.RegistryCache``)."""

    label: str

    def fetch(self, kind: str, key: str, store: Store, report: Progress) -> str | None: ...

    def publish(self, kind: str, key: str, digest: str, store: Store, report: Progress) -> None: ...


class DerivedCache:
    """Key -> blob digest of what builds derived, kept in ``<store>/.mfc/<kind>.json``:
    ``remember`` notes an entry, ``save`` writes what was noted (as ``HashCache`` does)."""

    def __init__(self, root: Path, kind: str) -> None:
        self.path = root / ".mfc" / f"{kind}.json"
        self.entries = self._load()
        self.new: dict[str, str] = {}

    def _load(self) -> dict[str, str]:
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                return {str(k): str(v) for k, v in loaded.items()}
        return {}

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def remember(self, key: str, digest: str) -> None:
        self.entries[key] = self.new[key] = digest

    def save(self) -> None:
        """Write the entries remembered since loading (call with the store locked, once
        the manifest that uses them is written); what other builds saved meanwhile is
        kept."""
        saved = self._load()
        if all(saved.get(k) == v for k, v in self.new.items()):
            return
        self.entries = {**saved, **self.new}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, encoding="utf-8") as handle:
            json.dump(self.entries, handle, indent=1, sort_keys=True)
        os.replace(handle.name, self.path)
        self.new.clear()


# ---- conversion ---------------------------------------------------------------------------


def converted_model(session: BuildSession, folder: Path) -> Planned:
    """``FROM ./hf-folder``: the GGUF converted by an earlier build from the same files
    (or its quantized result), else a conversion into a scratch file."""
    key = _inputs_key(session, folder, "model")
    converted = session.lookup("converted", key)
    if converted is not None and session.store.has_blob(converted):
        session.report(Event(f"using the GGUF converted before from {folder.name}"))
        return blob_layer(session, converted)
    opts = session.quantize
    if converted is not None and opts is not None:
        quantized = session.lookup("quantized", opts.cache_key(converted))
        if quantized is not None and session.store.has_blob(quantized):
            session.report(Event(f"using the {opts.type.name} model quantized before from {folder.name}"))
            return blob_layer(session, quantized, final=True)

    def produce(scratch: Path, progress: Progress) -> object:
        from builder import conversion

        return conversion.convert(folder, scratch, durable=True, progress=progress)

    return _scratch_layer(session, MODEL, key, f"FROM {folder}", f"model converted from {folder.name}", produce)


def converted_adapter(session: BuildSession, adapter: Path, base: Path) -> Planned:
    """``ADAPTER ./peft-folder``: converted against ``base`` (a Hugging Face folder or the
    model's GGUF), or the result of an earlier build's conversion of the same files."""
    key = _inputs_key(session, adapter, f"adapter for {_base_identity(session, base)}")
    known = session.lookup("converted", key)
    if known is not None and session.store.has_blob(known):
        return blob_layer(session, known)

    def produce(scratch: Path, progress: Progress) -> object:
        from builder import conversion

        return conversion.convert_lora(adapter, base, scratch, durable=True, progress=progress)

    return _scratch_layer(
        session, ADAPTER, key, f"ADAPTER {adapter}", f"adapter converted from {adapter.name}", produce
    )


def blob_layer(session: BuildSession, digest: str, *, final: bool = False) -> Planned:
    """A GGUF blob already in the store; ``final``: an earlier build's quantization."""
    blob = session.store.blob_path(digest)
    meta = read_gguf(blob)
    kind = QuantizedBlob if final else BlobSource
    return Planned(media_type_of(meta), kind(digest, blob.stat().st_size), meta=meta)


def _scratch_layer(
    session: BuildSession,
    media_type: str,
    key: str,
    what: str,
    label: str,
    produce: Callable[[Path, Progress], object],
) -> Planned:
    """A conversion into a scratch file, named in messages by ``what`` (the Modelfile's
    line) and ``label`` (what it made), never by the scratch file's name."""
    scratch = session.scratch_file(media_type)
    try:
        produce(scratch, session.report)
    except ConvertError as error:
        raise BuildError(f"{what}: {error}") from None
    source = ConvertedSource(scratch, scratch.stat().st_size, key, label)
    return Planned(media_type, source, meta=read_gguf(scratch))


def _inputs_key(session: BuildSession, folder: Path, what: str) -> str:
    """One key for a folder's conversion: the digests of every file that feeds it, the
    kind of conversion, and the converter's version."""
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix in CONVERTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    digests = {path.relative_to(folder).as_posix(): session.digest(path)[0] for path in files}
    fields = {"what": what, "files": digests, "converter": CONVERTER_VERSION}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _base_identity(session: BuildSession, base: Path) -> str:
    return session.hashes.digest(base / "config.json" if base.is_dir() else base)[0]


# ---- quantization ---------------------------------------------------------------------------


def plan_quantization(session: BuildSession) -> None:
    """Each model layer: the quantized blob from an earlier build with the same source and
    options, or everything checked now (before any work) and quantized when written."""
    opts = session.quantize
    assert opts is not None
    from builder.quantizer import check, ensure_room

    for index, planned in enumerate(session.layers):
        if planned.media_type != MODEL or isinstance(planned.source, QuantizedBlob | QuantizeSource):
            continue
        planned = with_digest(session, planned)  # the digest keys the quantized result
        source = planned.source
        key = opts.cache_key(source.digest)
        known = session.lookup("quantized", key)
        if known is not None and session.store.has_blob(known):
            session.report(Event(f"using the {opts.type.name} model quantized before"))
            session.layers[index] = blob_layer(session, known, final=True)
            continue
        path, label = session.gguf_path(planned), describe(source)
        try:
            estimate = check(path, opts, name=label)
            root = session.store.root
            ensure_room(root if root.exists() else root.parent, estimate.output_bytes, f"the {opts.type.name} model")
        except QuantizeError as error:
            raise BuildError(f"--quantize {opts.type.name}: {error}") from None
        session.warnings += estimate.warnings
        converted_key = source.key if isinstance(source, ConvertedSource) else ""
        job = QuantizeSource(path, source.digest, source.size, estimate.source_type, opts, key, converted_key, label)
        session.layers[index] = replace(planned, source=job)


def with_digest(session: BuildSession, planned: Planned) -> Planned:
    """The layer with its digest known: a local file hashed now (remembered, unless it
    is a scratch conversion)."""
    source = planned.source
    if isinstance(source, FileSource) and not source.digest:
        digest, _ = session.digest(source.path)
        return replace(planned, source=replace(source, digest=digest))
    if isinstance(source, ConvertedSource) and not source.digest:
        digest, _ = session.digest(source.path, remember=False, label=source.label)
        return replace(planned, source=replace(source, digest=digest))
    return planned


def quantize_into_store(session: BuildSession, job: QuantizeSource) -> tuple[str, int, bool]:
    """Run a planned quantization straight into a new blob: its digest, size, and
    whether the blob is new."""
    from builder.quantizer import progress_status, run

    status = progress_status(job.source_type, job.options)
    session.report(Event(status))

    def produce(temp: Path) -> None:
        try:
            run(job.path, temp, job.options, session.report, status=status, name=job.label)
        except QuantizeError as error:
            raise BuildError(str(error)) from None

    return session.store.add_generated(produce)
