"""A JSON array of diagnostics (``Diagnostic.to_dict``), for scripts and editors."""

from __future__ import annotations

import json
from collections.abc import Sequence

from modelfile.linter.diagnostic import Diagnostic


def render(diagnostics: Sequence[Diagnostic], *, files: int, color: bool = False) -> str:
    return json.dumps([d.to_dict() for d in diagnostics], indent=2, ensure_ascii=False) + "\n"
