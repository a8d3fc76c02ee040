"""Ollama's ``options`` for running a model: which are fixed when the model loads,
how typed values (a request's JSON, a Python call) and text values (``--parameter``,
``/set parameter``) are checked, and how they stack.

Precedence is Ollama's: a request's options, then the model's PARAMETERs, then
Ollama's defaults; for ``num_ctx`` the server's ``OLLAMA_CONTEXT_LENGTH`` comes between
the PARAMETERs and mfc's own default (``effective_options``).

>>> request_options({"temperature": 1, "num_predict": 8.0, "stop": ["\\n"], "seed": None})
{'temperature': 1.0, 'num_predict': 8, 'stop': ['\\n']}
>>> request_options({"top_k": "many"})
Traceback (most recent call last):
    ...
builder.errors.OptionError: option "top_k" must be of type integer
>>> parse_options([("stop", "a"), ("stop", "b"), ("seed", "42")])
{'stop': ['a', 'b'], 'seed': 42}
>>> parse_options([("temperature", "hot")])
Traceback (most recent call last):
    ...
builder.errors.OptionError: parameter temperature: invalid float value [hot]
>>> parse_options([("temprature", "0.2")])
Traceback (most recent call last):
    ...
builder.errors.OptionError: unknown parameter 'temprature'; did you mean temperature?
>>> parse_format('{"type": "object", "properties": {"age": {"type": "integer"}}}')["type"]
'object'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from builder.errors import OptionError
from modelfile.parameters import DEPRECATED, PARAMETERS, Kind, ParameterError, convert, suggest_parameter

#: ``num_ctx`` when nothing sets it: Ollama's choice on a machine without a large GPU.
DEFAULT_NUM_CTX = 4096
#: The largest default ``num_batch`` of an embedding model (Ollama's embedding batch size).
EMBEDDING_NUM_BATCH = 2048

#: Options llama.cpp takes when the model loads; changing one means loading it again.
LOAD_OPTIONS: frozenset[str] = frozenset(
    {"num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread", "repeat_last_n"}
)

_GO_TYPES = {Kind.INT: "integer", Kind.FLOAT: "float32", Kind.BOOL: "boolean", Kind.STRINGS: "array"}


def typed_parameter(name: str, value: str) -> Any:
    """A text value (``--parameter``, ``/set parameter``), checked as a PARAMETER line is."""
    try:
        typed = convert(name, value)
    except ParameterError as error:
        hint = suggest_parameter(name) if error.code == "MF201" else None
        suffix = f"; did you mean {hint}?" if hint else ""
        raise OptionError(str(error) + suffix if error.code == "MF201" else f"parameter {name}: {error}") from None
    if typed is None:
        raise OptionError(f"parameter {name} is deprecated and ignored")
    return typed


def parse_options(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``NAME VALUE`` pairs as typed options; repeated ``stop`` values add up."""
    options: dict[str, Any] = {}
    for name, value in pairs:
        typed = typed_parameter(name, value)
        if PARAMETERS[name].kind is Kind.STRINGS:
            options.setdefault(name, []).append(typed)
        else:
            options[name] = typed
    return options


def request_options(options: Mapping[str, object] | None, *, strict: bool = True) -> dict[str, Any]:
    """Typed options (a request's ``options`` object), checked as Ollama checks them:
    integers given as floats are truncated, ``None`` is skipped, a wrong type is an
    ``OptionError`` with Ollama's text.  Deprecated names are dropped; an unknown name
    is an error when ``strict`` (a Python caller's typo), dropped otherwise (Ollama's
    server ignores it)."""
    checked: dict[str, Any] = {}
    for name, value in (options or {}).items():
        if value is None or name in DEPRECATED:
            continue
        spec = PARAMETERS.get(name)
        if spec is None:
            if strict:
                hint = suggest_parameter(name)
                raise OptionError(f"unknown option '{name}'" + (f"; did you mean {hint}?" if hint else ""))
            continue
        checked[name] = _typed(name, spec.kind, value)
    return checked


def _typed(name: str, kind: Kind, value: object) -> Any:
    if kind is Kind.INT and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind is Kind.FLOAT and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is Kind.BOOL and isinstance(value, bool):
        return value
    if kind is Kind.STRINGS and isinstance(value, list | tuple):
        if not all(isinstance(item, str) for item in value):
            raise OptionError(f'option "{name}" must be of an array of strings')
        return list(value)
    raise OptionError(f'option "{name}" must be of type {_GO_TYPES[kind]}')


def merge_options(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Ollama's defaults, then the model's params, then the overrides (a list replaces)."""
    merged = {name: spec.default for name, spec in PARAMETERS.items() if spec.default is not None}
    merged.update(base)
    merged.update(overrides)
    return merged


def effective_options(
    model: Mapping[str, Any],
    request: Mapping[str, Any],
    *,
    context_length: int = 0,
    default_num_ctx: int = DEFAULT_NUM_CTX,
    embedding: bool = False,
    draft: bool = False,
) -> dict[str, Any]:
    """The options a model runs with, as Ollama's server computes them: ``request``
    options over the ``model``'s PARAMETERs over Ollama's defaults (``merge_options``);
    ``num_ctx`` when neither sets it is ``context_length`` (``OLLAMA_CONTEXT_LENGTH``;
    0: unset), else ``default_num_ctx``.  An ``embedding`` model's ``num_batch`` defaults
    to its context, at most 2048; ``draft_num_predict`` defaults to 4 with a separate
    ``draft`` model, else 0 (an embedded draft runs only when asked for).

    >>> effective_options({"num_ctx": 2048}, {}, context_length=8192)["num_ctx"]
    2048
    >>> effective_options({}, {}, context_length=8192)["num_ctx"], effective_options({}, {})["num_ctx"]
    (8192, 4096)
    >>> effective_options({}, {}, default_num_ctx=1024, embedding=True)["num_batch"]
    1024
    """
    merged = merge_options(model, request)
    explicit = {**model, **request}
    merged["num_ctx"] = int(explicit.get("num_ctx") or 0) or context_length or default_num_ctx
    if embedding and "num_batch" not in explicit:
        merged["num_batch"] = min(EMBEDDING_NUM_BATCH, merged["num_ctx"])
    if "draft_num_predict" not in explicit:
        merged["draft_num_predict"] = PARAMETERS["draft_num_predict"].default if draft else 0
    return merged


def automatic_num_batch(model: Mapping[str, Any], request: Mapping[str, Any]) -> bool:
    """Whether ``num_batch`` is left to the runtime: neither the model nor the request sets it.

    >>> automatic_num_batch({}, {}), automatic_num_batch({"num_batch": 1024}, {})
    (True, False)
    """
    return "num_batch" not in model and "num_batch" not in request


def parse_format(value: str) -> str | dict[str, Any]:
    """What ``--format`` constrains an answer to: ``json`` (any JSON value), or a JSON
    schema given as JSON text or as the path of a file holding one (Ollama's
    ``format`` field)."""
    import json
    import os

    if value == "json":
        return value
    text = value
    if not value.lstrip().startswith("{") and os.path.isfile(value):
        try:
            with open(value, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise OptionError(f"format: cannot read {value}: {getattr(error, 'strerror', None) or error}") from None
    try:
        schema = json.loads(text)
    except ValueError as error:
        message = f"format: {value!r} is not json, a JSON schema or a file holding one ({error})"
        raise OptionError(message) from None
    if not isinstance(schema, dict):
        raise OptionError(f"format: a JSON schema is an object, not {type(schema).__name__}")
    return schema
