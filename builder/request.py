"""What a Modelfile asks ``ollama create`` for (``Modelfile.CreateRequest``), checked
before anything is written: FROM/ADAPTER/DRAFT resolved as paths relative to the
Modelfile, PARAMETER values typed as Go does, REQUIRES validated.  Every refusal names
the Modelfile, line and column."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import BuildError, Location
from modelfile.errors import TemplateError, UnsupportedTemplateError
from modelfile.go.semver import ollama_requires_valid
from modelfile.ir import (
    Adapter,
    Command,
    Draft,
    From,
    License,
    Message,
    Modelfile,
    Parameter,
    Renderer,
    Requires,
    System,
    Template,
)
from modelfile.ir import Parser as ParserCommand
from modelfile.parameters import DEPRECATED, PARAMETERS, Kind, ParameterError, TypedValue, convert
from modelfile.paths import PathError, PathKind, expand_path, probe

BLOB_REF = re.compile(r"sha256[:-]([0-9a-fA-F]{64})\Z")


@dataclass(frozen=True)
class BlobRef:
    """``FROM sha256:<hex>`` (also ADAPTER and DRAFT): a blob already in the store, used
    as it is, with no template autodetection (``mfc show --modelfile`` writes these);
    or, with ``detect``, a GGUF uploaded for ``/api/create``, imported as a file is."""

    digest: str  # sha256:<hex>, lower case
    at: Location | None = field(default=None, compare=False)  # the command's place
    detect: bool = False  # autodetect the chat template, as for a file (a blob uploaded to /api/create)

    def __str__(self) -> str:
        return self.digest


Source = Path | BlobRef


@dataclass
class CreateRequest:
    """The request, as Ollama's client builds it from a Modelfile."""

    base_dir: Path
    from_model: str | None = None  # a model in the store, rather than files
    from_where: Location | None = None  # where that FROM is
    from_path: str = ""  # the file it would have been, had it existed
    files: list[Source] = field(default_factory=list)  # local FROM paths and blobs, merged
    adapter: Source | None = None  # only the last ADAPTER counts
    adapter_value: str = ""  # that ADAPTER's value, as written
    adapter_where: Location | None = None  # and where it is
    drafts: list[Source] = field(default_factory=list)
    template: str = ""
    system: str = ""
    renderer: str = ""
    parser: str = ""
    requires: str = ""
    licenses: list[str] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)
    parameters: dict[str, TypedValue | list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def where(modelfile: Modelfile, command: Command) -> Location:
    start = command.span.start
    return Location(modelfile.path or "<string>", start.line, start.column)


def create_request(modelfile: Modelfile, base_dir: Path | None = None) -> CreateRequest:
    base = base_dir or (Path(os.path.abspath(modelfile.path)).parent if modelfile.path else Path.cwd())
    request = CreateRequest(base)
    for command in modelfile.commands:
        at = where(modelfile, command)
        if isinstance(command, From):
            value = command.args
            if (blob := _blob_ref(value, at)) is not None:
                request.files.append(blob)
                continue
            path = _expand(value, base, at)
            found = probe(path)
            if found.kind is PathKind.MISSING:  # Ollama reads it as a model name
                request.from_model, request.from_where, request.from_path = value, at, path
            elif found.reason is not None:  # a FIFO, too long a name, no permission ...
                raise BuildError(f"FROM {value}: {found.reason}", at=at)
            else:
                request.files.append(Path(path))
        elif isinstance(command, Adapter):
            request.adapter = _existing(command.args, base, at, "ADAPTER")
            request.adapter_value, request.adapter_where = command.args, at
        elif isinstance(command, Draft):
            request.drafts.append(_existing(command.args, base, at, "DRAFT"))
        elif isinstance(command, Template):
            request.template = command.args
        elif isinstance(command, System):
            request.system = command.args
        elif isinstance(command, Renderer):
            request.renderer = command.args
        elif isinstance(command, ParserCommand):
            request.parser = command.args
        elif isinstance(command, Requires):
            if not ollama_requires_valid(command.args):
                raise BuildError(f"requires must be a valid semver (e.g. 0.14.0), not {command.args!r}", at=at)
            request.requires = command.args.removeprefix("v")
        elif isinstance(command, License):
            request.licenses.append(command.args)
        elif isinstance(command, Message):
            request.messages.append((command.role, command.content))
        elif isinstance(command, Parameter):
            _parameter(request, command, at)
    if request.from_model is not None:
        request.files = []  # a model name wins over local files, as in Ollama
    elif not request.files:
        raise BuildError(f"{modelfile.path or '<string>'}: no FROM")
    for draft in request.drafts:
        if any(_same(draft, f) for f in request.files):
            raise BuildError(f"DRAFT must not reference the same local path as FROM: {draft}")
    _check_template(modelfile, request)
    return request


def _check_template(modelfile: Modelfile, request: CreateRequest) -> None:
    """Ollama's create refuses a TEMPLATE Go cannot parse (``template error: ...``); one
    that parses but that mfc cannot translate still builds (Ollama runs it), with a warning."""
    templates = [t for t in modelfile.of_type(Template) if t.args]
    if not request.template or not templates:
        return
    from modelfile.template.translate import translate_template  # the template machinery loads only when needed

    command = templates[-1]
    try:
        translate_template(request.template)
    except UnsupportedTemplateError as error:
        at = _template_where(modelfile, command, error)
        request.warnings.append(f"{at}: mfc run cannot render this TEMPLATE ({error.message}); Ollama can")
    except TemplateError as error:
        hint = f" ({error.hint})" if error.hint else ""
        at = _template_where(modelfile, command, error)
        raise BuildError(f"template error: {error.message}{hint}", at=at) from None


def _template_where(modelfile: Modelfile, command: Template, error: TemplateError) -> Location:
    from modelfile.template.locate import value_position

    if modelfile.source is None:
        return where(modelfile, command)
    at = value_position(modelfile.source, command, error.line, error.column)
    return Location(modelfile.path or "<string>", at.line, at.column)


def _blob_ref(value: str, at: Location) -> BlobRef | None:
    match = BLOB_REF.match(value)
    return BlobRef("sha256:" + match.group(1).lower(), at) if match else None


def _existing(value: str, base: Path, at: Location, command: str) -> Source:
    if (blob := _blob_ref(value, at)) is not None:
        return blob
    path = Path(_expand(value, base, at))
    found = probe(path)
    if found.kind is PathKind.MISSING:
        raise BuildError(f"{command} {value}: no such file or directory ({path})", at=at)
    if found.reason is not None:  # a FIFO, too long a name, no permission ...
        raise BuildError(f"{command} {value}: {found.reason}", at=at)
    return path


def _same(a: Source, b: Source) -> bool:
    if isinstance(a, BlobRef) or isinstance(b, BlobRef):
        return a == b
    return os.path.realpath(a) == os.path.realpath(b)


def _expand(value: str, base: Path, at: Location) -> str:
    try:
        return expand_path(value, base)
    except PathError as error:
        raise BuildError(str(error), at=at) from None


def _parameter(request: CreateRequest, command: Parameter, at: Location) -> None:
    name = command.param
    if name in DEPRECATED:
        request.warnings.append(f"{at}: parameter {name} is deprecated and ignored")
        return
    try:
        value = convert(name, command.args)
    except ParameterError as error:
        raise BuildError(str(error), at=at) from None
    assert value is not None
    if PARAMETERS[name].kind is Kind.STRINGS:
        stops = request.parameters.setdefault(name, [])
        assert isinstance(stops, list)
        stops.append(str(value))
    else:
        request.parameters[name] = value
