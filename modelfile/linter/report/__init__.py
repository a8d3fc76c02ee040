"""Report formats for lint results, a module each: ``text``, ``json``, ``sarif``,
``github``.  Each has ``render(diagnostics, files=N) -> str``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

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


def wants_color(terminal: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour a report: never when ``NO_COLOR`` is set to anything but ""
    (no-color.org; it wins), always when ``FORCE_COLOR`` is (force-color.org), and
    otherwise when the output is a ``terminal``.

    >>> wants_color(True, {"NO_COLOR": "1"}), wants_color(False, {"FORCE_COLOR": "1"}), wants_color(True, {})
    (False, True, True)
    >>> wants_color(False, {}), wants_color(True, {"NO_COLOR": ""})
    (False, True)
    >>> wants_color(False, {"FORCE_COLOR": "1", "NO_COLOR": "1"})
    False
    """
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    return bool(env.get("FORCE_COLOR")) or terminal
