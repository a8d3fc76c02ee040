from __future__ import annotations

import os
from collections.abc import Iterator

from modelfile.ir import Draft, From
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.weights import Kind


class DraftSameAsFrom(Rule):
    """## What it does
    Reports a DRAFT that names the same file or folder as a FROM (after resolving
    relative paths and symbolic links).

    ## Why is this bad?
    `ollama create` refuses it: `DRAFT must not reference the same local path as FROM`.
    A draft model must be a different, smaller model.

    ## Example
    ```modelfile
    FROM ./model.gguf
    DRAFT ./model.gguf
    ```

    ## Use instead
    ```modelfile
    FROM ./model.gguf
    DRAFT ./draft.gguf
    ```
    """

    code, name, severity = "MF112", "draft-same-as-from", Severity.ERROR
    example_files = {
        "model.gguf": b"GGUF\x03\x00\x00\x00" + bytes(16),
        "draft.gguf": b"GGUF\x03\x00\x00\x00" + bytes(8),
    }

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        models = {_real(ctx, f.args) for f in ctx.modelfile.of_type(From)} - {None}
        for command in ctx.modelfile.of_type(Draft):
            real = _real(ctx, command.args)
            if real is not None and real in models:
                yield ctx.report(
                    self, command.value.span, f"DRAFT must not reference the same local path as FROM: {command.args}"
                )


def _real(ctx: LintContext, value: str) -> str | None:
    weights = ctx.weights(value)
    if weights is None or weights.kind in (Kind.MISSING, Kind.UNREADABLE):
        return None
    return os.path.realpath(weights.path)
