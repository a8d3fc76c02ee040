"""Positions in an editor's terms: LSP lines end at CRLF, LF or a lone CR (as
``modelfile.source`` counts them) and LSP columns count UTF-16 code units, while the
linter counts code points.  The conversions both ways, on a text split once.

>>> text = Lines("FROM x\\r\\nSYSTEM \\U0001f600 hi\\n")
>>> text.utf16(2, 9)  # 1-based line 2, code-point column 9 (after the emoji)
(1, 9)
>>> text.offset(1, 9)  # the same place as a code-point offset into the text
16
>>> text.position(16)
(1, 9)
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

_LINE_END = re.compile(r"\r\n|\r|\n")


def utf16_length(text: str) -> int:
    """UTF-16 code units of ``text``.

    >>> utf16_length("a\\U0001f600")
    3
    """
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def code_points(text: str, units: int) -> int:
    """How many code points of ``text`` its first ``units`` UTF-16 units hold (a
    position inside a surrogate pair counts the whole character; past the end, the
    units beyond it count one each).

    >>> code_points("\\U0001f600ab", 3)
    2
    """
    count = 0
    for char in text:
        if units <= 0:
            return count
        units -= 2 if ord(char) > 0xFFFF else 1
        count += 1
    return count + max(0, units)


@dataclass(frozen=True, eq=False)
class Lines:
    """A text and where its lines start."""

    text: str
    starts: list[int] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.starts.append(0)
        self.starts.extend(m.end() for m in _LINE_END.finditer(self.text))

    @property
    def count(self) -> int:
        return len(self.starts)

    def line(self, index: int) -> str:
        """The text of the 0-based line ``index`` without its line end ("" past the end)."""
        if not 0 <= index < len(self.starts):
            return ""
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[index] : end].rstrip("\r\n")

    def utf16(self, line: int, column: int) -> tuple[int, int]:
        """The LSP position (0-based line, UTF-16 column) of a 1-based line and
        code-point column; a column past the line's end keeps its distance from it."""
        text = self.line(line - 1)
        prefix = text[: max(0, column - 1)]
        return line - 1, utf16_length(prefix) + max(0, column - 1 - len(text))

    def offset(self, line: int, character: int) -> int:
        """The code-point offset into the text of an LSP position, clamped to its line."""
        if line >= len(self.starts):
            return len(self.text)
        if line < 0:
            return 0
        text = self.line(line)
        return self.starts[line] + min(len(text), code_points(text, character))

    def position(self, offset: int) -> tuple[int, int]:
        """The LSP position of a code-point offset into the text."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[index]
        return index, utf16_length(self.text[start:offset])
