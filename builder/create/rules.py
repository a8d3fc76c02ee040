"""Ollama's create rules on the planned layers, and the config blob.

TEMPLATE and SYSTEM replace the inherited layer of their kind; LICENSEs accumulate;
PARAMETERs merge into the inherited ones (a new ``stop`` list replaces the old whole);
MESSAGEs replace.  The config describes the last model layer.  A template autodetected
from the GGUF is announced (and reported in the result) only here, once it is known to
be the one built: a Modelfile's TEMPLATE replaces it.
"""

from __future__ import annotations

from builder import layers as encode
from builder.create.layer import BytesSource, Planned
from builder.create.session import BuildSession
from builder.events import Event
from builder.humanize import human_number
from builder.manifest import LICENSE, MESSAGES, MODEL, PARAMS, SYSTEM, TEMPLATE, Config, file_type_name
from builder.request import CreateRequest


def apply_create_rules(session: BuildSession, request: CreateRequest) -> None:
    layers = session.layers
    if request.template:
        _replace(layers, TEMPLATE, encode.text(request.template))
        session.template = None  # the autodetected template is not the model's
    if session.template:
        session.report(Event(f"using autodetected template {session.template}"))
    if request.system:
        _replace(layers, SYSTEM, encode.text(request.system))
    for text in request.licenses:
        layers.append(Planned(LICENSE, BytesSource(encode.text(text))))
    inherited: dict[str, object] = {}
    for planned in [p for p in layers if p.media_type == PARAMS]:
        source = planned.source
        data = source.data if isinstance(source, BytesSource) else session.store.read_blob(source.digest)
        inherited.update(encode.decode_params(data))
    merged = encode.merge_params(inherited, request.parameters)
    if merged:
        _replace(layers, PARAMS, encode.params(merged))
    if request.messages:
        _replace(layers, MESSAGES, encode.messages(request.messages))


def _replace(layers: list[Planned], media_type: str, data: bytes) -> None:
    """Drop the layers of ``media_type`` and add one holding ``data`` at the end."""
    layers[:] = [p for p in layers if p.media_type != media_type]
    layers.append(Planned(media_type, BytesSource(data)))


def config_blob(session: BuildSession, request: CreateRequest) -> bytes:
    """The config blob's bytes, from the layers as they stand (after writing, a
    quantized model's new file type)."""
    models = [p.meta for p in session.layers if p.media_type == MODEL and p.meta is not None]
    last = models[-1] if models else None
    parent = session.parent_config or Config()
    config = Config(
        model_format=parent.model_format or "gguf",
        model_family=(last.architecture or "") if last else "",
        model_families=tuple(m.architecture or "" for m in models) or None,
        model_type=human_number(last.parameter_count) if last else "",
        file_type=file_type_name(last.file_type) if last else "",
        renderer=request.renderer or parent.renderer,
        parser=request.parser or parent.parser,
        requires=request.requires or parent.requires,
        capabilities=parent.capabilities,
    )
    return config.encode()
