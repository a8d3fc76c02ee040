"""Report formats for lint results, a module each: ``text``, ``json``, ``sarif``,
``github``.  Each has ``render(diagnostics, files=N) -> str``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from modelfile.linter.diagnostic import Diagnostic
from modelfile.linter.report import github, json, sarif, text

Renderer = Callable[..., str]

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": json.render,
    "sarif": sarif.render,
    "github": github.render,
}


def render(name: str, diagnostics: Sequence[Diagnostic], *, files: int, color: bool = False) -> str:
    return FORMATS[name](diagnostics, files=files, color=color)
