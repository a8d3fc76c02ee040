"""The errors mfc raises: one tree under ``MfcError``.

Errors about user input say where (file, line, column) and what would be valid;
``str(error)`` is one line, ``error.render()`` adds the source line and a caret.

Every error has a stable ``code``: the lint rule's code where a rule reports the same
problem (``MF001`` … for syntax, ``MF401``/``MF402`` for templates), otherwise a
kebab-case name (``model-not-found``, ``invalid-gguf`` …) that never changes meaning.
``exit_code`` is what the ``mfc`` command exits with: 1 for failures, 2 where the
command line itself is at fault (a bad model name, a bad configuration).

>>> from modelfile.errors import MfcError
>>> error = MfcError("something went wrong")
>>> error.code, error.exit_code, error.to_dict()
('error', 1, {'code': 'error', 'message': 'something went wrong'})
"""

from __future__ import annotations

from typing import Any

from modelfile.source import render_excerpt


class MfcError(Exception):
    """Root of every error mfc raises on purpose."""

    code = "error"
    exit_code = 1

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(message, *args)
        self.message = message

    def render(self) -> str:
        """What a terminal shows: the one-line message (subclasses add a caret excerpt)."""
        return str(self)

    def to_dict(self) -> dict[str, object]:
        """The error as JSON output carries it: at least ``code`` and ``message``."""
        return {"code": self.code, "message": str(self)}


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


class NotTextError(ModelfileError):
    """A file given as a Modelfile that is not text at all (GGUF or safetensors weights,
    or a NUL byte in its first 8 KB): reported at once as MF000, not parsed."""

    code = "MF000"

    def __init__(self, message: str, *, line: int = 1, column: int = 1, path: str | None = None) -> None:
        super().__init__(message, code="MF000", line=line, column=column, path=path)


class TemplateError(MfcError):
    """A Go TEMPLATE that cannot be parsed, translated or executed.

    ``line``/``column`` are positions in the template text, or, with ``path`` set (a
    template read from a file or a Modelfile), in that file; ``go_error`` is what Ollama
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
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint
        self.go_error = go_error
        self.source_line = source_line
        self.path = path

    def __str__(self) -> str:
        if self.path is not None:
            return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"
        return f"template:{self.line}:{self.column}: {self.message}"

    def render(self) -> str:
        out = [str(self)]
        if self.source_line is not None:
            out.append(render_excerpt(self.source_line, self.line, self.column))
        if self.hint:
            out.append(f"  = help: {self.hint}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, object]:
        where: dict[str, object] = {"path": self.path} if self.path is not None else {}
        return {
            **where,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "go_error": self.go_error,
        }


class UnsupportedTemplateError(TemplateError):
    """Valid Go, but mfc cannot translate it to Jinja2 faithfully.

    ``constructs`` lists every construct a translation target cannot express, as
    ``(line, column, what)``; ``line``/``column`` are then those of the first one.
    """

    code = "MF402"

    def __init__(self, message: str, *, constructs: tuple[tuple[int, int, str], ...] = (), **where: Any) -> None:
        super().__init__(message, **where)
        self.constructs = constructs

    def __str__(self) -> str:
        listed = "; ".join(f"{line}:{column} {what}" for line, column, what in self.constructs)
        return super().__str__() + (f": {listed}" if listed else "")

    def render(self) -> str:
        """The first line, each construct on a line of its own, the first one's caret, the hint."""
        if not self.constructs:
            return super().render()
        out = [TemplateError.__str__(self)]
        out += [f"  {line}:{column}: {what}" for line, column, what in self.constructs]
        if self.source_line is not None:
            out.append(render_excerpt(self.source_line, self.line, self.column))
        if self.hint:
            out.append(f"  = help: {self.hint}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, object]:
        listed = [{"line": line, "column": column, "message": what} for line, column, what in self.constructs]
        return {**super().to_dict(), **({"constructs": listed} if listed else {})}


class TemplateExecutionError(TemplateError):
    """Rendering failed where Go's ``Execute`` fails too (or would print garbage)."""

    code = "template-execution-failed"


class NoTemplateError(MfcError):
    """A Modelfile given where a template was expected has no TEMPLATE."""

    code = "no-template"
    exit_code = 2


class EncodingError(MfcError):
    """A file that cannot be rewritten (fixed, formatted) without changing bytes: it is
    not valid in the encoding Ollama reads it in (lint reports the same as MF507)."""

    code = "MF507"


class RequestError(MfcError):
    """An ``/api/generate`` or ``/api/chat`` request body that is not well formed: an
    unknown key (with the nearest known one), a value of the wrong type (naming its
    key), or a combination Ollama refuses (``raw`` with ``template``)."""

    code = "invalid-request"
    exit_code = 2


class UnsupportedRequestError(MfcError):
    """A well-formed request the model cannot serve, refused as Ollama refuses it
    (``"NAME" does not support thinking``, ``… does not support insert``)."""

    code = "unsupported-request"


class InputError(MfcError):
    """The command line asks to read input in a way that cannot work: standard input
    closed, or piped to a command that would ignore it, or no Modelfile where the
    command looks by default.  A usage error (exit 2)."""

    code = "invalid-input"
    exit_code = 2


class UsageError(InputError):
    """The command line itself is malformed (an unknown option, a missing argument, a
    bad value): click's usage errors, carried as an ``MfcError`` so that ``--json``
    reports them as it reports every other error.

    >>> UsageError("No such option: --jsn").to_dict()
    {'code': 'usage-error', 'message': 'No such option: --jsn'}
    """

    code = "usage-error"


class InternalError(MfcError):
    """A failure mfc did not foresee (a bug): reported in one line, and as JSON under
    ``--json``, rather than as a traceback (``MFC_DEBUG=1`` shows the traceback)."""

    code = "internal-error"


class Interrupted(MfcError):
    """The command was interrupted (Ctrl-C): exit 130, as shells report SIGINT."""

    code = "interrupted"
    exit_code = 130


class StdinClosedError(InputError):
    """``-`` (standard input) was asked for, but the process has no standard input."""

    code = "stdin-closed"


class StdinIgnoredError(InputError):
    """Data was piped to a command that reads files, not standard input (``-`` reads it)."""

    code = "stdin-ignored"
