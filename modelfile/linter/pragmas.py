"""Inline suppressions, always on a comment line of their own (a ``#`` after an
instruction is part of its value, not a comment):

* ``# mfc: ignore[MF201,MF206]`` – these codes (or rule names), on the next instruction;
* ``# mfc: ignore`` – every code, on the next instruction;
* ``# mfc: ignore-file[MF105]`` / ``# mfc: ignore-file`` – in the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from modelfile.ir import Modelfile
from modelfile.linter.diagnostic import Diagnostic
from modelfile.linter.registry import BY_NAME, suggest_rule

_PRAGMA = re.compile(r"#\s*mfc\s*:\s*(?P<kind>[\w-]+)\s*(?:\[(?P<codes>[^\]]*)\])?\s*$")


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
    """The suppressions a Modelfile's pragmas make, and the pragmas that are wrong.
    ``known`` are the rule codes; a pragma may name a rule by code or by name."""
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
        found = {c: _code(c, known_codes) for c in raw}
        unknown = [c for c, code in found.items() if code is None]
        if unknown:
            problems.append(BadPragma(line, column, _unknown_message(unknown)))
        codes = frozenset(code for code in found.values() if code is not None)
        if raw and not codes:
            continue
        if match.group("kind") == "ignore-file":
            suppressions.append(Suppression(codes, None, None, line))
            continue
        following = next((c for c in commands if c.span.start.offset > comment.span.start.offset), None)
        if following is not None:
            suppressions.append(Suppression(codes, following.span.start.line, following.span.end.line, line))
    return suppressions, problems


def _code(key: str, known_codes: set[str]) -> str | None:
    """The code a pragma's entry names: a code exactly, or a rule's name."""
    if key in known_codes:
        return key
    rule = BY_NAME.get(key)
    return rule.code if rule is not None and rule.code in known_codes else None


def _unknown_message(unknown: list[str]) -> str:
    guesses = [g for g in map(suggest_rule, unknown) if g]
    hint = f" (did you mean {', '.join(guesses)}?)" if guesses else ""
    return f"unknown rule code(s) in pragma: {', '.join(unknown)}{hint}"
