from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Message, System
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule


class MessageSystemWithSystem(Rule):
    """## What it does
    Reports a `MESSAGE system` in a Modelfile that also has a SYSTEM instruction.

    ## Why is this bad?
    Both reach the prompt: depending on the template the model sees two system
    prompts, or one silently replaces the other.  Say it once.

    ## Example
    ```modelfile
    FROM llama3.2
    SYSTEM You are Mario.
    MESSAGE system You are Luigi.
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    SYSTEM You are Mario.
    ```
    """

    code, name, severity = "MF301", "message-system-with-system", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        systems = ctx.modelfile.of_type(System)
        if not systems:
            return
        for command in ctx.modelfile.of_type(Message):
            if command.role == "system":
                yield ctx.report(
                    self,
                    command.role_span,
                    f"MESSAGE system beside the SYSTEM on line {systems[-1].span.start.line}",
                    hint="keep one system prompt",
                )
