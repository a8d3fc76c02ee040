"""Code actions: a quick fix per lint fix in the requested range (safe fixes preferred),
and "fix all" (``source.fixAll``) applying every safe fix as ``mfc lint --fix`` does,
plus every fix, unsafe ones too, as ``--unsafe-fixes`` does."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from builder.lsp.diagnostics import lsp_range, to_lsp
from builder.lsp.positions import Lines
from modelfile.linter import Diagnostic
from modelfile.linter.fixes import apply_fixes

FIX_ALL = types.CodeActionKind.SourceFixAll


def _edit(uri: str, lines: Lines, diagnostic: Diagnostic) -> types.WorkspaceEdit:
    assert diagnostic.fix is not None
    edits = [
        types.TextEdit(
            types.Range(types.Position(*lines.position(e.start)), types.Position(*lines.position(e.end))),
            e.replacement,
        )
        for e in diagnostic.fix.edits
    ]
    return types.WorkspaceEdit(changes={uri: edits})


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def code_actions(
    uri: str,
    lines: Lines,
    diagnostics: tuple[Diagnostic, ...],
    wanted: types.Range,
    only: Sequence[str] | None = None,
) -> list[types.CodeAction]:
    """The actions for ``wanted``; ``only``: the kinds the client asked for."""
    found: list[types.CodeAction] = []
    quick = only is None or any(k.startswith(types.CodeActionKind.QuickFix) for k in only)
    if quick:
        for diagnostic in diagnostics:
            if diagnostic.fix is None or not _overlaps(lsp_range(lines, diagnostic), wanted):
                continue
            warning = "" if diagnostic.fix.safe else " (unsafe: changes what Ollama reads)"
            found.append(
                types.CodeAction(
                    title=f"{diagnostic.fix.title}{warning} [{diagnostic.code}]",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[to_lsp(lines, diagnostic)],
                    edit=_edit(uri, lines, diagnostic),
                    is_preferred=diagnostic.fix.safe,
                )
            )
    if only is None or any(FIX_ALL.startswith(k) or k.startswith(FIX_ALL) for k in only):
        choices: tuple[tuple[bool, str], ...] = (
            (False, "Fix all safe mfc problems"),
            (True, "Fix all mfc problems, unsafe fixes too"),
        )
        for unsafe, title in choices:
            fixed, applied = apply_fixes(lines.text, diagnostics, unsafe=unsafe)
            if applied and (not unsafe or fixed != apply_fixes(lines.text, diagnostics)[0]):
                whole = types.Range(types.Position(0, 0), types.Position(*lines.position(len(lines.text))))
                edit = types.WorkspaceEdit(changes={uri: [types.TextEdit(whole, fixed)]})
                found.append(
                    types.CodeAction(title=title, kind=FIX_ALL if not unsafe else f"{FIX_ALL}.unsafe", edit=edit)
                )
    return found
