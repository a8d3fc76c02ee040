"""The characters Ollama's lexer keeps, and the ones it silently drops.

Ollama appends a character to the text it is reading only when Go's
``strconv.IsPrint`` accepts it (Unicode categories L, M, N, P, S and the ASCII
space); tab, CR and LF enter values by another path.  Everything else (controls,
format characters such as ZWSP and BOM, NBSP and the other spaces, private-use and
unassigned code points) is dropped without a word.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

from modelfile.go._unicode15 import NONPRINTABLE_RANGES

#: What the grammar sees in place of every dropped character.
INVISIBLE = "\x00"

_STRUCTURAL = {0x09, 0x0A, 0x0D}  # tab, LF, CR: structure, not dropped
_STARTS = [first for first, _ in NONPRINTABLE_RANGES]
_ASCII_DROPPED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # what _dropped_code_point drops below 128


def _dropped_code_point(cp: int) -> bool:
    if cp in _STRUCTURAL:
        return False
    index = bisect.bisect_right(_STARTS, cp) - 1
    return index >= 0 and cp <= NONPRINTABLE_RANGES[index][1]


def mask_dropped(text: str) -> str:
    """Replace every character Ollama drops by ``INVISIBLE``, keeping offsets.

    Only the distinct characters of the text are looked up, so the cost is one pass
    of ``set`` and one of ``str.translate``; ASCII text (most of every Modelfile: the
    parser masks each value again) is one regular-expression search.

    >>> mask_dropped("a\\u200bb\\x7f\\tc"), mask_dropped("plain text")
    ('a\\x00b\\x00\\tc', 'plain text')
    >>> all(is_dropped(chr(c)) == (mask_dropped(chr(c)) == INVISIBLE) for c in range(128))  # the ASCII path agrees
    True
    """
    if text.isascii():
        return _ASCII_DROPPED.sub(INVISIBLE, text) if _ASCII_DROPPED.search(text) else text
    dropped = {ord(ch): 0 for ch in set(text) if _dropped_code_point(ord(ch))}
    return text.translate(dropped) if dropped else text


def is_dropped(char: str) -> bool:
    """True for a character Ollama's lexer silently drops (tab, CR and LF excepted)."""
    return _dropped_code_point(ord(char))


def describe(char: str) -> str:
    """``U+200B ZERO WIDTH SPACE``: how diagnostics name an invisible character.

    >>> describe("\u00a0"), describe("\x01"), describe("\ue000")
    ('U+00A0 NO-BREAK SPACE', 'U+0001 (a control character)', 'U+E000 (a private-use character)')
    """
    name = unicodedata.name(char, "")
    if not name:
        kinds = {"Cc": "a control character", "Co": "a private-use character", "Cn": "an unassigned code point"}
        name = f"({kinds.get(unicodedata.category(char), 'unnamed')})"
    return f"U+{ord(char):04X} {name}"


def quote_visibly(text: str) -> str:
    """``text`` in quotes for a message, each character Ollama drops (and any other that
    does not print) written as a ``\\uXXXX`` escape, so that it shows and cannot run into
    the characters around it.  Quotes are chosen as ``repr`` chooses them.

    >>> print(quote_visibly("temperature\u00a00.7"), quote_visibly("it's"))
    'temperature\\u00a00.7' "it's"
    """
    shown = "".join(map(_visible, text))
    if "'" in shown and '"' not in shown:
        return f'"{shown}"'
    return "'" + shown.replace("'", "\\'") + "'"


def _visible(char: str) -> str:
    if not (is_dropped(char) or not char.isprintable()):
        return char
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"
