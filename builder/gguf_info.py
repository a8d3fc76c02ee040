"""What a GGUF file holds (``mfc inspect``): its header, metadata and tensor table,
with arrays (vocabularies, merges) summarised by element type and length."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from builder.ggml_types import check_complete, tensor_bytes, type_name
from modelfile.gguf_metadata import VALUE_TYPES, ArrayInfo, GGUFError, read_metadata

if TYPE_CHECKING:
    from builder.store import StoreLike


@dataclass(frozen=True)
class TensorEntry:
    """One tensor: name, GGML type name, GGUF shape (innermost first), data offset and size."""

    name: str
    type: str
    shape: tuple[int, ...]
    offset: int
    size: int

    def to_dict(self) -> dict[str, object]:
        shape = list(self.shape)
        return {"name": self.name, "type": self.type, "shape": shape, "offset": self.offset, "size": self.size}


@dataclass(frozen=True)
class GGUFInfo:
    """A GGUF file read: its version, metadata (an array value is ``{"array": element
    type, "length": n}``), parameter count and tensors."""

    path: str
    version: int
    parameter_count: int
    metadata: dict[str, Any]
    tensors: tuple[TensorEntry, ...]

    def to_dict(self, *, tensors: bool = True) -> dict[str, object]:
        """What ``mfc inspect --json`` prints (without ``tensors`` unless asked)."""
        data: dict[str, object] = {
            "path": self.path,
            "version": self.version,
            "parameter_count": self.parameter_count,
            "metadata": self.metadata,
        }
        if tensors:
            data["tensors"] = [t.to_dict() for t in self.tensors]
        return data


def inspect_gguf(path: str | os.PathLike[str], *, store: StoreLike = None) -> GGUFInfo:
    """Read a GGUF file's header, metadata and tensor table, and check that every
    tensor's data lies inside the file.  A file that is not a GGUF, is damaged or
    truncated, or cannot be read is a ``GGUFError`` naming it.  Where no file is at
    ``path``, it names a model in ``store`` (the default store for ``None``): its
    weights (the model layer) are read.

    >>> import builder, tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "tiny.gguf"
    >>> _ = builder.placeholder_gguf(path)  # a GGUF with no tensors: enough to build
    >>> info = builder.inspect_gguf(path)
    >>> info.version, info.metadata, info.tensors
    (3, {'general.architecture': 'llama'}, ())
    >>> builder.inspect_gguf(path.parent / "missing.gguf")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    modelfile.gguf_metadata.GGUFError: .../missing.gguf: no such file, nor a model of that name in ...
    >>> _ = (path.parent / "Modelfile").write_text("FROM ./tiny.gguf\\n")
    >>> _ = builder.build(path.parent / "Modelfile", "tiny", store=path.parent / "store")
    >>> builder.inspect_gguf("tiny", store=path.parent / "store").metadata
    {'general.architecture': 'llama'}
    """
    name = os.fspath(path)
    if not os.path.lexists(name):
        name = _model_weights(name, store)
    try:
        meta = read_metadata(name, tensors=True)
        check_complete(meta)
    except OSError as error:
        raise GGUFError(f"{name}: {error.strerror or error}") from None
    tensors = tuple(
        TensorEntry(t.name, type_name(t.ggml_type), t.shape, t.offset, tensor_bytes(t)) for t in meta.tensors
    )
    metadata = {key: _shown(value) for key, value in meta.metadata.items()}
    return GGUFInfo(name, meta.version, meta.parameter_count, metadata, tensors)


def _model_weights(name: str, store: StoreLike) -> str:
    """The blob holding the weights of the stored model ``name``."""
    from builder.errors import ModelNameError
    from builder.manifest import MODEL
    from builder.store import as_store

    the_store = as_store(store)
    try:
        model = the_store.find_optional(name)
    except ModelNameError:
        model = None
    if model is None:
        raise GGUFError(f"{name}: no such file, nor a model of that name in {the_store.root}")
    layers = model.manifest.layers_of(MODEL)
    if not layers:
        raise GGUFError(f"{model.name.display()}: the model has no weights (no model layer)")
    return str(the_store.blob_path(layers[0].digest))


def _shown(value: Any) -> Any:
    if isinstance(value, ArrayInfo):
        element = VALUE_TYPES.get(value.element_type)
        return {"array": element.name if element else str(value.element_type), "length": value.length}
    return value
