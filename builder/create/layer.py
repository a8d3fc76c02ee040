"""The layers a build plans, and where each one's bytes come from.

A ``Planned`` layer is a media type, a source, and what is known of it (its GGUF
metadata, the model it was inherited from).  The source's type says how its blob gets
into the store, so writing is one match on it:

- ``BytesSource``: bytes made here (template, system, params, messages, license);
- ``FileSource``: a local file, copied (or linked) in; its digest comes from the hash
  cache, or is taken while it is copied;
- ``BlobSource``: a blob already in the store (inherited, ``FROM sha256:…``, or what an
  earlier build converted); ``QuantizedBlob``, one an earlier build quantized with this
  build's options: final;
- ``ConvertedSource``: a GGUF this build converted into a scratch file in the store;
- ``QuantizeSource``: a quantization to run when the layer is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from builder.errors import BuildError
from builder.ggml_types import check_complete
from builder.manifest import ADAPTER, MODEL, PROJECTOR, Layer
from builder.store import digest_of_bytes
from modelfile.adapters import gguf_kind
from modelfile.gguf_metadata import GGUFError, GGUFMetadata, read_metadata

if TYPE_CHECKING:  # the quantizer (and numpy) load only when a build quantizes
    from builder.quantizer import QuantizeOptions

MEDIA_TYPES = {"model": MODEL, "adapter": ADAPTER, "projector": PROJECTOR}


@dataclass(frozen=True)
class BytesSource:
    """Bytes this build made: a template, system prompt, license, params or messages."""

    data: bytes

    @cached_property
    def digest(self) -> str:
        return digest_of_bytes(self.data)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class FileSource:
    """A local file.  ``digest`` is empty until known: the hash cache knew it, or it is
    taken while the file is copied; ``stat`` is the file as seen before reading it (the
    hash cache's key)."""

    path: Path
    stat: os.stat_result
    digest: str = ""

    @property
    def size(self) -> int:
        return self.stat.st_size


@dataclass(frozen=True)
class BlobSource:
    """A blob already in the store."""

    digest: str
    size: int


@dataclass(frozen=True)
class QuantizedBlob(BlobSource):
    """A blob an earlier build quantized from this layer's source with this build's
    options: already final, not quantized again."""


@dataclass(frozen=True)
class ConvertedSource:
    """A GGUF this build converted into ``path``, a scratch file in the store (linked into
    ``blobs/`` when written, removed after the build); remembered under ``key`` (its
    inputs) once written.  ``label`` names it in progress and errors, as the user knows
    it (``model converted from hf-folder``): the scratch file's name means nothing to
    them.  ``digest`` is empty until hashed."""

    path: Path
    size: int
    key: str
    label: str
    digest: str = ""


@dataclass(frozen=True)
class QuantizeSource:
    """A quantization of the GGUF at ``path`` to run when the layer is written, and
    remembered under ``key`` (source digest and options).  Until then the layer stands
    for its source (a dry run shows the source's digest).  ``converted_key``: the
    conversion the source came from, remembered as ``digest`` once the build is done.
    ``label``: the source as errors name it (a file the user gave, or what a conversion
    or an inherited layer is to them)."""

    path: Path
    digest: str  # the source's
    size: int  # the source's
    source_type: str  # e.g. F16
    options: QuantizeOptions
    key: str
    converted_key: str = ""
    label: str = ""


Source = BytesSource | FileSource | BlobSource | ConvertedSource | QuantizeSource


@dataclass(frozen=True)
class Planned:
    """One layer of the model to be: its media type, where its bytes come from, the
    model it was inherited from (``from`` in the manifest) and, for GGUF layers, their
    metadata."""

    media_type: str
    source: Source
    from_: str = ""
    meta: GGUFMetadata | None = None

    @property
    def layer(self) -> Layer:
        """The manifest entry as far as it is known now."""
        return Layer(self.media_type, self.source.digest, self.source.size, self.from_)


def describe(source: Source) -> str:
    """How messages name a GGUF layer's source: the user's file, what a conversion made
    (never its scratch file), or the blob's digest."""
    if isinstance(source, ConvertedSource | QuantizeSource) and source.label:
        return source.label
    if isinstance(source, FileSource | QuantizeSource):
        return str(source.path)
    return f"the model layer {source.digest}"


def read_gguf(path: Path) -> GGUFMetadata:
    """A GGUF's metadata and tensor table, checked complete (a truncated download must
    not become a model)."""
    try:
        meta = read_metadata(path, tensors=True)
        check_complete(meta)
        return meta
    except GGUFError as error:
        raise BuildError(f"corrupt GGUF: {error}") from None
    except OSError as error:
        raise BuildError(f"cannot read {path}: {error.strerror}") from None


def media_type_of(meta: GGUFMetadata) -> str:
    """The layer Ollama's create makes of a GGUF: model, adapter or projector."""
    return MEDIA_TYPES[gguf_kind(meta)]
