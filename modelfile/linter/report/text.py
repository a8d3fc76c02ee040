"""``path:line:col: CODE message``, the source line with carets, the hint, a summary."""

from __future__ import annotations

from collections.abc import Sequence

from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.source import render_excerpt

_COLORS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


def render(diagnostics: Sequence[Diagnostic], *, files: int, color: bool = False) -> str:
    blocks = [_one(d, color) for d in diagnostics]
    blocks.append(summary(diagnostics, files))
    return "\n\n".join(blocks) + "\n"


def _one(d: Diagnostic, color: bool) -> str:
    code = f"{_COLORS[d.severity]}{_BOLD}{d.code}{_RESET}" if color else d.code
    lines = [f"{d.path or '<stdin>'}:{d.line}:{d.column}: {code} {d.message}"]
    if d.source_line is not None:
        end = d.end_column if d.end_line == d.line else None
        lines.append(render_excerpt(d.source_line, d.line, d.column, end))
    if d.hint:
        lines.append(f"  = help: {d.hint}")
    return "\n".join(lines)


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    counts = {severity: sum(d.severity is severity for d in diagnostics) for severity in Severity}
    checked = f"{files} file{'s' if files != 1 else ''}"
    if not diagnostics:
        return f"All checks passed ({checked})."
    parts = [
        f"{counts[s]} {label}{'s' if counts[s] != 1 and label != 'info' else ''}"
        for s, label in ((Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.INFO, "info"))
        if counts[s]
    ]
    return f"Found {', '.join(parts)} in {checked}."
