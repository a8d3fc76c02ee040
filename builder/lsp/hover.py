"""Hover texts: a command's purpose and forms, a parameter's type, default, range and
when it applies, a template field or function, what FROM/ADAPTER name (GGUF metadata, a
store model's layers) and ``num_ctx`` beside the model's context length."""

from __future__ import annotations

import re
from pathlib import Path

from builder.lsp.keywords import command_markdown
from builder.lsp.locate import Place, locate
from builder.lsp.targets import Target, describe, resolve
from builder.lsp.template_docs import template_markdown
from builder.store import Store
from modelfile.go.strconv import SyntaxOrRangeError, parse_int
from modelfile.ir import From, Modelfile
from modelfile.parameters import ALIASES, DEPRECATED, PARAMETERS, REMOVED

#: Options read when the model is loaded (a change reloads it); the rest apply per request.
LOAD_TIME = frozenset({"num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread"})

ROLES = {
    "system": "a system message: instructions for the model",
    "user": "a message from the user",
    "assistant": "an answer of the model, as an example of how it should reply",
}


def parameter_markdown(name: str) -> str | None:
    """What a PARAMETER name means.

    >>> print(parameter_markdown("temperature"))
    **temperature** (float, per request): sampling temperature
    <BLANKLINE>
    - default: 0.8
    - sane range: between 0 and 2
    """
    spec = PARAMETERS.get(name)
    if spec is not None:
        when = "load time: changing it reloads the model" if name in LOAD_TIME else "per request"
        lines = [f"**{name}** ({spec.kind.value}, {when}): {spec.summary}", ""]
        if spec.default is not None:
            default = str(spec.default).lower() if isinstance(spec.default, bool) else spec.default
            lines.append(f"- default: {default}")
        if spec.low is not None or spec.high is not None:
            lines.append(f"- sane range: {spec.range_text()}")
        return "\n".join(lines)
    if name in DEPRECATED:
        return f"**{name}** (deprecated): `ollama create` warns and ignores it; delete the line"
    if name in REMOVED:
        return f"**{name}** (removed): Ollama rejects it as an unknown parameter; {REMOVED[name]}"
    if name in ALIASES:
        return f"**{name}**: not an Ollama parameter; Ollama calls it `{ALIASES[name]}`"
    return None


def hover_markdown(text: str, modelfile: Modelfile | None, offset: int, base: Path, store: Store | None) -> str | None:
    """The hover text at ``offset`` of a Modelfile's ``text``, or None."""
    place = locate(text, modelfile, offset)
    if place.kind == "template":
        return template_markdown(_template_word(text, offset))
    word = _word_at(text, offset)
    if place.kind == "keyword":
        return command_markdown(word)
    if place.kind == "parameter":
        return _with_limit(parameter_markdown(word), word, place, text, offset, modelfile, base, store)
    if place.kind == "role":
        return f"**{word}**: {ROLES[word]}" if word in ROLES else None
    if place.kind == "parameter-value":
        return _with_limit(parameter_markdown(place.param), place.param, place, text, offset, modelfile, base, store)
    if place.kind == "value" and place.keyword in ("FROM", "ADAPTER", "DRAFT"):
        value = place.command.value.text if place.command is not None else _rest_of_line(text, place.word_start)
        return describe(resolve(value, base, store if place.keyword != "ADAPTER" else None))
    if place.kind == "value" and _before_value(text, offset, place):
        return command_markdown(place.keyword)
    return None


def model_target(modelfile: Modelfile | None, text: str, base: Path, store: Store | None) -> Target | None:
    """The target of the (last) FROM, from the parse or, failing that, the text."""
    if modelfile is not None:
        found = modelfile.of_type(From)
        return resolve(found[-1].value.text, base, store) if found else None
    lines = re.findall(r"(?im)^[ \t]*from[ \t]+(\S[^\r\n]*)", text)
    return resolve(lines[-1].strip().strip('"'), base, store) if lines else None


def _with_limit(
    doc: str | None,
    name: str,
    place: Place,
    text: str,
    offset: int,
    modelfile: Modelfile | None,
    base: Path,
    store: Store | None,
) -> str | None:
    """``num_ctx``'s text with the model's own context length, and a warning above it."""
    if doc is None or name != "num_ctx":
        return doc
    target = model_target(modelfile, text, base, store)
    limit = target.context_length if target is not None else None
    if limit is None:
        return doc + "\n- the model's context length: unknown"
    doc += f"\n- the model's context length: {limit}"
    value = place.command.value.text if place.command is not None else _line_value(text, offset)
    try:
        wanted = parse_int(value.strip())
    except SyntaxOrRangeError:
        return doc
    if wanted > limit:
        doc += f"\n\n**Warning**: num_ctx {wanted} is above the model's context length {limit}"
    return doc


def _line_value(text: str, offset: int) -> str:
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    parts = _rest_of_line(text, start).split(None, 2)
    return parts[2] if len(parts) == 3 else ""


def _rest_of_line(text: str, start: int) -> str:
    match = re.compile(r"[^\r\n]*").match(text, start)
    return match.group(0).strip() if match else ""


def _word_at(text: str, offset: int) -> str:
    for match in re.finditer(r"[^\s]+", _line_around(text, offset)[0]):
        start = _line_around(text, offset)[1] + match.start()
        if start <= offset <= start + len(match.group(0)):
            return match.group(0)
    return ""


def _line_around(text: str, offset: int) -> tuple[str, int]:
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    match = re.compile(r"[^\r\n]*").match(text, start)
    return (match.group(0) if match else ""), start


def _template_word(text: str, offset: int) -> str:
    line, start = _line_around(text, offset)
    for match in re.finditer(r"\.?[A-Za-z_][A-Za-z0-9_]*", line):
        if start + match.start() <= offset <= start + match.end():
            return match.group(0)
    return ""


def _before_value(text: str, offset: int, place: Place) -> bool:
    """On a command's keyword, though the line is read as a value (FROM x: on FROM)."""
    line, start = _line_around(text, offset)
    stripped = line.lstrip(" \t")
    head = start + len(line) - len(stripped)
    return head <= offset <= head + len(place.keyword) and stripped.upper().startswith(place.keyword)
