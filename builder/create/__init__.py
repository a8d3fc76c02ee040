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

from builder.create.derived import SharedCache, plan_quantization
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
    from builder.registry.cache import RegistryCache

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
    cache_from: str | None = None,
    cache_to: str | None = None,
) -> BuildResult:
    """Build ``modelfile`` (a path or a parsed Modelfile) as ``name`` in ``store``.

    ``progress`` receives ``builder.events.Event``s as the build goes; ``dry_run``
    computes the result and writes nothing; ``link`` imports GGUF files by reflink or
    hard link; ``quantize`` (a type such as ``"q4_K_M"``, or ``QuantizeOptions``)
    quantizes the model layers, once per source and options.  ``cache_from`` and
    ``cache_to`` name a registry repository used as a shared build cache
    (``builder.registry.cache``): conversions and quantizations found there are not
    done again, and those this build does are pushed there; the cache failing only
    costs time (a warning).  Raises ``BuildError``
    (any OS error included, as one line naming the file), ``ModelfileError`` or
    ``ModelNameError``; a failed build leaves the store as it was."""
    parsed = modelfile if isinstance(modelfile, Modelfile) else parse_file(modelfile)
    target = parse_name(name)
    the_store = store if isinstance(store, Store) else Store(default_root(store))
    shared = (_shared_cache(cache_from), _shared_cache(cache_to))
    try:
        return build_request(
            create_request(parsed),
            target,
            the_store,
            progress,
            dry_run=dry_run,
            link=link,
            quantize=quantize,
            shared=shared,
        )
    except OSError as error:
        raise BuildError(f"{error.filename or the_store.root}: {error.strerror or error}") from None
    finally:
        for cache in shared:
            if cache is not None:
                cache.close()


def _shared_cache(ref: str | None) -> RegistryCache | None:
    """The registry build cache ``ref`` names (a bad name is the caller's error)."""
    if not ref:
        return None
    from builder.registry.cache import RegistryCache as Cache  # only here: plain builds never load httpx

    return Cache(ref)


def build_request(
    request: CreateRequest,
    target: ModelName,
    store: Store,
    progress: Progress | None = None,
    *,
    dry_run: bool = False,
    link: bool = False,
    quantize: QuantizeOptions | str | None = None,
    shared: tuple[SharedCache | None, SharedCache | None] = (None, None),
) -> BuildResult:
    """The steps, in Ollama's order, on one session, for a checked ``CreateRequest``:
    what ``build`` makes of a Modelfile, and ``builder.create.from_json`` of an
    ``/api/create`` body."""
    session = BuildSession(store, progress, _options(quantize), cache_from=shared[0], cache_to=shared[1])
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
        if outcome.written:
            session.publish()
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
