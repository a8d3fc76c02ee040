"""``build`` (Ollama's create pipeline): a Modelfile into layers, blobs and a manifest.

Modelfile -> create request (``builder/request.py``, all checks first) -> a
``BuildSession`` (``session.py``) plans the layers: the weights (``sources.py``: local
GGUF files, blobs, every layer of a model already in the store, ADAPTER and DRAFT),
derived by conversion or quantization where asked (``derived.py``), each with an explicit
source (``layer.py``); then Ollama's create rules (``rules.py``: TEMPLATE and SYSTEM
replace, PARAMETERs merge, LICENSEs and ADAPTERs accumulate, MESSAGEs replace) ->
blobs, config and manifest written under the store lock, manifest last (``write.py``).
The same inputs give the same manifest bytes anywhere: nothing in them depends on time,
paths or the machine.

>>> from builder.create import build
>>> result = build("Modelfile", "mymodel", dry_run=True)   # doctest: +SKIP
>>> result.layers[0].media_type                           # doctest: +SKIP
'application/vnd.ollama.image.model'
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from builder.create.derived import plan_quantization
from builder.create.result import BuildResult
from builder.create.rules import apply_create_rules
from builder.create.session import BuildSession
from builder.create.sources import adapter_layer, import_files, inherit, weights_layer
from builder.create.write import Outcome, preview, write
from builder.errors import BuildError
from builder.events import Progress
from builder.manifest import DRAFT
from builder.names import ModelName, parse_name
from builder.request import CreateRequest, create_request
from builder.store import Store, default_root
from modelfile.ir import Modelfile
from modelfile.parser import parse_file

if TYPE_CHECKING:
    from builder.quantizer import QuantizeOptions

__all__ = ["BuildResult", "BuildSession", "build", "build_request"]


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
    """Build ``modelfile`` (a path or a parsed Modelfile) as ``name`` in ``store``.

    ``progress`` receives ``builder.events.Event``s as the build goes; ``dry_run``
    computes the result and writes nothing; ``link`` imports GGUF files by reflink or
    hard link; ``quantize`` (a type such as ``"q4_K_M"``, or ``QuantizeOptions``)
    quantizes the model layers, once per source and options.  Raises ``BuildError``
    (any OS error included, as one line naming the file), ``ModelfileError`` or
    ``ModelNameError``; a failed build leaves the store as it was."""
    parsed = modelfile if isinstance(modelfile, Modelfile) else parse_file(modelfile)
    target = parse_name(name)
    the_store = store if isinstance(store, Store) else Store(default_root(store))
    try:
        return _build(parsed, target, the_store, progress, dry_run, link, quantize)
    except OSError as error:
        raise BuildError(f"{error.filename or the_store.root}: {error.strerror or error}") from None


def _build(
    modelfile: Modelfile,
    target: ModelName,
    store: Store,
    progress: Progress | None,
    dry_run: bool,
    link: bool,
    quantize: QuantizeOptions | str | None,
) -> BuildResult:
    return build_request(
        create_request(modelfile), target, store, progress, dry_run=dry_run, link=link, quantize=quantize
    )


def build_request(
    request: CreateRequest,
    target: ModelName,
    store: Store,
    progress: Progress | None = None,
    *,
    dry_run: bool = False,
    link: bool = False,
    quantize: QuantizeOptions | str | None = None,
) -> BuildResult:
    """The steps, in Ollama's order, on one session, for a checked ``CreateRequest``:
    what ``build`` makes of a Modelfile, and ``builder.create.from_json`` of an
    ``/api/create`` body."""
    session = BuildSession(store, progress, _options(quantize))
    session.warnings += request.warnings
    try:
        if request.from_model is not None:
            inherit(session, request)
        else:
            import_files(session, request)
        if request.adapter is not None:
            session.layers.append(adapter_layer(session, request))
        for draft in request.drafts:
            session.layers.append(weights_layer(session, draft, command="DRAFT", media_type=DRAFT))
        if session.quantize is not None:
            plan_quantization(session)
        apply_create_rules(session, request)
        outcome = preview(session, request, target) if dry_run else write(session, request, target, link=link)
    finally:
        session.close()
    return _result(session, outcome)


def _options(quantize: QuantizeOptions | str | None) -> QuantizeOptions | None:
    if quantize is None or not isinstance(quantize, str):
        return quantize
    from builder.quantizer import quantize_options

    return quantize_options(quantize)


def _result(session: BuildSession, outcome: Outcome) -> BuildResult:
    return BuildResult(
        name=outcome.name.display(),
        digest=outcome.digest,
        layers=outcome.manifest.layers,
        config=outcome.manifest.config,
        warnings=tuple(session.warnings),
        template=session.template,
        written=outcome.written,
    )
