from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Draft
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.weights import Kind


class DraftMissing(Rule):
    """## What it does
    Reports a DRAFT path that does not exist, relative to the Modelfile's folder.

    Also one the system will not look at or that is no regular file (a name too long,
    no permission, a named pipe), with the system's reason.

    ## Why is this bad?
    DRAFT (a small model for speculative decoding) must be local: `ollama create`
    stops with `stat <path>: no such file or directory`.

    ## Example
    ```modelfile
    FROM llama3.2
    DRAFT ./missing-draft.gguf
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    DRAFT ./draft.gguf
    ```
    """

    code, name, severity = "MF111", "draft-missing", Severity.WARNING
    example_files = {"draft.gguf": b"GGUF\x03\x00\x00\x00" + bytes(16)}

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(Draft):
            weights = ctx.weights(command.args)
            if weights is not None and weights.kind is Kind.UNREADABLE:
                yield ctx.report(self, command.value.span, f"DRAFT {command.args}: {weights.problem}")
            elif weights is None or weights.kind is Kind.MISSING:
                dangling = f" ({weights.problem})" if weights is not None and weights.problem else ""
                yield ctx.report(self, command.value.span, f"{command.args!r} does not exist{dangling}")
