"""What ``mfc show`` prints about a stored model: its parts, Ollama's ``/api/show``
fields, and (through ``builder.rebuild``) a Modelfile that rebuilds it.

The API is ``show_text(name, part)``, ``show_json(name)`` and ``show_modelfile(name)``;
``load`` reads a model's small layers into a ``ModelView`` for the rest.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from builder.errors import StoreError
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
from builder.store import Store, StoredModel, StoreLike, as_store
from modelfile.formatter import quote_value
from modelfile.gguf_metadata import ArrayInfo, GGUFError, read_metadata
from modelfile.go.encoding_json import Float32
from modelfile.go.fmt import format_float, go_quote
from modelfile.output.parsers import parser_for_name

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
    """Ollama's ``show --parameters``: ``%-30s %#v`` per value (sorted, where Ollama's order
    is random).  A ``Float32`` is shown with a float32's shortest digits, as the Modelfile
    wrote it.

    >>> print(parameters_text({"temperature": Float32(0.10000000149011612), "top_p": 0.9}))
    temperature                    0.1
    top_p                          0.9
    """
    lines = []
    for key, value in parameter_lines(parameters):
        if isinstance(value, bool):
            shown = "true" if value else "false"
        elif isinstance(value, (int, float)):
            # Go decodes JSON numbers as float64; a session's own values are float32
            shown = format_float(float(value), "g", bits=32 if isinstance(value, Float32) else 64)
        else:
            shown = go_quote(str(value))
        lines.append(f"{key:<30} {shown}")
    return "\n".join(lines)


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


def model_info(store: Store, view: ModelView, *, verbose: bool = False) -> dict[str, Any]:
    """The model layer's GGUF keys (minus ``general.name`` and the chat template), with
    arrays empty unless ``verbose`` (then read in full, as ``/api/show`` with ``verbose``)."""
    models = view.model.manifest.layers_of(MODEL)
    if not models:
        return {}
    path = store.blob_path(models[-1].digest)
    meta = read_metadata(path, tensors=True)
    if verbose:
        arrays = [key for key, value in meta.metadata.items() if isinstance(value, ArrayInfo)]
        meta = read_metadata(path, arrays=arrays, tensors=True)
    info: dict[str, Any] = {}
    for key, value in sorted(meta.metadata.items()):
        if key in ("general.name", "tokenizer.chat_template"):
            continue
        info[key] = [] if isinstance(value, ArrayInfo) else value
    info["general.parameter_count"] = meta.parameter_count
    return info


def capabilities(store: Store, view: ModelView) -> list[str]:
    """What the model can do, worked out as Ollama's show does (a subset: completion or
    embedding, vision, tools, insert, thinking; the template's fields and a builtin
    ``PARSER``'s support say tools and thinking)."""
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
    parser = parser_for_name(view.config.parser) if view.config.parser else None  # a builtin PARSER adds its own
    if ".Tools" in template or (parser is not None and parser.has_tool_support()):
        found.append("tools")
    if ".Suffix" in template:
        found.append("insert")
    if ".Thinking" in template or ".IsThinkSet" in template or (parser is not None and parser.has_thinking_support()):
        found.append("thinking")
    for extra in view.config.capabilities:
        if extra not in found:
            found.append(extra)
    return found


def api_show(store: Store, view: ModelView, modelfile: str, *, verbose: bool = False) -> dict[str, Any]:
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
        "model_info": model_info(store, view, verbose=verbose),
        "capabilities": capabilities(store, view),
        "modified_at": datetime.fromtimestamp(view.model.modified, UTC).isoformat(),
        "layers": [layer.to_dict() for layer in view.model.manifest.layers],
    }


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


# ---- the API ------------------------------------------------------------------------------------

#: The parts ``show_text`` shows.
PARTS = ("summary", "modelfile", "template", "system", "parameters", "license")


def show_text(name: str, part: str = "summary", *, store: StoreLike = None) -> str:
    """One part of the stored model ``name``, as ``mfc show`` prints it: ``summary``
    (what ``ollama show NAME`` prints), ``modelfile`` (a Modelfile that rebuilds this
    exact model, checked by dry-run builds; its header says whether it does),
    ``template``, ``system``, ``parameters`` (one per line, as ``ollama show
    --parameters``) or ``license`` ("" for a part the model lacks).

    >>> import builder, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = builder.placeholder_gguf(folder / "tiny.gguf")  # a GGUF with no tensors: enough to build
    >>> _ = (folder / "Modelfile").write_text("FROM ./tiny.gguf\\nSYSTEM Be brief.\\nPARAMETER num_ctx 4096\\n")
    >>> _ = builder.build(folder / "Modelfile", "tiny", store=folder / "store")
    >>> builder.show_text("tiny", "system", store=folder / "store")
    'Be brief.'
    >>> print(builder.show_text("tiny", "parameters", store=folder / "store"))
    num_ctx                        4096
    >>> print(builder.show_text("tiny", "modelfile", store=folder / "store"))  # doctest: +ELLIPSIS
    # Modelfile generated by "mfc show" for tiny:latest
    # `mfc build` rebuilds it as the same model (...).
    <BLANKLINE>
    FROM sha256:...
    SYSTEM Be brief.
    PARAMETER num_ctx 4096
    <BLANKLINE>
    """
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}: one of {', '.join(PARTS)}")
    the_store = as_store(store)
    with _store_errors(name):
        view = load(the_store, name)
        if part == "modelfile":
            from builder.rebuild import rebuilt_modelfile

            return rebuilt_modelfile(view, the_store)
        if part == "summary":
            return summary(the_store, view)
        if part == "parameters":
            return parameters_text(view.parameters)
        if part == "license":
            return "\n".join(view.licenses)
        return (view.template if part == "template" else view.system) or ""


def show_json(name: str, *, store: StoreLike = None, verbose: bool = False) -> dict[str, Any]:
    """The stored model ``name`` as Ollama's ``/api/show`` responds (``license``,
    ``modelfile``, ``parameters``, ``template``, ``system``, ``details``, ``messages``,
    ``model_info``, ``capabilities``, ``modified_at``), plus its ``digest`` and ``layers``.
    ``model_info``'s arrays are empty unless ``verbose``.

    >>> import builder, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = builder.placeholder_gguf(folder / "tiny.gguf")  # a GGUF with no tensors: enough to build
    >>> _ = (folder / "Modelfile").write_text("FROM ./tiny.gguf\\nSYSTEM Be brief.\\n")
    >>> result = builder.build(folder / "Modelfile", "tiny", store=folder / "store")
    >>> shown = builder.show_json("tiny", store=folder / "store")
    >>> shown["digest"] == result.digest, shown["system"], shown["capabilities"], shown["model_info"]
    (True, 'Be brief.', ['completion'], {'general.architecture': 'llama', 'general.parameter_count': 0})
    """
    the_store = as_store(store)
    with _store_errors(name):
        from builder.rebuild import rebuilt_modelfile

        view = load(the_store, name)
        return api_show(the_store, view, rebuilt_modelfile(view, the_store), verbose=verbose)


def show_modelfile(name: str, store: StoreLike = None) -> str:
    """The Modelfile that rebuilds the model ``name``, checked by a dry-run build
    (``show_text(name, "modelfile")``)."""
    return show_text(name, "modelfile", store=store)


@contextlib.contextmanager
def _store_errors(name: str) -> Iterator[None]:
    """A file of the store that cannot be read, as a one-line ``StoreError``."""
    try:
        yield
    except OSError as error:
        raise StoreError(f"{error.filename or name}: {error.strerror or error}") from None
