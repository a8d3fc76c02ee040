"""Where a build's weights come from: FROM (local GGUF files and folders, Hugging Face
folders to convert, blobs, or every layer of a model in the store), ADAPTER and DRAFT;
and Ollama's template autodetection for an imported GGUF."""

from __future__ import annotations

import os
from pathlib import Path

from builder import layers as encode
from builder.create.derived import converted_adapter, converted_model
from builder.create.layer import BlobSource, BytesSource, FileSource, Planned, media_type_of, read_gguf
from builder.create.session import BuildSession
from builder.errors import BuildError, ModelNameError, StoreError
from builder.events import Event
from builder.manifest import MODEL, PARAMS, PROJECTOR, TEMPLATE, Config
from builder.request import BlobRef, CreateRequest, Source
from modelfile.adapters import adapter_problem
from modelfile.paths import looks_like_path
from modelfile.weights import Kind, inspect


def inherit(session: BuildSession, request: CreateRequest) -> None:
    """``FROM <model>``: every layer of the parent, each marked ``from`` = the parent.
    Whether a missing name was meant as a file is Ollama's rule (``looks_like_path``)."""
    source, at = request.from_model or "", request.from_where
    store = session.store
    try:
        parent = store.find(source)
    except ModelNameError:
        if looks_like_path(source) or os.sep in source:
            raise BuildError(f"FROM {source}: no such file ({request.from_path})", at=at) from None
        raise BuildError(f"FROM {source}: neither a file nor a valid model name", at=at) from None
    except StoreError as error:
        if looks_like_path(source):
            raise BuildError(f"FROM {source}: no such file ({request.from_path})", at=at) from None
        raise BuildError(f"FROM {source}: {error} (mfc builds from local models; it does not pull)", at=at) from None
    shortname = parent.name.display()
    for layer in parent.manifest.layers:
        meta = read_gguf(store.blob_path(layer.digest)) if layer.media_type in (MODEL, PROJECTOR) else None
        session.layers.append(Planned(layer.media_type, BlobSource(layer.digest, layer.size), shortname, meta))
    session.parent_config = Config.decode(store.read_blob(parent.manifest.config.digest))


def import_files(session: BuildSession, request: CreateRequest) -> None:
    """``FROM ./file.gguf``, a folder of GGUF files, a Hugging Face folder (converted) or
    ``FROM sha256:<hex>``, in the Modelfile's order."""
    for path in request.files:
        if isinstance(path, BlobRef):
            if path.detect:
                session.report(Event("parsing GGUF"))
            planned = weights_layer(session, path)
            session.layers.append(planned)
            if path.detect:
                autodetect_template(session, planned, replaced=bool(request.template))
            continue
        weights = inspect(path)
        if weights.kind is Kind.GGUF_DIR and weights.problem is None:
            files = sorted(path.glob("*.gguf")) or sorted(path.glob("*.bin"))
        elif weights.kind is Kind.GGUF:
            files = [path]
        elif weights.kind is Kind.SAFETENSORS_DIR and weights.problem is None:
            planned = converted_model(session, path)
            session.layers.append(planned)
            autodetect_template(session, planned, replaced=bool(request.template))
            continue
        elif weights.kind is Kind.PYTORCH_DIR and weights.problem is None:
            raise BuildError(
                f"FROM {path}: PyTorch .bin checkpoints are not converted (they can run code when "
                "loaded); save the model as safetensors"
            )
        else:
            raise BuildError(f"FROM {path}: {weights.problem or 'not a GGUF file'}")
        for file in files:
            session.report(Event("parsing GGUF"))
            planned = weights_layer(session, file)
            session.layers.append(planned)
            autodetect_template(session, planned, replaced=bool(request.template))


def weights_layer(
    session: BuildSession, source: Source, *, command: str = "FROM", media_type: str | None = None
) -> Planned:
    """A GGUF file (or a folder holding one) or a blob, as a layer of the media type its
    keys say (or ``media_type``); a file's digest comes from the hash cache if known."""
    if isinstance(source, BlobRef):
        blob = session.store.blob_path(source.digest)
        if not blob.is_file():
            raise BuildError(f"{source.digest}: no such blob in {session.store.blobs}", at=source.at)
        meta = read_gguf(blob)
        return Planned(media_type or media_type_of(meta), BlobSource(source.digest, blob.stat().st_size), meta=meta)
    path = source
    if path.is_dir():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) != 1:
            raise BuildError(
                f"{command} {path}: expected one GGUF file in the folder, found {len(ggufs)} "
                "(safetensors folders are not supported yet)"
            )
        path = ggufs[0]
    meta = read_gguf(path)
    stat = path.stat()
    digest = session.hashes.lookup(path, stat) or ""
    return Planned(media_type or media_type_of(meta), FileSource(path, stat, digest), meta=meta)


def adapter_layer(session: BuildSession, request: CreateRequest) -> Planned:
    """``ADAPTER``: a GGUF LoRA, or a PEFT folder converted against the base model (the
    FROM folder, or the model layer's GGUF); refused when llama.cpp could never apply
    it to the model (a whole model, or a LoRA for another architecture)."""
    adapter = request.adapter
    assert adapter is not None
    if isinstance(adapter, BlobRef) or not (adapter / "adapter_config.json").is_file():
        planned = weights_layer(session, adapter, command="ADAPTER")
    else:
        base = next((f for f in request.files if isinstance(f, Path) and (f / "config.json").is_file()), None)
        models = session.models()
        if base is None and models:
            base = session.gguf_path(models[-1])
        if base is None:
            raise BuildError(f"ADAPTER {adapter}: no base model to convert the adapter for")
        planned = converted_adapter(session, adapter, base)
    _check_adapter(session, request, planned)
    return planned


def _check_adapter(session: BuildSession, request: CreateRequest, planned: Planned) -> None:
    models = [p.meta for p in session.models() if p.meta is not None]
    base = models[-1].architecture if models else None
    problem = adapter_problem(planned.meta, base) if planned.meta is not None else None
    if problem:
        raise BuildError(f"ADAPTER {request.adapter_value} {problem}", at=request.adapter_where)


def autodetect_template(session: BuildSession, planned: Planned, *, replaced: bool = False) -> None:
    """Ollama's import: a GGUF chat template Named() recognises brings the built-in Go
    template and its stop sequences.  With ``replaced`` (the Modelfile has a TEMPLATE,
    which replaces that layer) the layers are made all the same, as Ollama makes them, but
    the build neither says nor reports that it uses the built-in template."""
    chat_template = planned.meta.metadata.get("tokenizer.chat_template") if planned.meta else None
    if not isinstance(chat_template, str) or planned.media_type != MODEL:
        return
    from modelfile.template.named import match  # the template machinery loads only when needed

    found = match(chat_template)
    if found is None and replaced:
        return
    if found is None:
        session.warnings.append(
            "the GGUF's chat template matches none of Ollama's built-in templates: "
            "Ollama will render it natively; add a TEMPLATE for mfc run and older Ollama"
        )
        return
    session.template = found.name  # announced once the create rules keep it
    session.layers.append(Planned(TEMPLATE, BytesSource(encode.text(found.template))))
    if found.stop:
        session.layers.append(Planned(PARAMS, BytesSource(encode.params({"stop": list(found.stop)}))))
