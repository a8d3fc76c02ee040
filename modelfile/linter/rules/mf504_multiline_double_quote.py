from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Quoting
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule, line_span


class MultilineDoubleQuote(Rule):
    """## What it does
    Notes a `"..."` value that spans several lines.

    ## Why is this bad?
    Ollama allows it (and `ollama show` writes it), but one missing `"` then changes
    the meaning of the rest of the file.  `\"\"\"` marks a multi-line value clearly.

    ## Example
    ```modelfile
    FROM llama3.2
    SYSTEM "You are Mario.
    Answer briefly."
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    SYSTEM \"\"\"You are Mario.
    Answer briefly.\"\"\"
    ```
    """

    code, name, severity = "MF504", "multiline-double-quote", Severity.INFO

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.commands:
            span = command.value.span
            if command.value.quoting is Quoting.DOUBLE and span.start.line != span.end.line:
                yield ctx.report(
                    self,
                    line_span(ctx, command),
                    f'"..." value over {span.end.line - span.start.line + 1} lines',
                    hint='use """...""" for values that span lines (`mfc fmt` does this)',
                )
