"""``BuildSession``: everything one build works with, in one object.

The store and its caches (file digests, earlier conversions and quantizations), the
progress callback, the quantization asked for, and what the build has planned so far:
the layers, the warnings, the autodetected template, the parent model's config.  The
steps (``sources``, ``derived``, ``rules``, ``write``) take the session instead of
threading each of these through every call.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from builder.create.derived import DerivedCache, SharedCache
from builder.create.layer import BlobSource, ConvertedSource, FileSource, Planned, QuantizeSource
from builder.errors import BuildError
from builder.events import Event, Progress
from builder.hashcache import HashCache
from builder.manifest import MODEL, Config
from builder.store import Store, hash_file
from modelfile.errors import MfcError

if TYPE_CHECKING:
    from builder.quantizer import QuantizeOptions


def _ignore(event: Event) -> None:
    """The progress callback of a caller that wants none."""


class BuildSession:
    """One build in progress.  ``close()`` removes the scratch files it made."""

    def __init__(
        self,
        store: Store,
        progress: Progress | None = None,
        quantize: QuantizeOptions | None = None,
        *,
        cache_from: SharedCache | None = None,
        cache_to: SharedCache | None = None,
    ) -> None:
        self.store = store
        self.cache_from = cache_from  # a registry's build cache, looked up before deriving
        self.cache_to = cache_to  # where what this build derives is published
        self.derived: list[tuple[str, str, str]] = []  # (kind, key, digest) made by this build
        self.report: Progress = progress or _ignore
        self.quantize = quantize
        self.hashes = HashCache(store.root)
        self.converted = DerivedCache(store.root, "converted")
        self.quantized = DerivedCache(store.root, "quantized")
        self.layers: list[Planned] = []
        self.warnings: list[str] = []
        self.template: str | None = None  # the built-in template autodetected from the GGUF (None once replaced)
        self.parent_config: Config | None = None  # FROM a model: its config
        self._scratch: list[Path] = []

    def digest(self, path: Path, *, remember: bool = True, label: str = "") -> tuple[str, int]:
        """A file's digest and size, reported as ``hashing <name>`` (``hashing <label>``
        when given); remembered in the hash cache unless ``remember`` is false (a scratch
        file, gone after the build)."""
        if remember:
            return self.hashes.digest(path, self.report)
        return hash_file(path, self.report, f"hashing {label}" if label else "")

    def scratch_file(self, media_type: str) -> Path:
        """A new file name in the store's scratch folder for a conversion's output,
        removed when the session closes."""
        folder = self.store.root / ".mfc" / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{media_type.rsplit('.', 1)[-1]}-{os.getpid()}-{time.monotonic_ns()}.gguf"
        self._scratch.append(path)
        return path

    def gguf_path(self, planned: Planned) -> Path:
        """Where a planned GGUF layer can be read now: its local file, or its blob."""
        source = planned.source
        if isinstance(source, FileSource | ConvertedSource | QuantizeSource):
            return source.path
        if isinstance(source, BlobSource):
            return self.store.blob_path(source.digest)
        raise BuildError(f"the {planned.media_type} layer is text, not a GGUF")

    def lookup(self, kind: str, key: str) -> str | None:
        """What an earlier build derived for ``key`` (``kind`` ``converted`` or
        ``quantized``): the store's own cache, else the shared cache (``cache_from``),
        whose result is downloaded into the store.  A shared cache that fails is a
        warning, and is not asked again in this build."""
        cache: DerivedCache = getattr(self, kind)
        local = cache.get(key)
        if self.cache_from is None or (local is not None and self.store.has_blob(local)):
            return local
        try:
            found = self.cache_from.fetch(kind, key, self.store, self.report)
        except (MfcError, OSError) as error:
            self.warnings.append(f"build cache {self.cache_from.label}: {error}; building without it")
            self.cache_from = None
            return local
        if found is None:
            return local
        cache.remember(key, found)
        return found

    def remember(self, kind: str, key: str, digest: str) -> None:
        """Note what this build derived (saved with the manifest; published to
        ``cache_to`` after it)."""
        cache: DerivedCache = getattr(self, kind)
        cache.remember(key, digest)
        self.derived.append((kind, key, digest))

    def publish(self) -> None:
        """Push what this build derived to ``cache_to``; a failure is a warning."""
        if self.cache_to is None:
            return
        for kind, key, digest in self.derived:
            try:
                self.cache_to.publish(kind, key, digest, self.store, self.report)
            except (MfcError, OSError) as error:
                self.warnings.append(f"build cache {self.cache_to.label}: {error}; the result was not shared")
                return

    def models(self) -> list[Planned]:
        """The model layers planned so far."""
        return [p for p in self.layers if p.media_type == MODEL]

    def close(self) -> None:
        for path in self._scratch:
            path.unlink(missing_ok=True)
        self._scratch.clear()
