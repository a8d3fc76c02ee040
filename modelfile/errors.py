"""The errors mfc raises: one tree under ``MfcError``.

Errors about user input say where (file, line, column) and what would be valid;
``str(error)`` is one line, ``error.render()`` adds the source line and a caret.
"""

from __future__ import annotations

from modelfile.source import render_excerpt


class MfcError(Exception):
    """Root of every error mfc raises on purpose."""


class ModelfileError(MfcError):
    """A Modelfile that Ollama's parser rejects (or that mfc cannot read).

    ``code`` is the stable rule code (``MF001`` …); ``ollama`` is the exact text
    Ollama's own parser gives for the same input, kept for compatibility checks.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        line: int = 1,
        column: int = 1,
        end_column: int | None = None,
        path: str | None = None,
        hint: str | None = None,
        ollama: str | None = None,
        source_line: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.line = line
        self.column = column
        self.end_column = end_column
        self.path = path
        self.hint = hint
        self.ollama = ollama
        self.source_line = source_line

    def __str__(self) -> str:
        return f"{self.path or '<string>'}:{self.line}:{self.column}: {self.code} {self.message}"

    def render(self) -> str:
        """The one-line message, the source line with a caret, and the hint."""
        out = [str(self)]
        if self.source_line is not None:
            out.append(render_excerpt(self.source_line, self.line, self.column, self.end_column))
        if self.hint:
            out.append(f"  = help: {self.hint}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "ollama": self.ollama,
        }


class TemplateError(MfcError):
    """A Go TEMPLATE that cannot be parsed, translated or executed.

    ``line``/``column`` are positions in the template text; ``go_error`` is what Ollama
    (Go's ``text/template``) says about the same template, when it also fails.
    """

    code = "MF401"

    def __init__(
        self,
        message: str,
        *,
        line: int = 1,
        column: int = 1,
        hint: str | None = None,
        go_error: str | None = None,
        source_line: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint
        self.go_error = go_error
        self.source_line = source_line

    def __str__(self) -> str:
        return f"template:{self.line}:{self.column}: {self.message}"

    def render(self) -> str:
        out = [str(self)]
        if self.source_line is not None:
            out.append(render_excerpt(self.source_line, self.line, self.column))
        if self.hint:
            out.append(f"  = help: {self.hint}")
        return "\n".join(out)


class UnsupportedTemplateError(TemplateError):
    """Valid Go, but mfc cannot translate it to Jinja2 faithfully."""

    code = "MF402"


class TemplateExecutionError(TemplateError):
    """Rendering failed where Go's ``Execute`` fails too (or would print garbage)."""

    code = "MF403"
