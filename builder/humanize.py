"""Numbers, sizes and times as Ollama prints them (``format.HumanNumber``,
``HumanBytes`` and ``HumanTime``)."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence


def human_number(count: int) -> str:
    """A parameter count as the config's ``model_type`` holds it: ``8.0B``, ``494.03M``, ``12K``."""
    for limit, suffix, decimals in ((1_000_000_000, "B", 1), (1_000_000, "M", 2)):
        if count >= limit:
            number = count / limit
            return f"{number:.0f}{suffix}" if number == int(number) else f"{number:.{decimals}f}{suffix}"
    if count >= 1000:
        return f"{count / 1000:.0f}K"
    return str(count)


def human_bytes(count: int) -> str:
    """Decimal units; whole numbers from 10 up, one decimal below: ``98 MB``, ``1.5 GB``, ``512 B``."""
    for limit, unit in ((1000**4, "TB"), (1000**3, "GB"), (1000**2, "MB"), (1000, "KB")):
        if count >= limit:
            value = count / limit
            if value >= 10 or value == int(value):
                return f"{int(value)} {unit}"
            return f"{value:.1f} {unit}"
    return f"{count} B"


def human_time(then: float, now: float | None = None) -> str:
    """How long ago, in the words ``ollama list`` uses: ``Less than a second ago``,
    ``About a minute ago``, ``3 hours ago``."""
    seconds = (time.time() if now is None else now) - then
    if seconds < 0:
        return "In the future"
    if seconds < 1:
        return "Less than a second ago"
    steps = (
        (60, 1, "second"),
        (3600, 60, "minute"),
        (86400, 3600, "hour"),
        (86400 * 7, 86400, "day"),
        (86400 * 30, 86400 * 7, "week"),
        (86400 * 365, 86400 * 30, "month"),
    )
    for limit, unit, word in steps:
        if seconds < limit:
            count = int(seconds // unit)
            if count == 1:
                return f"About a{'n' if word == 'hour' else ''} {word} ago" if word != "second" else "1 second ago"
            return f"{count} {word}s ago"
    years = int(seconds // (86400 * 365))
    return "About a year ago" if years == 1 else f"{years} years ago"


def columns(rows: Sequence[Sequence[str]], *, right: Collection[int] = (), gap: int = 3) -> list[str]:
    """Rows of cells as lines of aligned columns, each as wide as its widest cell and
    ``gap`` spaces apart, so that no two cells ever run together; the columns whose
    indexes are in ``right`` are right-aligned, and trailing blanks are cut.

    >>> rows = [("TYPE", "BPW", "NOTES"), ("Q4_K_M", "4.5", "optional, improves quality")]
    >>> print("\\n".join(columns(rows, right={1})))
    TYPE     BPW   NOTES
    Q4_K_M   4.5   optional, improves quality
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    lines = []
    for row in rows:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [cell.rjust(width) if i in right else cell.ljust(width) for i, (cell, width) in pairs]
        lines.append((" " * gap).join(cells).rstrip())
    return lines
