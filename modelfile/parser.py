"""Modelfile text -> IR.

bytes --decode--> text --mask dropped characters--> Lark (grammar/modelfile.lark)
--> tree --> ``Modelfile``.  The grammar decides what is accepted; when Lark stops,
``modelfile.syntax_errors`` explains why, in Ollama's words and in ours.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from lark import Token, Tree, UnexpectedInput

from modelfile.errors import ModelfileError
from modelfile.go.decoding import decode, text_from_str
from modelfile.go.printable import INVISIBLE, mask_dropped
from modelfile.grammars import lark_parser
from modelfile.ir import COMMANDS, Command, Comment, From, Message, Modelfile, Parameter, Quoting, Value
from modelfile.source import Source
from modelfile.syntax_errors import explain, missing_from

_QUOTING = {
    "BARE": Quoting.BARE,
    "QUOTED": Quoting.DOUBLE,
    "TRIPLE_QUOTED": Quoting.TRIPLE,
    "BLANK": Quoting.NONE,
}
_TRIM = " \t\r\n"
_SKIPPABLE = {"MF001", "MF002", "MF003"}  # syntax errors confined to their line


def parse(source: str | bytes, *, path: str | os.PathLike[str] | None = None) -> Modelfile:
    """Parse Modelfile text (or the raw bytes of a file) into a ``Modelfile``.

    Accepts exactly what Ollama's parser accepts; anything else raises
    ``ModelfileError`` with the line and column of the fault.
    """
    modelfile, errors, _ = parse_recovering(source, path=path, limit=1)
    if errors:
        raise errors[0]
    assert modelfile is not None
    return modelfile


def parse_recovering(
    source: str | bytes, *, path: str | os.PathLike[str] | None = None, limit: int = 20
) -> tuple[Modelfile | None, list[ModelfileError], Source]:
    """Parse for the linter: report a syntax error, skip its line, and go on.

    The first error is exactly ``parse``'s.  After an unknown instruction, a bad
    role or a bad parameter name on a line that opens no quote, the line is blanked
    (offsets kept) and parsing resumes, so one run reports several mistakes.  The
    Modelfile returned (if any) is the rest of the file, for the other rules.
    """
    text = decode(source) if isinstance(source, bytes | bytearray) else text_from_str(source)
    src = Source(text, os.fspath(path) if path is not None else None)
    masked = work = mask_dropped(text)
    errors: list[ModelfileError] = []
    while True:
        try:
            tree = lark_parser().parse(work)
        except UnexpectedInput as failure:
            error = explain(failure, src, work)
            errors.append(error)
            line = src.line_text(error.line)
            if (
                error.code not in _SKIPPABLE
                or '"' in line
                or len(errors) >= limit
                or "closed the value" in (error.hint or "")
            ):
                return None, errors, src
            start = src.line_start(error.line)
            work = work[:start] + " " * len(line) + work[start + len(line) :]
            continue
        modelfile = _build(tree, src, masked)
        if not errors and not any(isinstance(command, From) for command in modelfile.commands):
            errors.append(missing_from(src))
        return modelfile, errors, src


def parse_file(path: str | os.PathLike[str]) -> Modelfile:
    """Read and parse a Modelfile from disk; a file that is not text (``check_text``:
    weights given by mistake) raises ``NotTextError`` (MF000) at once."""
    from modelfile.files import read_text_file

    try:
        data = read_text_file(path)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ModelfileError(f"cannot read Modelfile: {reason}", code="MF000", path=os.fspath(path)) from None
    return parse(data, path=path)


class _Tok(NamedTuple):
    """A Lark token with its positions as plain ints."""

    type: str
    text: str
    start: int
    end: int


def _tokens(node: Token | Tree[Token]) -> list[_Tok]:
    items = node.children if isinstance(node, Tree) else [node]
    return [_Tok(t.type, str(t), int(t.start_pos or 0), int(t.end_pos or 0)) for t in items if isinstance(t, Token)]


def _build(tree: Tree[Token], src: Source, masked: str) -> Modelfile:
    commands: list[Command] = []
    comments: list[Comment] = []
    for child in tree.children:
        tokens = _tokens(child)
        if isinstance(child, Token):  # a COMMENT
            comment = tokens[0]
            comments.append(Comment(src.text[comment.start : comment.end], src.span(comment.start, comment.end)))
        else:
            commands.append(_command(child.data, tokens, src, masked))
    return Modelfile(tuple(commands), tuple(comments), src)


def _command(kind: str, tokens: list[_Tok], src: Source, masked: str) -> Command:
    keyword, value_token = tokens[0], tokens[-1] if tokens[-1].type in _QUOTING else None
    start = keyword.start + (1 if keyword.text.startswith(INVISIBLE) else 0)
    word = keyword.text.lstrip(INVISIBLE)
    after = keyword.end + 1  # past the separator
    if kind == "parameter":
        name = tokens[1] if len(tokens) > 1 and tokens[1].type == "PARAM_NAME" else None
        name_end = name.end if name is not None else after
        value = _value(value_token, name_end + 1, src, masked)
        span = src.span(start, value.span.end.offset)
        return Parameter(word, value, span, name.text if name else "", src.span(after, name_end))
    if kind == "message":
        role = tokens[1]
        value = _value(value_token, role.end + 1, src, masked)
        span = src.span(start, value.span.end.offset)
        return Message(word, value, span, role.text, src.span(role.start, role.end))
    value = _value(value_token, after, src, masked)
    return COMMANDS[word.lower()](word, value, src.span(start, value.span.end.offset))


def _value(token: _Tok | None, start: int, src: Source, masked: str) -> Value:
    if token is None:  # nothing after the separator: the empty string
        return Value("", Quoting.NONE, src.span(start, start))
    quoting = _QUOTING[token.type]
    visible = masked[token.start : token.end].replace(INVISIBLE, "").strip(_TRIM)
    if quoting is Quoting.TRIPLE:
        text = visible[3:-3]
    elif quoting is Quoting.DOUBLE:
        text = visible[1:-1]
    else:
        text = visible
    return Value(text, quoting, src.span(token.start, token.end))
