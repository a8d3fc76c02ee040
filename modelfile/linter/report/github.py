"""GitHub Actions workflow commands: an annotation per diagnostic."""

from __future__ import annotations

from collections.abc import Sequence

from modelfile.linter.diagnostic import Diagnostic, Severity

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics: Sequence[Diagnostic], *, files: int, color: bool = False) -> str:
    lines = []
    for d in diagnostics:
        props = [f"file={_property(d.path or '<stdin>')}", f"line={d.line}", f"col={d.column}"]
        props += [f"endLine={d.end_line}", f"endColumn={d.end_column}", f"title={_property(f'{d.code} {d.name}')}"]
        message = d.message + (f" ({d.hint})" if d.hint else "")
        lines.append(f"::{_LEVELS[d.severity]} {','.join(props)}::{_data(message)}")
    return "".join(line + "\n" for line in lines)
