"""Inline suppressions, always on a comment line of their own (a ``#`` after an
instruction is part of its value, not a comment):

* ``# mfc: ignore[MF201,MF206]`` – these codes, on the next instruction;
* ``# mfc: ignore`` – every code, on the next instruction;
* ``# mfc: ignore-file[MF105]`` / ``# mfc: ignore-file`` – in the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from modelfile.ir import Modelfile
from modelfile.linter.diagnostic import Diagnostic

_PRAGMA = re.compile(r"#\s*mfc\s*:\s*(?P<kind>[\w-]+)\s*(?:\[(?P<codes>[^\]]*)\])?\s*$")
_CODE = re.compile(r"[A-Z]+[0-9]+")


@dataclass(frozen=True)
class Suppression:
    """Codes (empty: all) silenced on lines ``first``..``last`` (``None``: whole file)."""

    codes: frozenset[str]
    first: int | None
    last: int | None
    line: int  # where the pragma is written

    def covers(self, diagnostic: Diagnostic) -> bool:
        if self.codes and diagnostic.code not in self.codes:
            return False
        if self.first is None or self.last is None:
            return True
        return self.first <= diagnostic.line <= self.last


@dataclass(frozen=True)
class BadPragma:
    """A ``# mfc:`` comment that could not be understood."""

    line: int
    column: int
    message: str


def read_pragmas(modelfile: Modelfile, known: Iterable[str]) -> tuple[list[Suppression], list[BadPragma]]:
    known_codes = set(known)
    suppressions: list[Suppression] = []
    problems: list[BadPragma] = []
    commands = sorted(modelfile.commands, key=lambda c: c.span.start.offset)
    for comment in modelfile.comments:
        if not re.match(r"#\s*mfc\s*:", comment.text):
            continue
        line, column = comment.span.start.line, comment.span.start.column
        match = _PRAGMA.match(comment.text.rstrip())
        if match is None or match.group("kind") not in ("ignore", "ignore-file"):
            problems.append(
                BadPragma(line, column, "not a pragma: write `# mfc: ignore[CODE]` or `# mfc: ignore-file[CODE]`")
            )
            continue
        raw = [c.strip() for c in (match.group("codes") or "").split(",") if c.strip()]
        unknown = [c for c in raw if not _CODE.fullmatch(c) or c not in known_codes]
        if unknown:
            problems.append(BadPragma(line, column, f"unknown rule code(s) in pragma: {', '.join(unknown)}"))
        codes = frozenset(c for c in raw if c in known_codes)
        if raw and not codes:
            continue
        if match.group("kind") == "ignore-file":
            suppressions.append(Suppression(codes, None, None, line))
            continue
        following = next((c for c in commands if c.span.start.offset > comment.span.start.offset), None)
        if following is not None:
            suppressions.append(Suppression(codes, following.span.start.line, following.span.end.line, line))
    return suppressions, problems
