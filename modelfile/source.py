"""Source text: offsets to line and column, and the caret excerpts errors print.

Lines are what an editor shows: CRLF, LF and a lone CR each end one line.  (Ollama
counts CR and LF separately, so its own line numbers double in CRLF files;
``ollama_line`` reproduces them for its error texts.)  Columns count code points
from 1.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from modelfile.go.printable import INVISIBLE, mask_dropped

_LINE_END = re.compile(r"\r\n|\r|\n")
_WIDTH = 160  # widest excerpt shown


@dataclass(frozen=True)
class Position:
    """A place in the source: code-point offset, 1-based line and column."""

    offset: int
    line: int
    column: int


@dataclass(frozen=True)
class Span:
    """A half-open range of the source, ``start`` included, ``end`` excluded."""

    start: Position
    end: Position


@dataclass(frozen=True, eq=False)
class Source:
    """A decoded Modelfile and where it came from."""

    text: str
    path: str | None = None
    _starts: list[int] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self._starts.append(0)
        self._starts.extend(m.end() for m in _LINE_END.finditer(self.text))

    @property
    def name(self) -> str:
        return self.path if self.path is not None else "<string>"

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self._starts, offset) - 1
        return Position(offset, index + 1, offset - self._starts[index] + 1)

    def span(self, start: int, end: int) -> Span:
        return Span(self.position(start), self.position(end))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line end."""
        if not 1 <= line <= len(self._starts):
            return ""
        start = self._starts[line - 1]
        end = self._starts[line] if line < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def line_start(self, line: int) -> int:
        return self._starts[max(0, min(line, len(self._starts)) - 1)]

    def ollama_line(self, offset: int) -> int:
        """The line number Ollama reports for a fault at ``offset``.

        Ollama counts every CR and every LF, and counts the character being read
        before it looks at it, so a fault *at* a line end is reported on the next line.
        """
        text = self.text
        line = 1 + text.count("\n", 0, offset) + text.count("\r", 0, offset)
        if offset < len(text) and text[offset] in "\r\n":
            line += 1
        return line

    def excerpt(self, line: int, column: int, end_column: int | None = None, label: str = "") -> str:
        """The line with a caret (or a run of carets) under the columns given."""
        return render_excerpt(self.line_text(line), line, column, end_column, label)


def render_excerpt(text: str, line: int, column: int, end_column: int | None = None, label: str = "") -> str:
    """Format ``text`` (line ``line``) with carets under ``column``..``end_column``.

    Tabs show as one space and characters Ollama drops as ``·``, so that the carets
    stay under the right character; very long lines show a window around the caret.
    """
    first = 0
    if len(text) > _WIDTH:
        first = max(0, min(column - _WIDTH // 3, len(text) - _WIDTH))
        text = text[first : first + _WIDTH]
    shown = mask_dropped(text).replace("\t", " ").replace(INVISIBLE, "·")
    width = max(1, (end_column or column + 1) - column)
    width = min(width, max(1, len(shown) - (column - 1 - first)))
    gutter = str(line)
    pad = " " * len(gutter)
    carets = " " * (column - 1 - first) + "^" * width
    return "\n".join([f"{pad} |", f"{gutter} | {shown}".rstrip(), f"{pad} | {carets}" + (f" {label}" if label else "")])
