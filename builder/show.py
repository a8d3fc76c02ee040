"""What ``mfc show`` prints about a stored model: its parts, Ollama's ``/api/show``
fields, and a Modelfile that rebuilds it.

Ollama's ``show --modelfile`` points FROM at blob paths and prints PARAMETERs in map
order, so building its output gives another model.  ``modelfile_text`` instead tries
the spellings that can reproduce the model (``FROM <parent>`` plus what the child
added; ``FROM sha256:<blob>`` lines plus every command; a blob path when the template
was autodetected) and keeps the first whose dry-run build gives the same manifest
digest.  The header says whether it does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from builder.errors import BuildError, StoreError
from builder.manifest import (
    ADAPTER,
    DRAFT,
    LICENSE,
    MESSAGES,
    MODEL,
    PARAMS,
    PROJECTOR,
    PROMPT,
    SYSTEM,
    TEMPLATE,
    Config,
    Layer,
)
from builder.store import Store, StoredModel
from modelfile.errors import ModelfileError
from modelfile.formatter import quote_value
from modelfile.gguf_metadata import ArrayInfo, GGUFError, GGUFMetadata, read_metadata
from modelfile.template.goprint import format_float, go_quote
from modelfile.template.named import match

WEIGHTS = (MODEL, PROJECTOR, ADAPTER, DRAFT)


@dataclass(frozen=True)
class ModelView:
    """A stored model, read: its manifest and the contents of its small layers."""

    model: StoredModel
    config: Config
    template: str | None
    system: str | None
    parameters: dict[str, Any]
    licenses: tuple[str, ...]
    messages: tuple[dict[str, Any], ...]

    @property
    def name(self) -> str:
        return self.model.name.display()


def load(store: Store, name: str) -> ModelView:
    model = store.find(name)
    manifest = model.manifest

    def text(media_types: tuple[str, ...]) -> str | None:
        found = [layer for layer in manifest.layers if layer.media_type in media_types]
        return _text(store, found[-1]) if found else None

    parameters: dict[str, Any] = {}
    for layer in manifest.layers_of(PARAMS):
        parameters.update(_json(store, layer, dict))
    messages: list[dict[str, Any]] = []
    for layer in manifest.layers_of(MESSAGES):
        messages = _json(store, layer, list)
    return ModelView(
        model=model,
        config=Config.decode(store.read_blob(manifest.config.digest)),
        template=text((TEMPLATE, PROMPT)),
        system=text((SYSTEM,)),
        parameters=parameters,
        licenses=tuple(_text(store, layer) for layer in manifest.layers_of(LICENSE)),
        messages=tuple(messages),
    )


def _text(store: Store, layer: Layer) -> str:
    return store.read_blob(layer.digest).decode("utf-8", errors="replace")


def _json(store: Store, layer: Layer, kind: type) -> Any:
    try:
        value = json.loads(store.read_blob(layer.digest))
    except ValueError as error:
        raise StoreError(f"blob {layer.digest} ({layer.media_type}) is not valid JSON: {error}") from None
    if not isinstance(value, kind):
        raise StoreError(f"blob {layer.digest} ({layer.media_type}) is not a JSON {kind.__name__}")
    return value


# ---- parameters ------------------------------------------------------------------------------


def parameter_value(value: Any) -> str:
    """A JSON-decoded parameter as a PARAMETER value: what reads back to the same JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return quote_value(str(value))


def parameter_lines(parameters: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(name, value) per PARAMETER line, names sorted, list values one line each."""
    for key in sorted(parameters):
        value = parameters[key]
        for item in value if isinstance(value, list) else [value]:
            yield key, item


def parameters_text(parameters: dict[str, Any]) -> str:
    """Ollama's ``show --parameters``: ``%-30s %#v`` per value (sorted, where Ollama's order is random)."""
    lines = []
    for key, value in parameter_lines(parameters):
        if isinstance(value, bool):
            shown = "true" if value else "false"
        elif isinstance(value, (int, float)):
            shown = format_float(float(value), "g")  # Go decodes JSON numbers as float64
        else:
            shown = go_quote(str(value))
        lines.append(f"{key:<30} {shown}")
    return "\n".join(lines)


# ---- the Modelfile ----------------------------------------------------------------------------

Verify = Callable[[str], str]  # Modelfile text -> the manifest digest a dry-run build gives


def modelfile_text(view: ModelView, store: Store, verify: Verify | None = None) -> str:
    """A Modelfile that rebuilds ``view``'s model: the first candidate that ``verify``
    (a dry-run build) confirms, else the plainest one with a note saying so."""
    plain = _from_blobs(view)
    candidates = [body for body in (_from_parent(view, store), plain, _from_paths(view, store)) if body]
    if verify is not None:
        for body in candidates:
            try:
                digest = verify(body)
            except (BuildError, StoreError, ModelfileError):
                continue
            if digest == view.model.digest:
                same = f"# `mfc build` rebuilds it as the same model ({view.model.digest[:12]}).\n"
                return _header(view, same) + body
    if not candidates:
        raise StoreError(f"{view.name}: no Modelfile spelling reproduces this model (a value Modelfiles cannot quote)")
    note = "# Note: no Modelfile rebuilds this model's exact layers; this one gives the same parts.\n"
    return _header(view, note if verify is not None else "") + (plain or candidates[0])


def _header(view: ModelView, note: str) -> str:
    return f'# Modelfile generated by "mfc show" for {view.name}\n{note}\n'


def _from_parent(view: ModelView, store: Store) -> str | None:
    """``FROM <parent>`` and the commands for the layers the child added."""
    parents = {layer.from_ for layer in view.model.manifest.layers if layer.from_}
    if len(parents) != 1:
        return None
    parent = parents.pop()
    try:
        store.find(parent)
    except StoreError:
        return None
    own = [layer for layer in view.model.manifest.layers if not layer.from_]
    kinds = {layer.media_type for layer in own}
    lines = [f"FROM {parent}"]
    lines += _weight_lines([layer for layer in own if layer.media_type in (ADAPTER, DRAFT)])
    return _commands(view, lines, kinds, parent_config=_parent_config(store, parent))


def _parent_config(store: Store, parent: str) -> Config | None:
    try:
        return Config.decode(store.read_blob(store.find(parent).manifest.config.digest))
    except (StoreError, ValueError):
        return None


def _from_blobs(view: ModelView) -> str | None:
    """``FROM sha256:<blob>`` for each weights layer in order, then every command."""
    weights = [layer for layer in view.model.manifest.layers if layer.media_type in WEIGHTS]
    if not weights:
        return None
    kinds = {layer.media_type for layer in view.model.manifest.layers}
    return _commands(view, _weight_lines(weights), kinds)


def _from_paths(view: ModelView, store: Store) -> str | None:
    """For a model imported from a GGUF whose template was autodetected: FROM the blob's
    path (an import, so autodetection runs again) and no TEMPLATE."""
    layers = view.model.manifest.layers
    models = [layer for layer in layers if layer.media_type == MODEL]
    if not models or view.template is None:
        return None
    try:
        meta: GGUFMetadata = read_metadata(store.blob_path(models[-1].digest))
    except (GGUFError, OSError):
        return None
    chat_template = meta.metadata.get("tokenizer.chat_template")
    found = match(chat_template) if isinstance(chat_template, str) else None
    if found is None or found.template != view.template:
        return None
    lines = []
    for layer in layers:
        if layer.media_type in (MODEL, PROJECTOR):
            lines.append(f"FROM {store.blob_path(layer.digest)}")
    lines += _weight_lines([layer for layer in layers if layer.media_type in (ADAPTER, DRAFT)])
    kinds = {layer.media_type for layer in layers} - {TEMPLATE, PROMPT}
    return _commands(view, lines, kinds)


def _weight_lines(layers: list[Layer]) -> list[str]:
    keyword = {MODEL: "FROM", PROJECTOR: "FROM", ADAPTER: "ADAPTER", DRAFT: "DRAFT"}
    return [f"{keyword[layer.media_type]} {layer.digest}" for layer in layers]


def _commands(view: ModelView, lines: list[str], kinds: set[str], parent_config: Config | None = None) -> str | None:
    """The non-weights commands for the layer kinds in ``kinds``; None if a value cannot
    be written as a Modelfile value."""
    config = view.config
    base = parent_config or Config()
    try:
        if kinds & {TEMPLATE, PROMPT} and view.template:
            lines.append(f"TEMPLATE {quote_value(view.template)}")
        if SYSTEM in kinds and view.system:
            lines.append(f"SYSTEM {quote_value(view.system)}")
        for keyword, value, inherited in (
            ("RENDERER", config.renderer, base.renderer),
            ("PARSER", config.parser, base.parser),
            ("REQUIRES", config.requires, base.requires),
        ):
            if value and value != inherited:
                lines.append(f"{keyword} {quote_value(value)}")
        if PARAMS in kinds:
            lines += [f"PARAMETER {key} {parameter_value(value)}" for key, value in parameter_lines(view.parameters)]
        own_licenses = view.licenses if parent_config is None else _own_licenses(view)
        lines += [f"LICENSE {quote_value(text)}" for text in own_licenses]
        if MESSAGES in kinds:
            lines += [f"MESSAGE {m.get('role', '')} {quote_value(str(m.get('content', '')))}" for m in view.messages]
    except ValueError:
        return None
    return "\n".join(lines) + "\n"


def _own_licenses(view: ModelView) -> list[str]:
    layers = view.model.manifest.layers_of(LICENSE)
    return [text for layer, text in zip(layers, view.licenses, strict=True) if not layer.from_]


# ---- /api/show ---------------------------------------------------------------------------------


def details(view: ModelView) -> dict[str, Any]:
    return details_of(view.model, view.config)


def details_of(model: StoredModel, config: Config) -> dict[str, Any]:
    """Ollama's ``details``: parent, format, family, parameter size, quantization."""
    models = model.manifest.layers_of(MODEL)
    return {
        "parent_model": models[-1].from_ if models else "",
        "format": config.model_format,
        "family": config.model_family,
        "families": list(config.model_families) if config.model_families is not None else None,
        "parameter_size": config.model_type,
        "quantization_level": config.file_type,
    }


def model_info(store: Store, view: ModelView) -> dict[str, Any]:
    """The model layer's GGUF keys (minus ``general.name`` and the chat template), with
    arrays as Ollama shows them without ``verbose``: empty."""
    models = view.model.manifest.layers_of(MODEL)
    if not models:
        return {}
    meta = read_metadata(store.blob_path(models[-1].digest), tensors=True)
    info: dict[str, Any] = {}
    for key, value in sorted(meta.metadata.items()):
        if key in ("general.name", "tokenizer.chat_template"):
            continue
        info[key] = [] if isinstance(value, ArrayInfo) else value
    info["general.parameter_count"] = meta.parameter_count
    return info


def capabilities(store: Store, view: ModelView) -> list[str]:
    """What the model can do, worked out as Ollama's show does (a subset: completion or
    embedding, vision, tools, insert, thinking)."""
    found: list[str] = []
    models = view.model.manifest.layers_of(MODEL)
    meta = None
    if models:
        try:
            meta = read_metadata(store.blob_path(models[-1].digest))
        except (GGUFError, OSError):
            meta = None
    embedding = meta is not None and meta.arch_value("pooling_type") is not None
    found.append("embedding" if embedding else "completion")
    if view.model.manifest.layers_of(PROJECTOR) or (meta is not None and meta.arch_value("vision.block_count")):
        found.append("vision")
    template = view.template or ""
    if ".Tools" in template:
        found.append("tools")
    if ".Suffix" in template:
        found.append("insert")
    if ".Thinking" in template or ".IsThinkSet" in template:
        found.append("thinking")
    for extra in view.config.capabilities:
        if extra not in found:
            found.append(extra)
    return found


def show_json(store: Store, view: ModelView, modelfile: str) -> dict[str, Any]:
    """The fields of Ollama's ``/api/show`` response, plus the manifest's digest and layers."""
    return {
        "name": view.name,
        "digest": view.model.digest,
        "license": "\n".join(view.licenses),
        "modelfile": modelfile,
        "parameters": parameters_text(view.parameters),
        "template": view.template if view.template is not None else "",
        "system": view.system or "",
        "details": details(view),
        "messages": list(view.messages),
        "model_info": model_info(store, view),
        "capabilities": capabilities(store, view),
        "modified_at": datetime.fromtimestamp(view.model.modified, UTC).isoformat(),
        "layers": [layer.to_dict() for layer in view.model.manifest.layers],
    }


def show_modelfile(name: str, store: Store | None = None) -> str:
    """The Modelfile that rebuilds the model ``name``, checked by a dry-run build."""
    from builder.create import build
    from builder.store import default_root
    from modelfile.parser import parse

    the_store = store or Store(default_root())
    view = load(the_store, name)

    def verify(text: str) -> str:
        return build(parse(text), view.name, store=the_store, dry_run=True).digest

    return modelfile_text(view, the_store, verify)


def summary(store: Store, view: ModelView) -> str:
    """What ``ollama show NAME`` prints: the model's architecture, size, context and
    quantization, its capabilities, parameters, system prompt and license heading."""
    info = model_info(store, view)
    arch = view.config.model_family
    rows = [
        ("architecture", arch),
        ("parameters", view.config.model_type),
        ("context length", info.get(f"{arch}.context_length", "")),
        ("embedding length", info.get(f"{arch}.embedding_length", "")),
        ("quantization", view.config.file_type),
    ]
    sections = [("Model", [(k, str(v)) for k, v in rows if v != ""])]
    sections.append(("Capabilities", [(c, "") for c in capabilities(store, view)]))
    if view.parameters:
        sections.append(("Parameters", [(k, parameter_value(v)) for k, v in parameter_lines(view.parameters)]))
    if view.system:
        sections.append(("System", [(line, "") for line in view.system.splitlines()[:2]]))
    if view.licenses:
        sections.append(("License", [(line, "") for line in view.licenses[0].splitlines()[:2]]))
    out = []
    for title, items in sections:
        out.append(f"  {title}")
        width = max((len(k) for k, v in items if v), default=0)
        out += [f"    {k:<{width}}    {v}".rstrip() if v else f"    {k}" for k, v in items]
        out.append("")
    return "\n".join(out) + "\n"
