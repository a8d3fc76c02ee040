"""Apply the edits of fixes to source text: non-overlapping, last first."""

from __future__ import annotations

from collections.abc import Iterable

from modelfile.linter.diagnostic import Diagnostic, Edit


def apply_fixes(text: str, diagnostics: Iterable[Diagnostic], *, unsafe: bool = False) -> tuple[str, int]:
    """Text with every applicable fix applied, and how many fixes were applied.

    A fix whose edits overlap an already chosen fix is left for the next round.
    """
    chosen: list[Edit] = []
    applied = 0
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if fix is None or not (fix.safe or unsafe):
            continue
        if any(_overlaps(edit, other) for edit in fix.edits for other in chosen):
            continue
        chosen.extend(fix.edits)
        applied += 1
    for edit in sorted(chosen, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text, applied


def _overlaps(a: Edit, b: Edit) -> bool:
    return (a.start < b.end and b.start < a.end) or a.start == b.start
