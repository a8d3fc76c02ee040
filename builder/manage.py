"""Copying and removing models, and pruning blobs, with Ollama's semantics
(``CopyModel``, ``DELETE``, ``PruneLayers``): ``mfc cp``, ``mfc rm``, ``mfc prune``.

Each takes the store (a ``Store``, its folder, or ``None`` for the default one) and
holds the store's lock while it works."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.errors import StoreError
from builder.names import name_problem
from builder.store import PRUNE_GRACE, StoreLike, as_store, blob_label


@dataclass(frozen=True)
class CopyResult:
    """The source and destination names, as stored."""

    source: str
    destination: str

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "destination": self.destination}


@dataclass(frozen=True)
class RemoveResult:
    """The model removed, and the blobs deleted with it (those no other model uses);
    ``to_dict`` names them by digest, ``sha256:<hex>``."""

    name: str
    blobs: tuple[Path, ...]

    @property
    def digests(self) -> tuple[str, ...]:
        """The deleted blobs' digests, spelt as manifests and every other command spell
        them (``sha256:<hex>``; the files are named ``sha256-<hex>``)."""
        return tuple(path.name.replace("-", ":", 1) for path in self.blobs)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "blobs": list(self.digests)}


@dataclass(frozen=True)
class PruneResult:
    """The files pruning deleted, and the bytes that freed; ``kept``, the unused files
    left because they are newer than the grace period, and their size.  ``to_dict``
    names a blob by its digest (``sha256:<hex>``), a temporary file by its name."""

    removed: tuple[Path, ...]
    freed: int
    kept: tuple[Path, ...] = ()
    kept_bytes: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"removed": [blob_label(path) for path in self.removed], "freed": self.freed}

    def summary(self) -> str:
        """What ``mfc prune`` says: what was removed, and what the grace period kept.

        >>> print(PruneResult((), 0, (Path("sha256-0"),), 2048).summary())
        removed 0 file(s), 0 B freed; kept 1 unused file(s) (2.0 KB) changed in the last hour (--now prunes them)
        """
        from builder.humanize import human_bytes

        text = f"removed {len(self.removed)} file(s), {human_bytes(self.freed)} freed"
        if self.kept:
            size = human_bytes(self.kept_bytes)
            text += f"; kept {len(self.kept)} unused file(s) ({size}) changed in the last hour (--now prunes them)"
        return text


def copy_model(source: str, destination: str, *, store: StoreLike = None) -> CopyResult:
    """Copy the model ``source`` to the name ``destination``: the manifest bytes
    verbatim, so the ID stays the same, and no blob is copied; an existing destination
    is replaced.  An invalid name is a ``StoreError`` saying which.

    >>> import builder, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = builder.placeholder_gguf(folder / "tiny.gguf")  # a GGUF with no tensors: enough to build
    >>> _ = (folder / "Modelfile").write_text("FROM ./tiny.gguf\\n")
    >>> store = builder.Store(folder / "store")
    >>> _ = builder.build(folder / "Modelfile", "tiny", store=store)
    >>> builder.copy_model("tiny", "me/tiny:v2", store=store)
    CopyResult(source='tiny:latest', destination='me/tiny:v2')
    >>> store.find("me/tiny:v2").digest == store.find("tiny").digest
    True
    """
    for label, value in (("source", source), ("destination", destination)):
        problem = name_problem(value)
        if problem:
            raise StoreError(f"{label} {value!r} is invalid: {problem}")
    the_store = as_store(store)
    with the_store.locked():
        found = the_store.find(source)
        target = the_store.resolve(destination)
        if the_store.manifest_path(target) != found.path:
            the_store.write_manifest_bytes(target, found.path.read_bytes())
    return CopyResult(found.name.display(), target.display())


def remove_model(name: str, *, store: StoreLike = None) -> RemoveResult:
    """Delete the model ``name``: its manifest, then the blobs no other model uses
    (``ModelNotFound`` if there is no such model).

    >>> import builder, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = builder.placeholder_gguf(folder / "tiny.gguf")  # a GGUF with no tensors: enough to build
    >>> _ = (folder / "Modelfile").write_text("FROM ./tiny.gguf\\n")
    >>> store = builder.Store(folder / "store")
    >>> built = builder.build(folder / "Modelfile", "tiny", store=store)
    >>> removed = builder.remove_model("tiny", store=store)
    >>> removed.name, len(removed.blobs), list(store.blobs.iterdir())
    ('tiny:latest', 2, [])
    >>> sorted(removed.to_dict()["blobs"]) == sorted(layer.digest for layer in (built.config, *built.layers))
    True
    """
    the_store = as_store(store)
    with the_store.locked():
        found = the_store.find(name)
        the_store.remove_manifest(found.name)
        blobs = the_store.remove_unused(found.manifest)
    return RemoveResult(found.name.display(), tuple(blobs))


def prune(store: StoreLike = None, *, grace: float = PRUNE_GRACE) -> PruneResult:
    """Delete the blobs no model uses, and the temporary files a killed writer left,
    when they are older than ``grace`` seconds (Ollama's hour by default: another
    program may be writing them; ``grace=0`` prunes everything unused).

    >>> import builder, tempfile
    >>> from pathlib import Path
    >>> store = builder.Store(Path(tempfile.mkdtemp()))
    >>> store.blobs.mkdir()
    >>> _ = (store.blobs / ("sha256-" + "0" * 64)).write_bytes(b"nobody uses me")
    >>> builder.prune(store).freed, builder.prune(store, grace=0).freed
    (0, 14)
    """
    the_store = as_store(store)
    with the_store.locked():
        sizes = {p: p.stat().st_size for p in the_store.blobs.iterdir()} if the_store.blobs.is_dir() else {}
        removed = the_store.prune(grace=grace)
        kept = tuple(the_store.unused())
    return PruneResult(
        tuple(removed), sum(sizes.get(path, 0) for path in removed), kept, sum(sizes.get(path, 0) for path in kept)
    )
