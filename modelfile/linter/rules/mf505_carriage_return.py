from __future__ import annotations

from collections.abc import Iterator

from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule, line_span


class CarriageReturnInValue(Rule):
    """## What it does
    Notes a multi-line value that contains carriage returns, as every multi-line
    value of a file with Windows (CRLF) line ends does.

    ## Why is this bad?
    Ollama keeps the `\\r` of each CRLF inside the value: a TEMPLATE or SYSTEM prompt
    then reaches the model with `\\r\\n` line ends, which tokenizes differently from
    what the model was trained on.

    ## Example
    ```modelfile
    FROM llama3.2\r
    SYSTEM \"\"\"\r
    You are Mario.\r
    \"\"\"\r
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    SYSTEM \"\"\"
    You are Mario.
    \"\"\"
    ```
    """

    code, name, severity = "MF505", "carriage-return-in-value", Severity.INFO

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.commands:
            if "\r" in command.args:
                yield ctx.report(
                    self,
                    line_span(ctx, command),
                    f"the {command.KEYWORD} value contains {command.args.count(chr(13))} carriage return(s)"
                    " (CRLF line ends)",
                    hint="save the file with LF line ends",
                )
