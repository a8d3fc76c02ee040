"""Semantic tokens: keywords, parameter names, roles, values (numbers, booleans, strings)
and comments, and inside TEMPLATE every character of the Go template by meaning
(``template_tokens``).  Tokens never span lines (line ends themselves are in none)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lsprotocol import types

from builder.lsp.locate import template_start
from builder.lsp.positions import Lines, utf16_length
from builder.lsp.template_tokens import pieces
from modelfile.ir import Message, Modelfile, Parameter, Template

TOKEN_TYPES = [
    "keyword",
    "comment",
    "string",
    "number",
    "property",
    "enumMember",
    "variable",
    "function",
    "operator",
    "macro",
]
LEGEND = types.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=[])
_INDEX = {name: index for index, name in enumerate(TOKEN_TYPES)}
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_LINE_END = re.compile(r"\r\n|\r|\n")

#: (offset, length in code points, token type) in the document.
Token = tuple[int, int, str]


def document_tokens(text: str, modelfile: Modelfile | None) -> list[Token]:
    """The tokens of a parsed document, in order, none overlapping."""
    if modelfile is None:
        return []
    found: list[Token] = [
        (c.span.start.offset, c.span.end.offset - c.span.start.offset, "comment") for c in modelfile.comments
    ]
    for command in modelfile.commands:
        found.append((command.span.start.offset, len(command.keyword), "keyword"))
        if isinstance(command, Parameter) and command.param:
            found.append((command.param_span.start.offset, len(command.param), "property"))
        if isinstance(command, Message):
            found.append((command.role_span.start.offset, len(command.role), "enumMember"))
        found.extend(_value_tokens(text, command))
    return sorted(found)


def _value_tokens(text: str, command: object) -> Iterator[Token]:
    from modelfile.ir import Command

    assert isinstance(command, Command)
    value = command.value.text
    if not value:
        return
    start = template_start(text, command)
    if text[start : start + len(value)] != value:
        return  # characters Ollama drops: the value is no slice of the text
    if isinstance(command, Template):
        at = start
        for piece, kind in pieces(value):
            yield at, len(piece), kind
            at += len(piece)
    elif isinstance(command, Parameter) and (_NUMBER.fullmatch(value) or value in ("true", "false")):
        yield start, len(value), "number" if value not in ("true", "false") else "keyword"
    else:
        yield start, len(value), "string"


def encode(lines: Lines, tokens: list[Token]) -> list[int]:
    """The LSP integer encoding (relative lines and UTF-16 starts), multi-line tokens cut
    at each line end."""
    data: list[int] = []
    previous_line, previous_start = 0, 0
    for offset, length, kind in tokens:
        for piece_start, piece in _split_lines(lines.text, offset, length):
            line, start = lines.position(piece_start)
            size = utf16_length(piece)
            if not size:
                continue
            delta_line = line - previous_line
            data += [delta_line, start - previous_start if delta_line == 0 else start, size, _INDEX[kind], 0]
            previous_line, previous_start = line, start
    return data


def _split_lines(text: str, offset: int, length: int) -> Iterator[tuple[int, str]]:
    chunk = text[offset : offset + length]
    at = 0
    for end in _LINE_END.finditer(chunk):
        yield offset + at, chunk[at : end.start()]
        at = end.end()
    yield offset + at, chunk[at:]
