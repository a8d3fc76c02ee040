"""The linter's findings as LSP diagnostics: the same codes, severities and ranges as
``mfc lint --format json`` (lines and code-point columns turned into LSP positions),
each linking to its rule's documentation."""

from __future__ import annotations

from lsprotocol import types

from builder.lsp.positions import Lines
from modelfile.linter import Diagnostic, Severity
from modelfile.linter.registry import BY_CODE

#: Where a rule's documentation is (docs/rules.md, the page SARIF reports link to too).
RULES_URL = "https://github.com/mfc-dev/mfc/blob/main/docs/rules.md"

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def rule_url(code: str) -> str:
    """The documentation of the rule ``code``.

    >>> rule_url("MF201")
    'https://github.com/mfc-dev/mfc/blob/main/docs/rules.md#mf201'
    """
    return f"{RULES_URL}#{code.lower()}"


def lsp_range(lines: Lines, diagnostic: Diagnostic) -> types.Range:
    start = lines.utf16(diagnostic.line, diagnostic.column)
    end = lines.utf16(diagnostic.end_line, diagnostic.end_column)
    return types.Range(types.Position(*start), types.Position(*end))


def to_lsp(lines: Lines, diagnostic: Diagnostic) -> types.Diagnostic:
    """One finding; its hint follows the message on a line of its own."""
    message = diagnostic.message + (f"\n{diagnostic.hint}" if diagnostic.hint else "")
    link = types.CodeDescription(href=rule_url(diagnostic.code)) if diagnostic.code in BY_CODE else None
    return types.Diagnostic(
        range=lsp_range(lines, diagnostic),
        message=message,
        severity=SEVERITIES[diagnostic.severity],
        code=diagnostic.code,
        code_description=link,
        source="mfc",
        data={"name": diagnostic.name, "fixable": diagnostic.fix is not None},
    )


def publishable(lines: Lines, diagnostics: tuple[Diagnostic, ...]) -> list[types.Diagnostic]:
    return [to_lsp(lines, d) for d in diagnostics]
