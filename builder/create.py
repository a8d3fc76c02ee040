"""``build`` (Ollama's create pipeline): a Modelfile into layers, blobs and a manifest.

Modelfile -> create request (``request.py``, all checks first) -> base layers (local
GGUF files, or every layer of a model already in the store) -> Ollama's create rules
(TEMPLATE and SYSTEM replace, PARAMETERs merge, LICENSEs and ADAPTERs accumulate,
MESSAGEs replace) -> config blob -> blobs and manifest written under the store lock,
manifest last.  The same inputs give the same manifest bytes anywhere: nothing in them
depends on time, paths or the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from builder import layers as encode
from builder.conversion import convert, convert_lora
from builder.derived import DerivedCache
from builder.errors import BuildError, ConvertError, ModelNameError, QuantizeError, StoreError
from builder.events import Event, Progress
from builder.ggml_types import check_complete
from builder.hashcache import HashCache
from builder.humanize import human_number
from builder.manifest import (
    ADAPTER,
    CONFIG_MEDIA_TYPE,
    DRAFT,
    LICENSE,
    MESSAGES,
    MODEL,
    PARAMS,
    PROJECTOR,
    SYSTEM,
    TEMPLATE,
    Config,
    Layer,
    Manifest,
    file_type_name,
)
from builder.names import ModelName, parse_name
from builder.quantizer import QuantizeOptions, check, ensure_room, run
from builder.quantizer import options as quantize_options
from builder.request import BlobRef, CreateRequest, Source, create_request
from builder.store import Store, default_root, digest_of_bytes, hash_file
from modelfile.gguf_metadata import GGUFError, GGUFMetadata, read_metadata
from modelfile.ir import Modelfile
from modelfile.parser import parse_file
from modelfile.template.named import match
from modelfile.weights import Kind, inspect

WEIGHT_SUFFIXES = (".gguf", ".bin", ".safetensors", ".pth")
CONVERTED_SUFFIXES = (".json", ".safetensors", ".model", ".jinja", ".txt")
CONVERTER_VERSION = "mfc-convert-1"  # bump when the converter's output for the same input changes


@dataclass(frozen=True)
class BuildResult:
    name: str
    digest: str  # sha256 hex of the manifest: the model's ID
    layers: tuple[Layer, ...]
    config: Layer
    warnings: tuple[str, ...] = ()
    template: str | None = None  # the built-in template chosen for the GGUF, if any
    written: bool = True  # False for a dry run

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "digest": self.digest,
            "config": self.config.to_dict(),
            "layers": [layer.to_dict() for layer in self.layers],
            "warnings": list(self.warnings),
            "template": self.template,
            "written": self.written,
        }


@dataclass
class _Pending:
    """A layer still to be written: bytes, or a file with its (cached) digest."""

    media_type: str
    data: bytes | None = None
    path: Path | None = None
    digest: str = ""
    size: int = 0
    from_: str = ""
    meta: GGUFMetadata | None = None
    existed: bool = False  # the blob was in the store before this build
    stat: os.stat_result | None = None  # a file whose digest is not known yet: hashed as it is copied
    quantize: _Quantization | None = None  # to be quantized when written
    scratch: bool = False  # ``path`` is a file this build made (a conversion): removed afterwards
    derived_key: str = ""  # the conversion this layer came from, remembered once written
    source_digest: str = ""  # the digest before quantization
    quantized_done: bool = False  # already the quantized blob of an earlier build


@dataclass
class _Plan:
    layers: list[_Pending] = field(default_factory=list)
    parent_config: Config | None = None
    warnings: list[str] = field(default_factory=list)
    template: str | None = None


def build(
    modelfile: Modelfile | str | os.PathLike[str],
    name: str,
    *,
    store: Store | str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
    link: bool = False,
    quantize: QuantizeOptions | str | None = None,
) -> BuildResult:
    """Build ``modelfile`` (a path or a parsed Modelfile) as ``name`` in ``store``;
    ``quantize`` (a type such as ``"q4_K_M"``, or ``QuantizeOptions``) quantizes the
    model layers, once per source and options."""
    report: Progress = progress or (lambda event: None)
    parsed = modelfile if isinstance(modelfile, Modelfile) else parse_file(modelfile)
    target = parse_name(name)
    the_store = store if isinstance(store, Store) else Store(default_root(store))
    request = create_request(parsed)
    cache = HashCache(the_store.root)
    plan = _Plan(warnings=list(request.warnings))
    opts = None
    if quantize is not None:
        opts = quantize if isinstance(quantize, QuantizeOptions) else quantize_options(quantize)
    try:
        return _build(request, plan, target, the_store, cache, report, opts, dry_run, link)
    finally:
        for pending in plan.layers:
            if pending.scratch and pending.path is not None:
                pending.path.unlink(missing_ok=True)


def _build(
    request: CreateRequest,
    plan: _Plan,
    target: ModelName,
    the_store: Store,
    cache: HashCache,
    report: Progress,
    opts: QuantizeOptions | None,
    dry_run: bool,
    link: bool,
) -> BuildResult:
    if request.from_model is not None:
        _inherit(the_store, request, plan)
    else:
        _import_files(request, plan, the_store, cache, report, opts)
    if request.adapter is not None:
        plan.layers.append(_adapter_layer(request, plan, the_store, cache, report))
    for draft in request.drafts:
        pending = _weights_layer(draft, the_store, cache, report, command="DRAFT")
        pending.media_type = DRAFT
        plan.layers.append(pending)
    if opts is not None:
        _plan_quantization(plan, opts, the_store, cache, report)
    _apply_create_rules(request, plan, the_store)
    if dry_run:
        _hash_unknown(plan, cache, report)
        manifest = _manifest(plan, _config(request, plan))
        if any(p.quantize for p in plan.layers):
            plan.warnings.append(
                "the quantized model layer's digest (and so the model's ID) is known only after "
                "quantizing: the dry run shows the source's"
            )
            return _result(target, manifest, plan, written=False, digest="")
        return _result(target, manifest, plan, written=False)
    with the_store.locked():
        stored_name = the_store.resolve(target)
        previous = the_store.find_optional(stored_name)
        created: list[Path] = []
        try:
            for pending in plan.layers:
                _write(the_store, pending, link, report, cache)
                if not pending.existed:
                    created.append(the_store.blob_path(pending.digest))
            config = _config(request, plan)  # from the layers as written (a quantized model has a new file type)
            config_layer = Layer(CONFIG_MEDIA_TYPE, *_digest_bytes(config))
            if not the_store.has_blob(config_layer.digest):
                created.append(the_store.blob_path(config_layer.digest))
            the_store.add_bytes(config)
            manifest = Manifest(config_layer, tuple(_as_layer(p) for p in plan.layers))
            for pending in plan.layers:
                report(Event(f"{'using existing' if pending.existed else 'creating new'} layer {pending.digest}"))
            report(Event("writing manifest"))
            digest = the_store.write_manifest(stored_name, manifest)
        except BaseException:
            for path in created:  # leave the store as it was
                path.unlink(missing_ok=True)
            raise
        if previous is not None and previous.digest != digest:
            the_store.remove_unused(previous.manifest)  # as Ollama does when a name is rebuilt
        cache.save()
        DerivedCache(the_store.root, "quantized").remember(
            {p.quantize.key: p.digest for p in plan.layers if p.quantize}
        )
        DerivedCache(the_store.root, "converted").remember(
            {p.derived_key: p.source_digest or p.digest for p in plan.layers if p.derived_key}
        )
    report(Event("success"))
    return _result(stored_name, manifest, plan, digest=digest)


# ---- sources ------------------------------------------------------------------------------


def _inherit(store: Store, request: CreateRequest, plan: _Plan) -> None:
    """``FROM <model>``: every layer of the parent, each marked ``from`` = the parent."""
    source, at = request.from_model or "", request.from_where
    looks_like_path = source.startswith((".", "/", "~")) or source.lower().endswith(WEIGHT_SUFFIXES)
    try:
        parent = store.find(source)
    except ModelNameError:
        if looks_like_path or os.sep in source:
            raise BuildError(f"{at}: FROM {source}: no such file ({request.from_path})") from None
        raise BuildError(f"{at}: FROM {source}: neither a file nor a valid model name") from None
    except StoreError as error:
        if looks_like_path:
            raise BuildError(f"{at}: FROM {source}: no such file ({request.from_path})") from None
        raise BuildError(f"{at}: FROM {source}: {error} (mfc builds from local models; it does not pull)") from None
    shortname = parent.name.display()
    for layer in parent.manifest.layers:
        meta = _gguf(store.blob_path(layer.digest)) if layer.media_type in (MODEL, PROJECTOR) else None
        plan.layers.append(_Pending(layer.media_type, digest=layer.digest, size=layer.size, from_=shortname, meta=meta))
    plan.parent_config = Config.decode(store.read_blob(parent.manifest.config.digest))


def _import_files(
    request: CreateRequest, plan: _Plan, store: Store, cache: HashCache, report: Progress, opts: QuantizeOptions | None
) -> None:
    for path in request.files:
        if isinstance(path, BlobRef):
            plan.layers.append(_weights_layer(path, store, cache, report))
            continue
        weights = inspect(path)
        if weights.kind is Kind.GGUF_DIR and weights.problem is None:
            files = sorted(path.glob("*.gguf")) or sorted(path.glob("*.bin"))
        elif weights.kind is Kind.GGUF:
            files = [path]
        elif weights.kind is Kind.SAFETENSORS_DIR and weights.problem is None:
            pending = _converted_layer(path, store, cache, report, opts)
            plan.layers.append(pending)
            _autodetect_template(pending, plan, report)
            continue
        elif weights.kind is Kind.PYTORCH_DIR and weights.problem is None:
            raise BuildError(
                f"FROM {path}: PyTorch .bin checkpoints are not converted (they can run code when "
                "loaded); save the model as safetensors"
            )
        else:
            raise BuildError(f"FROM {path}: {weights.problem or 'not a GGUF file'}")
        for file in files:
            report(Event("parsing GGUF"))
            pending = _weights_layer(file, store, cache, report)
            plan.layers.append(pending)
            _autodetect_template(pending, plan, report)


def _weights_layer(
    source: Source, store: Store, cache: HashCache, report: Progress, *, command: str = "FROM"
) -> _Pending:
    if isinstance(source, BlobRef):
        blob = store.blob_path(source.digest)
        if not blob.is_file():
            raise BuildError(f"{source.at}: {source.digest}: no such blob in {store.blobs}")
        meta = _gguf(blob)
        return _Pending(_media_type(meta), digest=source.digest, size=blob.stat().st_size, meta=meta)
    path = source
    if path.is_dir():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) != 1:
            raise BuildError(
                f"{command} {path}: expected one GGUF file in the folder, found {len(ggufs)} "
                "(safetensors folders are not supported yet)"
            )
        path = ggufs[0]
    meta = _gguf(path)
    stat = path.stat()
    digest = cache.lookup(path, stat)
    if digest is not None:
        return _Pending(_media_type(meta), path=path, digest=digest, size=stat.st_size, meta=meta)
    return _Pending(_media_type(meta), path=path, size=stat.st_size, meta=meta, stat=stat)


def _hash_unknown(plan: _Plan, cache: HashCache, report: Progress) -> None:
    """A dry run needs every digest without copying anything: hash what is not known."""
    for pending in plan.layers:
        if pending.path is not None and not pending.digest:
            _hash_now(pending, cache, report)


def _hash_now(pending: _Pending, cache: HashCache, report: Progress) -> None:
    assert pending.path is not None
    pending.digest, pending.size = _digest_reported(pending.path, None if pending.scratch else cache, report)
    pending.stat = None


def _digest_reported(path: Path, cache: HashCache | None, report: Progress) -> tuple[str, int]:
    """A file's digest (remembered in ``cache``, unless None), with progress."""
    status, total = f"hashing {path.name}", path.stat().st_size

    def hashing(done: int) -> None:
        report(Event(status, total, done))

    return cache.digest(path, hashing) if cache is not None else hash_file(path, hashing)


def _gguf(path: Path) -> GGUFMetadata:
    try:
        meta = read_metadata(path, tensors=True)
        check_complete(meta)
        return meta
    except GGUFError as error:
        raise BuildError(f"corrupt GGUF: {error}") from None
    except OSError as error:
        raise BuildError(f"cannot read {path}: {error.strerror}") from None


def _media_type(meta: GGUFMetadata) -> str:
    """Ollama's choice from the GGUF's keys: a projector (clip/mmproj), a LoRA adapter,
    else a model."""
    kind = meta.metadata.get("general.type")
    vision_only = any(k.endswith("vision.block_count") for k in meta.metadata) and (
        f"{meta.architecture}.block_count" not in meta.metadata
    )
    if kind in ("projector", "mmproj") or meta.architecture == "clip" or vision_only:
        return PROJECTOR
    if kind == "adapter":
        return ADAPTER
    return MODEL


def _autodetect_template(pending: _Pending, plan: _Plan, report: Progress) -> None:
    """Ollama's import: a GGUF chat template Named() recognises brings the built-in Go
    template and its stop sequences."""
    chat_template = pending.meta.metadata.get("tokenizer.chat_template") if pending.meta else None
    if not isinstance(chat_template, str) or pending.media_type != MODEL:
        return
    found = match(chat_template)
    if found is None:
        plan.warnings.append(
            "the GGUF's chat template matches none of Ollama's built-in templates: "
            "Ollama will render it natively; add a TEMPLATE for mfc run and older Ollama"
        )
        return
    report(Event(f"using autodetected template {found.name}"))
    plan.template = found.name
    plan.layers.append(_Pending(TEMPLATE, data=encode.text(found.template)))
    if found.stop:
        plan.layers.append(_Pending(PARAMS, data=encode.params({"stop": list(found.stop)})))


# ---- conversion ---------------------------------------------------------------------------


def _converted_layer(
    folder: Path, store: Store, cache: HashCache, report: Progress, opts: QuantizeOptions | None
) -> _Pending:
    """``FROM ./hf-folder``: the GGUF converted by an earlier build from the same files (or
    its quantized result), else a conversion into a scratch file in the store."""
    key = _inputs_key(folder, cache, report, "model")
    converted = DerivedCache(store.root, "converted").get(key)
    if converted is not None and store.has_blob(converted):
        report(Event(f"using the GGUF converted before from {folder.name}"))
        return _blob_layer(store, converted)
    if converted is not None and opts is not None:
        quantized = DerivedCache(store.root, "quantized").get(opts.cache_key(converted))
        if quantized is not None and store.has_blob(quantized):
            report(Event(f"using the {opts.type.name} model quantized before from {folder.name}"))
            pending = _blob_layer(store, quantized)
            pending.quantized_done = True
            return pending
    return _scratch_layer(
        store,
        MODEL,
        "converting model",
        key,
        f"FROM {folder}",
        report,
        lambda scratch, progress: convert(folder, scratch, durable=True, progress=progress),
    )


def _adapter_layer(request: CreateRequest, plan: _Plan, store: Store, cache: HashCache, report: Progress) -> _Pending:
    """``ADAPTER``: a GGUF LoRA, or a PEFT folder converted against the base model (the
    FROM folder, or the model layer's GGUF)."""
    adapter = request.adapter
    assert adapter is not None
    if isinstance(adapter, BlobRef) or not (adapter / "adapter_config.json").is_file():
        return _weights_layer(adapter, store, cache, report, command="ADAPTER")
    base: Path | None = next((f for f in request.files if isinstance(f, Path) and (f / "config.json").is_file()), None)
    models = [p for p in plan.layers if p.media_type == MODEL]
    if base is None and models:
        base = models[-1].path or store.blob_path(models[-1].digest)
    if base is None:
        raise BuildError(f"ADAPTER {adapter}: no base model to convert the adapter for")
    key = _inputs_key(adapter, cache, report, f"adapter for {_base_identity(base, cache)}")
    known = DerivedCache(store.root, "converted").get(key)
    if known is not None and store.has_blob(known):
        return _blob_layer(store, known)
    return _scratch_layer(
        store,
        ADAPTER,
        "converting adapter",
        key,
        f"ADAPTER {adapter}",
        report,
        lambda scratch, progress: convert_lora(adapter, base, scratch, durable=True, progress=progress),
    )


def _scratch_layer(
    store: Store,
    media_type: str,
    status: str,
    key: str,
    what: str,
    report: Progress,
    produce: Callable[[Path, Callable[[int, int], None]], object],
) -> _Pending:
    """A layer converted into a scratch file in the store (hard-linked into blobs/ when
    written, removed after the build), remembered under ``key``."""
    folder = store.root / ".mfc" / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / f"{media_type.rsplit('.', 1)[-1]}-{os.getpid()}-{time.monotonic_ns()}.gguf"
    try:
        produce(scratch, lambda done, total: report(Event(status, total, done, "tensors")))
    except ConvertError as error:
        raise BuildError(f"{what}: {error}") from None
    return _Pending(
        media_type,
        path=scratch,
        size=scratch.stat().st_size,
        meta=_gguf(scratch),
        scratch=True,
        stat=scratch.stat(),
        derived_key=key,
    )


def _inputs_key(folder: Path, cache: HashCache, report: Progress, what: str) -> str:
    """One key for a folder's conversion: the digests of every file that feeds it, the
    kind of conversion, and the converter's version."""
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix in CONVERTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    digests = {}
    for path in files:
        digests[path.relative_to(folder).as_posix()] = _digest_reported(path, cache, report)[0]
    fields = {"what": what, "files": digests, "converter": CONVERTER_VERSION}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _base_identity(base: Path, cache: HashCache) -> str:
    if base.is_dir():
        return cache.digest(base / "config.json")[0]
    return cache.digest(base)[0]


def _blob_layer(store: Store, digest: str) -> _Pending:
    blob = store.blob_path(digest)
    meta = _gguf(blob)
    return _Pending(_media_type(meta), digest=digest, size=blob.stat().st_size, meta=meta)


# ---- quantization ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Quantization:
    source: Path
    source_type: str
    options: QuantizeOptions
    key: str


def _plan_quantization(plan: _Plan, opts: QuantizeOptions, store: Store, cache: HashCache, report: Progress) -> None:
    """Each model layer: the quantized blob from an earlier build with the same source and
    options, or everything checked now (before any work) and quantized when written."""
    quantized = DerivedCache(store.root, "quantized")
    for pending in plan.layers:
        if pending.media_type != MODEL or pending.quantized_done:
            continue
        if not pending.digest:
            _hash_now(pending, cache, report)  # the digest keys the quantized result
        pending.source_digest = pending.digest
        source = pending.path if pending.path is not None else store.blob_path(pending.digest)
        key = opts.cache_key(pending.digest)
        known = quantized.get(key)
        if known is not None and store.has_blob(known):
            report(Event(f"using the {opts.type.name} model quantized before"))
            blob = store.blob_path(known)
            pending.path, pending.digest, pending.size = None, known, blob.stat().st_size
            pending.meta, pending.from_ = _gguf(blob), ""
            continue
        try:
            estimate = check(source, opts)
            ensure_room(
                store.root if store.root.exists() else store.root.parent,
                estimate.output_bytes,
                f"the {opts.type.name} model",
            )
        except QuantizeError as error:
            raise BuildError(f"--quantize {opts.type.name}: {error}") from None
        plan.warnings += estimate.warnings
        pending.quantize = _Quantization(source, estimate.source_type, opts, key)


def _write_quantized(store: Store, pending: _Pending, report: Progress) -> None:
    job = pending.quantize
    assert job is not None
    status = f"quantizing {job.source_type} model to {job.options.type.name}"
    report(Event(status))

    def produce(temp: Path) -> None:
        try:
            run(job.source, temp, job.options, lambda done, total: report(Event(status, total, done, "tensors")))
        except QuantizeError as error:
            raise BuildError(str(error)) from None

    pending.digest, pending.size, created = store.add_generated(produce)
    pending.existed = not created
    pending.path, pending.from_ = None, ""
    pending.meta = _gguf(store.blob_path(pending.digest))


# ---- Ollama's create rules ----------------------------------------------------------------


def _apply_create_rules(request: CreateRequest, plan: _Plan, store: Store) -> None:
    layers = plan.layers
    if request.template:
        layers[:] = [p for p in layers if p.media_type != TEMPLATE]
        layers.append(_Pending(TEMPLATE, data=encode.text(request.template)))
    if request.system:
        layers[:] = [p for p in layers if p.media_type != SYSTEM]
        layers.append(_Pending(SYSTEM, data=encode.text(request.system)))
    for text in request.licenses:
        layers.append(_Pending(LICENSE, data=encode.text(text)))
    inherited: dict[str, object] = {}
    for pending in [p for p in layers if p.media_type == PARAMS]:
        data = pending.data if pending.data is not None else store.read_blob(pending.digest)
        inherited.update(encode.decode_params(data))
    merged = encode.merge_params(inherited, request.parameters)
    if merged:
        layers[:] = [p for p in layers if p.media_type != PARAMS]
        layers.append(_Pending(PARAMS, data=encode.params(merged)))
    if request.messages:
        layers[:] = [p for p in layers if p.media_type != MESSAGES]
        layers.append(_Pending(MESSAGES, data=encode.messages(request.messages)))
    for pending in layers:
        if pending.data is not None:
            pending.digest, pending.size = _digest_bytes(pending.data)


def _digest_bytes(data: bytes) -> tuple[str, int]:
    return digest_of_bytes(data), len(data)


def _config(request: CreateRequest, plan: _Plan) -> bytes:
    models = [p for p in plan.layers if p.media_type == MODEL and p.meta is not None]
    last = models[-1].meta if models else None
    parent = plan.parent_config or Config()
    config = Config(
        model_format=parent.model_format or "gguf",
        model_family=(last.architecture or "") if last else "",
        model_families=tuple(m.meta.architecture or "" for m in models if m.meta) or None,
        model_type=human_number(last.parameter_count) if last else "",
        file_type=file_type_name(last.file_type) if last else "",
        renderer=request.renderer or parent.renderer,
        parser=request.parser or parent.parser,
        requires=request.requires or parent.requires,
        capabilities=parent.capabilities,
    )
    return config.encode()


# ---- writing --------------------------------------------------------------------------------


def _write(store: Store, pending: _Pending, link: bool, report: Progress, cache: HashCache) -> None:
    if pending.quantize is not None:
        _write_quantized(store, pending, report)
        return
    if pending.path is None:
        pending.existed = store.has_blob(pending.digest)
        if pending.data is not None:
            store.add_bytes(pending.data)
        elif not pending.existed:
            raise BuildError(f"blob {pending.digest} is missing from the store")
        return
    path = pending.path

    def copying(done: int) -> None:
        report(Event(f"copying {path.name}", pending.size, done))

    pending.digest, pending.size, created = store.add_file(
        path, pending.digest or None, link=link or pending.scratch, progress=copying
    )
    pending.existed = not created
    if pending.scratch:
        return  # a conversion's scratch file: removed after the build, not worth remembering
    if pending.stat is not None:
        cache.remember(path, pending.digest, pending.stat)
    if os.path.samefile(path, store.blob_path(pending.digest)):
        cache.remember(path, pending.digest)  # a hard-linked blob: touching it changed the file's mtime


def _as_layer(pending: _Pending) -> Layer:
    return Layer(pending.media_type, pending.digest, pending.size, pending.from_)


def _manifest(plan: _Plan, config: bytes) -> Manifest:
    digest, size = _digest_bytes(config)
    return Manifest(Layer(CONFIG_MEDIA_TYPE, digest, size), tuple(_as_layer(p) for p in plan.layers))


def _result(
    name: ModelName, manifest: Manifest, plan: _Plan, *, digest: str | None = None, written: bool = True
) -> BuildResult:
    return BuildResult(
        name=name.display(),
        digest=hashlib.sha256(manifest.encode()).hexdigest() if digest is None else digest,
        layers=manifest.layers,
        config=manifest.config,
        warnings=tuple(plan.warnings),
        template=plan.template,
        written=written,
    )
