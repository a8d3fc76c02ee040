"""The characters Ollama's lexer keeps, and the ones it silently drops.

Ollama appends a character to the text it is reading only when Go's
``strconv.IsPrint`` accepts it (Unicode categories L, M, N, P, S and the ASCII
space); tab, CR and LF enter values by another path.  Everything else (controls,
format characters such as ZWSP and BOM, NBSP and the other spaces, private-use and
unassigned code points) is dropped without a word.
"""

from __future__ import annotations

import re
import unicodedata

from modelfile._unicode15 import NONPRINTABLE_RANGES

#: What the grammar sees in place of every dropped character.
INVISIBLE = "\x00"

_STRUCTURAL = {0x09, 0x0A, 0x0D}


def _class_of_dropped() -> str:
    parts: list[str] = []
    for first, last in NONPRINTABLE_RANGES:
        lo = first
        for cp in [*sorted(c for c in _STRUCTURAL if first <= c <= last), last + 1]:
            hi = cp - 1
            if lo <= hi and not (lo >= 0xD800 and hi <= 0xDFFF):  # no surrogates in text
                parts.append(_escape(lo) if lo == hi else f"{_escape(lo)}-{_escape(hi)}")
            lo = cp + 1
    return "[" + "".join(parts) + "]"


def _escape(cp: int) -> str:
    return f"\\U{cp:08x}"


_DROPPED = re.compile(_class_of_dropped() + "+")
_DROPPED_ASCII = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")


def mask_dropped(text: str) -> str:
    """Replace every character Ollama drops by ``INVISIBLE``, keeping offsets."""
    pattern = _DROPPED_ASCII if text.isascii() else _DROPPED
    return pattern.sub(lambda m: INVISIBLE * len(m.group()), text)


def is_dropped(char: str) -> bool:
    """True for a character Ollama's lexer silently drops (tab, CR and LF excepted)."""
    return bool(_DROPPED.match(char))


def describe(char: str) -> str:
    """``U+200B ZERO WIDTH SPACE``: how diagnostics name an invisible character."""
    name = unicodedata.name(char, "") or "unnamed"
    return f"U+{ord(char):04X} {name}"
