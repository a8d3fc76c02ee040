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
_OPEN_TEMPLATE = re.compile(r'(?im)^[ \t]*template[ \t]+"""')
_LINE_WORD = re.compile(
    r"(?im)^[ \t]*(?:(?P<comment>#[^\r\n]*)|"
    r"(?P<keyword>from|license|template|system|adapter|draft|renderer|parser|requires|parameter|message)(?=[ \t]))"
)

#: (offset, length in code points, token type) in the document.
Token = tuple[int, int, str]


def document_tokens(text: str, modelfile: Modelfile | None) -> list[Token]:
    """The tokens of a document, in order, none overlapping (``fallback_tokens`` while
    it does not parse)."""
    if modelfile is None:
        return fallback_tokens(text)
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


def fallback_tokens(text: str) -> list[Token]:
    """Tokens of a document that does not parse (typing, a quote still open): keywords
    at line starts and comment lines, and the template after a ``TEMPLATE \"\"\"`` that is
    not closed yet, so that highlighting does not vanish while a template is typed.

    >>> fallback_tokens("FROM x\\n# c\\nTEMPLATE " + '"' * 3 + "{{ .Prompt")
    [(0, 4, 'keyword'), (7, 3, 'comment'), (11, 8, 'keyword'), (23, 3, 'macro'), (26, 7, 'property')]
    """
    end = len(text)
    opened = None
    for match in _OPEN_TEMPLATE.finditer(text):
        opened = match
    found: list[Token] = []
    if opened is not None and '"""' not in text[opened.end() :]:
        end = opened.end()
        at = end
        for piece, kind in pieces(text[end:]):
            found.append((at, len(piece), kind))
            at += len(piece)
    for match in _LINE_WORD.finditer(text, 0, end):
        kind = "comment" if match.group("comment") else "keyword"
        found.append((match.start(kind), len(match.group(kind)), kind))
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
