"""The models in a store, as ``ollama list`` and Ollama's ``/api/tags`` list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from builder.errors import StoreError
from builder.manifest import Config
from builder.show import capabilities, details_of, load
from builder.store import StoreLike, as_store


@dataclass(frozen=True)
class ModelSummary:
    """One stored model: its name, ID (the manifest's sha256), total size, when its
    manifest was written (seconds since the epoch), Ollama's ``details``, and what it can
    do (``capabilities``, as ``/api/show`` works them out)."""

    name: str
    digest: str
    size: int
    modified: float
    details: dict[str, Any]
    capabilities: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The model as a row of Ollama's ``/api/tags`` response."""
        return {
            "name": self.name,
            "model": self.name,
            "modified_at": datetime.fromtimestamp(self.modified, UTC).isoformat(),
            "size": self.size,
            "digest": self.digest,
            "details": self.details,
            **({"capabilities": list(self.capabilities)} if self.capabilities else {}),
        }


def list_models(store: StoreLike = None) -> list[ModelSummary]:
    """Every model in the store, the most recently written first.  A model whose config
    blob is missing or damaged is listed anyway, with empty details, as Ollama does.

    >>> import builder, json, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = builder.placeholder_gguf(folder / "tiny.gguf")  # a GGUF with no tensors: enough to build
    >>> _ = (folder / "Modelfile").write_text("FROM ./tiny.gguf\\n")
    >>> result = builder.build(folder / "Modelfile", "me/tiny:v1", store=folder / "store")
    >>> [(m.name, m.digest == result.digest) for m in builder.list_models(folder / "store")]
    [('me/tiny:v1', True)]
    >>> row = builder.list_models(folder / "store")[0].to_dict()
    >>> sorted(row), row["details"]["family"]
    (['capabilities', 'details', 'digest', 'model', 'modified_at', 'name', 'size'], 'llama')
    """
    the_store = as_store(store)
    found = []
    for model in sorted(the_store.models(), key=lambda m: m.modified, reverse=True):
        try:
            view = load(the_store, model.name.display())
            config, can = view.config, tuple(capabilities(the_store, view))
        except (StoreError, OSError):  # a missing or damaged layer: list the model anyway, as Ollama does
            config, can = Config(model_format=""), ()
        details = details_of(model, config)
        name = model.name.display()
        found.append(ModelSummary(name, model.digest, model.manifest.size, model.modified, details, can))
    return found
