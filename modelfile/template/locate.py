"""Positions inside a TEMPLATE value, as positions in the Modelfile that holds it."""

from __future__ import annotations

from modelfile.go.printable import INVISIBLE, mask_dropped
from modelfile.ir import Command
from modelfile.source import Position, Source


def value_position(source: Source, command: Command, line: int, column: int) -> Position:
    """Where line/column of ``command``'s value text sit in the Modelfile.

    Exact when the value contains no characters that Ollama drops (then the value is a
    slice of the source); otherwise the start of the value.
    """
    span = command.value.span
    raw = mask_dropped(source.text[span.start.offset : span.end.offset])
    text = command.value.text
    start = raw.find(text) if text else -1
    if start < 0 or INVISIBLE in raw[start : start + len(text)]:
        return source.position(span.start.offset)
    lines = text.split("\n")
    offset = sum(len(part) + 1 for part in lines[: max(0, line - 1)]) + max(0, column - 1)
    return source.position(span.start.offset + start + min(offset, len(text)))
