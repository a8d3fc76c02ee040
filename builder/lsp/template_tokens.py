"""A Go template cut into highlighted pieces that cover every character of it: literal
text, action delimiters (with the blanks inside actions), keywords, fields, variables,
functions, literals, comments and operators.  A lexer, not a parser: it never fails,
whatever is typed.

>>> [(text, kind) for text, kind in pieces("Hi {{ .Name }}")]
[('Hi ', 'string'), ('{{ ', 'macro'), ('.Name', 'property'), (' }}', 'macro')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator

KEYWORDS = frozenset(
    {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil", "true", "false"}
)

_OPEN = re.compile(r"\{\{-?[ \t\r\n]*")
_INSIDE = re.compile(
    r"""(?P<close>[ \t\r\n]*-?\}\})
    |(?P<comment>/\*.*?(?:\*/|\Z))
    |(?P<blank>[ \t\r\n]+)
    |(?P<string>"(?:[^"\\\r\n]|\\.)*"?|`[^`]*`?|'(?:[^'\\\r\n]|\\.)*'?)
    |(?P<number>[-+]?(?:0[xXoObB][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)(?:i)?)
    |(?P<property>\.[A-Za-z_][A-Za-z0-9_]*|\.)
    |(?P<variable>\$[A-Za-z0-9_]*)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<operator>:=|[=|(),]|.)""",
    re.X | re.S,
)


def pieces(template: str) -> Iterator[tuple[str, str]]:
    """(text, kind) pieces, in order; their texts joined are ``template``."""
    at = 0
    while at < len(template):
        opened = _OPEN.search(template, at)
        if opened is None:
            yield template[at:], "string"
            return
        if opened.start() > at:
            yield template[at : opened.start()], "string"
        yield opened.group(0), "macro"
        at = opened.end()
        while at < len(template):
            match = _INSIDE.match(template, at)
            assert match is not None  # the last alternative matches any character
            kind = match.lastgroup or "operator"
            text = match.group(0)
            at = match.end()
            if kind == "close":
                yield text, "macro"
                break
            if kind == "blank":
                kind = "macro"
            elif kind == "word":
                kind = "keyword" if text in KEYWORDS else "function"
            yield text, kind
