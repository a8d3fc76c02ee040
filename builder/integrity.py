"""Checking a store: every manifest readable, every blob it names present, of the size
the manifest gives, and hashing to its name (``mfc verify``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from builder.errors import StoreError
from builder.manifest import Layer, Manifest
from builder.names import ModelName
from builder.store import StoreLike, as_store, hash_file

#: What a problem is about, one of these:
KINDS = ("unreadable-manifest", "missing-blob", "wrong-size", "corrupt-blob")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a store: its ``kind`` (one of ``KINDS``), the model and blob
    it concerns (where it concerns one), and a one-line message; ``str()`` names the
    model first."""

    kind: str
    message: str
    model: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        return f"{self.model}: {self.message}" if self.model else self.message

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "model": self.model, "digest": self.digest, "message": self.message}


def verify(store: StoreLike = None, names: Iterable[str | ModelName] | None = None) -> list[Problem]:
    """The problems of the models ``names`` (default: every manifest in the store, and
    manifests that cannot be read); an empty list when all is well.  Blobs are re-hashed,
    each once.  A name with no model raises ``ModelNotFound``.

    >>> import builder, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = builder.placeholder_gguf(folder / "tiny.gguf")  # a GGUF with no tensors: enough to build
    >>> _ = (folder / "Modelfile").write_text("FROM ./tiny.gguf\\n")
    >>> store = builder.Store(folder / "store")
    >>> model = builder.build(folder / "Modelfile", "tiny", store=store)
    >>> builder.verify(store)
    []
    >>> _ = store.blob_path(model.layers[0].digest).write_bytes(b"GGUF damaged")
    >>> [(p.kind, p.model) for p in builder.verify(store, ["tiny"])]
    [('wrong-size', 'tiny:latest')]
    """
    the_store = as_store(store)
    problems: list[Problem] = []
    checked: dict[str, Problem | None] = {}
    if names is None and the_store.manifests.is_dir():
        for path in sorted(the_store.manifests.glob("*/*/*/*")):
            if path.is_file():
                try:
                    Manifest.decode(path.read_bytes(), str(path))
                except StoreError as error:
                    problems.append(Problem("unreadable-manifest", str(error)))
    models = [the_store.find(n) for n in names] if names is not None else the_store.models()
    for model in models:
        for layer in (model.manifest.config, *model.manifest.layers):
            if layer.digest not in checked:
                checked[layer.digest] = _check_blob(the_store.blob_path(layer.digest), layer)
            problem = checked[layer.digest]
            if problem:
                problems.append(Problem(problem.kind, problem.message, model.name.display(), layer.digest))
    return problems


def _check_blob(path: Path, layer: Layer) -> Problem | None:
    if not path.is_file():
        return Problem("missing-blob", f"blob {layer.digest} ({layer.media_type}) is missing")
    size = path.stat().st_size
    if size != layer.size:
        return Problem("wrong-size", f"blob {layer.digest} is {size} bytes, the manifest says {layer.size}")
    found, _ = hash_file(path)
    if found != "sha256:" + path.name.removeprefix("sha256-"):
        return Problem("corrupt-blob", f"blob {layer.digest} is corrupt: its bytes hash to {found}")
    return None
