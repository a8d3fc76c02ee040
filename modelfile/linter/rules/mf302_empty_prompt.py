from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import System, Template
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule, line_span


class EmptyPrompt(Rule):
    """## What it does
    Reports a SYSTEM or TEMPLATE that is empty or only whitespace.

    ## Why is this bad?
    An empty SYSTEM or TEMPLATE does *not* clear the base model's: Ollama treats it as
    unset and keeps the inherited one.  A whitespace-only one does replace it, with
    nothing useful.

    ## Example
    ```modelfile
    FROM llama3.2
    SYSTEM ""
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    SYSTEM You are a concise assistant.
    ```
    """

    code, name, severity = "MF302", "empty-prompt", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.commands:
            if not isinstance(command, System | Template) or command.args.strip():
                continue
            keyword = command.KEYWORD
            if command.args == "":
                message = f"empty {keyword} does not clear the base model's {keyword.lower()}: Ollama keeps it"
            else:
                message = f"{keyword} is only whitespace"
            yield ctx.report(self, line_span(ctx, command), message)
