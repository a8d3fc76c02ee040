"""An ``/api/create`` body (Ollama's ``api.CreateRequest``) as a build.

``ollama create`` parses the Modelfile on the client and sends its commands as JSON:
``from`` (a model in the store) or ``files`` (file name → digest of a blob uploaded
through ``/api/blobs``: a GGUF, or the safetensors files of a Hugging Face folder),
``adapters`` likewise, ``template``, ``system``, ``parameters``, ``messages``,
``license``, ``quantize``.  ``parse_create`` checks such a body with Ollama's texts (a
``RequestError``, 400 on the API) before anything is touched; ``create_model`` turns it
into the ``CreateRequest`` a Modelfile would give and runs the same build session as
``mfc build``, so the model is the one the equivalent Modelfile builds, digest for digest.

>>> import builder, hashlib, struct, tempfile
>>> store = builder.Store(tempfile.mkdtemp())
>>> arch = b"general.architecture"
>>> gguf = b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, len(arch)) + arch + struct.pack("<IQ", 8, 4) + b"test"
>>> digest = "sha256:" + hashlib.sha256(gguf).hexdigest()
>>> with builder.BlobUpload(digest, store=store) as upload:
...     upload.write(gguf)
...     upload.finish()
True
>>> body = {"model": "tiny", "files": {"test.gguf": digest}, "system": "Be brief.",
...         "parameters": {"temperature": 0.7, "stop": ["User:"]}}
>>> statuses = []
>>> result = create_model(parse_create(body), store=store, progress=lambda e: statuses.append(e.status))
>>> result.name, [layer.media_type.rsplit(".", 1)[1] for layer in result.layers], statuses[-1]
('tiny:latest', ['model', 'system', 'params'], 'success')
>>> parse_create({"model": "tiny", "files": {"../x.gguf": digest}})
Traceback (most recent call last):
  ...
modelfile.errors.RequestError: file path must be relative
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.create import BuildResult, build_request
from builder.errors import BuildError
from builder.events import Progress
from builder.names import name_problem, parse_name
from builder.request import BLOB_REF, BlobRef, CreateRequest, Source
from builder.store import Store, StoreLike, as_store
from modelfile.errors import RequestError, TemplateError, UnsupportedTemplateError
from modelfile.parameters import DEPRECATED, PARAMETERS, Kind, ParameterError, TypedValue, convert

#: ``info`` fields and the kind of value Ollama's create accepts for each.
INFO_STRINGS = ("model_family", "base_name", "quantization_level", "parameter_size")
INFO_COUNTS = ("context_length", "embedding_length")
GGUF_MAGIC = b"GGUF"
_SAFETENSORS = re.compile(r"\.safetensors\Z", re.IGNORECASE)


@dataclass(frozen=True)
class ApiCreate:
    """A checked ``/api/create`` body: the new model's ``name``, its source (``from_``, or
    ``files`` as relative name → ``sha256:<hex>``), and what the Modelfile's other commands
    would have said.  ``parameters`` are typed as ``ollama create`` types a PARAMETER."""

    name: str
    from_: str = ""
    files: dict[str, str] = field(default_factory=dict)
    adapters: dict[str, str] = field(default_factory=dict)
    template: str = ""
    system: str = ""
    renderer: str = ""
    parser: str = ""
    requires: str = ""
    licenses: tuple[str, ...] = ()
    parameters: dict[str, TypedValue | list[str]] = field(default_factory=dict)
    messages: tuple[tuple[str, str], ...] = ()
    quantize: str = ""
    stream: bool = True
    warnings: tuple[str, ...] = ()


def parse_create(body: Mapping[str, Any]) -> ApiCreate:
    """Check an ``/api/create`` body in the order Ollama's ``CreateHandler`` does (file
    paths and digests, then the name, then the rest); ``RequestError`` with Ollama's text.
    Unknown fields are ignored, as Go's decoder ignores them.

    >>> parse_create({"model": "m", "from": "base", "parameters": {"top_k": 10.0, "stop": "###"}}).parameters
    {'top_k': 10, 'stop': ['###']}
    >>> parse_create({"model": "m", "from": "base", "parameters": {"temperature": "hot"}})
    Traceback (most recent call last):
      ...
    modelfile.errors.RequestError: invalid float value [hot]
    >>> parse_create({"model": "m"})
    Traceback (most recent call last):
      ...
    modelfile.errors.RequestError: neither 'from' or 'files' was specified
    """
    files = _digests(body.get("files"), "files")
    adapters = _digests(body.get("adapters"), "adapters")
    drafts = _digests(body.get("draft_files"), "draft_files")
    if body.get("draft_quantize") and not drafts:
        raise RequestError("--draft-quantize requires a DRAFT model")
    if body.get("remote_host") and drafts:
        raise RequestError("DRAFT cannot be used with remote models")
    _check_info(body.get("info"))
    name = str(body.get("model") or body.get("name") or "").strip()
    if not name or name_problem(name):
        raise RequestError("invalid model name")
    _unsupported(body, drafts)
    source = _string(body, "from").strip()
    if source and name_problem(source):
        raise RequestError("invalid model name")
    if not source and not files:
        raise RequestError("neither 'from' or 'files' was specified")
    warnings: list[str] = []
    template = _string(body, "template")
    if template:
        warnings += _check_template(template)
    stream = body.get("stream", True)
    return ApiCreate(
        name=name,
        from_=source,
        files=files,
        adapters=adapters,
        template=template,
        system=_string(body, "system"),
        renderer=_string(body, "renderer"),
        parser=_string(body, "parser"),
        requires=_string(body, "requires"),
        licenses=_licenses(body.get("license")),
        parameters=_parameters(body.get("parameters"), warnings),
        messages=_messages(body.get("messages")),
        quantize=_string(body, "quantize") or _string(body, "quantization"),
        stream=stream if isinstance(stream, bool) else True,
        warnings=tuple(warnings),
    )


def create_model(spec: ApiCreate, *, store: StoreLike = None, progress: Progress | None = None) -> BuildResult:
    """Build ``spec`` into ``store`` as ``mfc build`` builds the equivalent Modelfile,
    reporting ``progress`` (``{"status": "success"}`` last).  Every blob it names must be
    in the store (``RequestError`` ``blob "sha256:…" not found`` otherwise); a failed
    build leaves the store as it was.

    >>> import tempfile
    >>> create_model(parse_create({"model": "m", "files": {"a.gguf": "sha256:" + "0" * 64}}), store=tempfile.mkdtemp())
    Traceback (most recent call last):
      ...
    modelfile.errors.RequestError: blob "sha256:000...000" not found
    """
    the_store = as_store(store)
    for digest in [*spec.files.values(), *spec.adapters.values()]:
        if not the_store.has_blob(digest):
            raise RequestError(f'blob "{digest}" not found')
    with _staging(the_store) as staging:
        request = _request(spec, the_store, staging)
        try:
            result = build_request(request, parse_name(spec.name), the_store, progress, quantize=spec.quantize or None)
        except OSError as error:
            raise BuildError(f"{error.filename or the_store.root}: {error.strerror or error}") from None
    return result


# ---- the build request ----------------------------------------------------------------------


def _request(spec: ApiCreate, store: Store, staging: Path) -> CreateRequest:
    """The ``CreateRequest`` the equivalent Modelfile gives: uploaded GGUFs as blobs
    imported as files are (template autodetection included), safetensors files as the
    folder they came from, named as the new model (a converted model's ``general.name``
    is its config's ``_name_or_path``, else its folder's name: ``FROM ./<model>``)."""
    request = CreateRequest(store.root)
    request.warnings += spec.warnings
    if spec.from_:
        request.from_model = spec.from_
    else:
        folder = staging / "model" / parse_name(spec.name).model  # converted models take their name from it
        request.files = _sources(spec.files, store, folder, "supplied file was not in GGUF format")
    adapters = _sources(spec.adapters, store, staging / "adapter", "supplied file was not in GGUF format")
    if len(adapters) > 1:
        raise RequestError("only one adapter is currently supported")
    request.adapter = adapters[0] if adapters else None
    request.adapter_value = next(iter(spec.adapters), "")
    request.template, request.system = spec.template, spec.system
    request.renderer, request.parser, request.requires = spec.renderer, spec.parser, spec.requires
    request.licenses = list(spec.licenses)
    request.messages = list(spec.messages)
    request.parameters = dict(spec.parameters)
    return request


def _sources(files: Mapping[str, str], store: Store, folder: Path, not_gguf: str) -> list[Source]:
    """Safetensors uploads as one folder of links to their blobs (named as sent); GGUF
    uploads as blobs, in name order."""
    if not files:
        return []
    if any(_SAFETENSORS.search(name) for name in files):
        for name, digest in files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(store.blob_path(digest))
        return [folder]
    sources: list[Source] = []
    for name in sorted(files):
        digest = files[name]
        with store.blob_path(digest).open("rb") as handle:
            if handle.read(4) != GGUF_MAGIC:
                raise RequestError(not_gguf)
        sources.append(BlobRef(digest, detect=True))
    return sources


@contextlib.contextmanager
def _staging(store: Store) -> Iterator[Path]:
    """A scratch folder in the store for safetensors uploads, removed afterwards (the
    links in it, never the blobs they point to)."""
    folder = store.root / ".mfc" / "tmp" / f"create-{os.getpid()}-{time.monotonic_ns()}"
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---- checks, with Ollama's texts ------------------------------------------------------------


def _digests(value: Any, field_name: str) -> dict[str, str]:
    """``files``-like maps: relative paths (``fs.ValidPath``) to ``sha256:<hex>``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RequestError(f"json: cannot unmarshal into Go struct field CreateRequest.{field_name}")
    found: dict[str, str] = {}
    for name, digest in value.items():
        if not _valid_path(str(name)):
            raise RequestError("file path must be relative")
        match = BLOB_REF.match(digest) if isinstance(digest, str) else None
        if match is None:
            raise RequestError("invalid digest format")
        found[str(name)] = "sha256:" + match.group(1).lower()
    return found


def _valid_path(name: str) -> bool:
    """Go's ``fs.ValidPath``: relative, slash-separated, no empty, ``.`` or ``..`` part;
    and (stricter) no backslash and no NUL, which no file name can hold."""
    if name == ".":
        return True
    if not name or "\\" in name or "\x00" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _check_info(info: Any) -> None:
    if info is None:
        return
    if not isinstance(info, Mapping):
        raise RequestError("json: cannot unmarshal into Go struct field CreateRequest.info")
    for key in INFO_STRINGS:
        if key in info and not isinstance(info[key], str):
            raise RequestError(f'info field "{key}" must be a string')
    for key in INFO_COUNTS:
        value = info.get(key)
        if key in info and not (
            isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 and float(value).is_integer()
        ):
            raise RequestError(f'info field "{key}" must be a non-negative integer')


def _unsupported(body: Mapping[str, Any], drafts: Mapping[str, str]) -> None:
    """What mfc's store does not make: remote (cloud) stubs, ``info`` overrides, drafts
    from the API."""
    for key, what in (("remote_host", "remote models"), ("info", "info overrides"), ("draft_files", "DRAFT models")):
        if body.get(key):
            raise RequestError(f"mfc serve does not create {what} through /api/create ({key})")


def _string(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RequestError(
            f"json: cannot unmarshal {type(value).__name__} into Go struct field CreateRequest.{key} of type string"
        )
    return value


def _licenses(value: Any) -> tuple[str, ...]:
    """``license``: a string or a list of strings (one layer each)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise RequestError("json: cannot unmarshal license into Go value of type []string")


def _parameters(value: Any, warnings: list[str]) -> dict[str, TypedValue | list[str]]:
    """Each value typed as ``ollama create`` types a PARAMETER line holding its text
    (float32, Go's int and bool syntax); ``stop`` a string or a list of strings."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RequestError("json: cannot unmarshal parameters into Go value of type map[string]interface {}")
    typed: dict[str, TypedValue | list[str]] = {}
    for name, raw in value.items():
        if name in DEPRECATED:
            warnings.append(f"parameter {name} is deprecated and ignored")
            continue
        spec = PARAMETERS.get(name)
        if spec is not None and spec.kind is Kind.STRINGS:
            stops = [raw] if isinstance(raw, str) else raw
            if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
                raise RequestError(f"invalid {spec.kind.value} value [{_text(raw)}]")
            typed[name] = list(stops)
            continue
        try:
            converted = convert(name, _text(raw))
        except ParameterError as error:
            raise RequestError(str(error)) from None
        if converted is not None:
            typed[name] = converted
    return typed


def _text(value: Any) -> str:
    """A JSON value as the PARAMETER text that means it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return value if isinstance(value, str) else repr(value)


def _messages(value: Any) -> tuple[tuple[str, str], ...]:
    """``messages``: objects with a string ``role`` and ``content`` (the MESSAGE lines)."""
    if value is None:
        return ()
    wrong = RequestError("json: cannot unmarshal messages into Go value of type []api.Message")
    if not isinstance(value, list):
        raise wrong
    found = []
    for item in value:
        role = item.get("role") or "" if isinstance(item, Mapping) else None
        content = item.get("content") or "" if isinstance(item, Mapping) else None
        if not isinstance(role, str) or not isinstance(content, str):
            raise wrong
        found.append((role, content))
    return tuple(found)


def _check_template(template: str) -> list[str]:
    """Ollama refuses a TEMPLATE Go cannot parse (``template error: …``); one mfc cannot
    translate is built all the same, with a warning."""
    from modelfile.template.translate import translate_template  # the template machinery loads only when needed

    try:
        translate_template(template)
    except UnsupportedTemplateError as error:
        return [f"mfc run cannot render this template ({error.message}); Ollama can"]
    except TemplateError as error:
        raise RequestError(f"template error: {error.message}") from None
    return []
