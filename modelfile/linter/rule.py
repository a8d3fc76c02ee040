"""The shape of a lint rule and what it is given to look at.

A rule is a small class: ``code`` (stable, never reused), ``name``, default
``severity``, a docstring in four parts (``## What it does``, ``## Why is this bad?``,
``## Example``, ``## Use instead``) that becomes its documentation, and ``check``,
which yields diagnostics for one Modelfile.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from modelfile.go.printable import INVISIBLE, mask_dropped
from modelfile.ir import Command, Modelfile
from modelfile.linter.diagnostic import Diagnostic, Fix, Severity
from modelfile.paths import PathError, expand_path
from modelfile.source import Source, Span
from modelfile.weights import Weights, inspect


class Rule:
    """Base class of every rule."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    #: Off unless selected (style rules).
    default: ClassVar[bool] = True
    #: Files an example needs, created next to it when the docs' examples are tested.
    example_files: ClassVar[dict[str, bytes]] = {}

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        return iter(())

    @classmethod
    def summary(cls) -> str:
        """The first line of the docstring's "What it does" section."""
        doc = (cls.__doc__ or "").split("## What it does", 1)[-1].strip()
        return " ".join(doc.split("\n\n", 1)[0].split())


@dataclass
class LintContext:
    """One Modelfile under lint, with what rules need to know about its surroundings."""

    modelfile: Modelfile
    source: Source
    base_dir: Path  # the Modelfile's folder: relative paths start here, as in Ollama
    _weights: dict[str, Weights] = field(default_factory=dict)
    _memo: dict[str, Any] = field(default_factory=dict)

    def report(
        self,
        rule: Rule | type[Rule],
        span: Span,
        message: str,
        *,
        hint: str | None = None,
        fix: Fix | None = None,
    ) -> Diagnostic:
        start, end = span.start, span.end
        if end.line != start.line or end.column <= start.column:
            end_line, end_column = (
                start.line,
                start.column + max(1, len(self.source.line_text(start.line)) - start.column + 1),
            )
        else:
            end_line, end_column = end.line, end.column
        return Diagnostic(
            path=self.source.path,
            line=start.line,
            column=start.column,
            end_line=end_line,
            end_column=end_column,
            code=rule.code,
            name=rule.name,
            severity=rule.severity,
            message=message,
            hint=hint,
            fix=fix,
            source_line=self.source.line_text(start.line),
        )

    def resolve(self, value: str) -> str | None:
        """The absolute path a FROM/ADAPTER/DRAFT value names, as Ollama expands it."""
        try:
            return expand_path(value, self.base_dir)
        except PathError:
            return None

    def weights(self, value: str) -> Weights | None:
        """What the path a value names holds (cached), or ``None`` if it cannot be expanded.

        Never raises: a path the system will not look at or open (too long, a loop, a
        FIFO, no permission) is ``Kind.UNREADABLE`` with the system's reason."""
        path = self.resolve(value)
        if path is None:
            return None
        if path not in self._weights:
            self._weights[path] = inspect(path)
        return self._weights[path]

    def value_start(self, command: Command) -> int:
        """Offset of the first character of a command's value as Ollama reads it."""
        span = command.value.span
        raw = mask_dropped(self.source.text[span.start.offset : span.end.offset])
        return span.start.offset + len(raw) - len(raw.lstrip(" \t" + INVISIBLE))

    def memo(self, key: str, compute: Any) -> Any:
        """Compute something once per Modelfile (e.g. GGUF metadata)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def line_span(ctx: LintContext, command: Command) -> Span:
    """The first line of a command, for findings about the whole instruction."""
    start = command.span.start
    end = (
        command.span.end
        if command.span.end.line == start.line
        else ctx.source.position(ctx.source.line_start(start.line) + len(ctx.source.line_text(start.line)))
    )
    return Span(start, end)


def base_dir_of(path: str | None) -> Path:
    return Path(os.path.dirname(os.path.abspath(path))) if path else Path.cwd()
