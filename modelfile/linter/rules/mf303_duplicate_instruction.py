from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Command, Parser, Renderer, Requires, System, Template
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule, line_span

_SINGLE = (System, Template, Renderer, Parser, Requires)


class DuplicateInstruction(Rule):
    """## What it does
    Reports a SYSTEM, TEMPLATE, RENDERER, PARSER or REQUIRES that a later one of the
    same kind replaces.

    ## Why is this bad?
    Only the last one counts; the earlier one is dead text that readers will take for
    the model's behaviour.

    ## Example
    ```modelfile
    FROM llama3.2
    SYSTEM You are Mario.
    SYSTEM You are Luigi.
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    SYSTEM You are Luigi.
    ```
    """

    code, name, severity = "MF303", "duplicate-instruction", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        last: dict[type[Command], Command] = {}
        for command in ctx.modelfile.commands:
            if isinstance(command, _SINGLE):
                last[type(command)] = command
        for command in ctx.modelfile.commands:
            final = last.get(type(command))
            if final is not None and final is not command:
                yield ctx.report(
                    self,
                    line_span(ctx, command),
                    f"this {command.KEYWORD} is replaced by the one on line {final.span.start.line}",
                )
