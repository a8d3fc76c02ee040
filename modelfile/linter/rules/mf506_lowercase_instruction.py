from __future__ import annotations

from collections.abc import Iterator

from modelfile.linter.diagnostic import Diagnostic, Edit, Fix, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.source import Span


class LowercaseInstruction(Rule):
    """## What it does
    Notes instruction keywords not written in upper case.  Off unless selected.

    ## Why is this bad?
    Ollama accepts any case, but upper-case keywords are the convention of its
    documentation and make instructions stand out from their values.

    ## Example
    ```modelfile
    from llama3.2
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    ```
    """

    code, name, severity = "MF506", "lowercase-instruction", Severity.INFO
    default = False

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.commands:
            if command.keyword != command.KEYWORD:
                start = command.span.start
                end = ctx.source.position(start.offset + len(command.keyword))
                fix = Fix(f"write {command.KEYWORD}", (Edit(start.offset, end.offset, command.KEYWORD),), safe=True)
                yield ctx.report(self, Span(start, end), f"write {command.KEYWORD}, not {command.keyword}", fix=fix)
