from __future__ import annotations

from collections.abc import Iterator

from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule, line_span
from modelfile.linter.templates import analysis


class TemplateIgnoresConversation(Rule):
    """## What it does
    Reports a TEMPLATE that renders neither `.Messages` nor `.Prompt`.

    ## Why is this bad?
    Whatever the user types never reaches the model: every request gets the same prompt.

    ## Example
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{ .System }}\"\"\"
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{ .System }} {{ .Prompt }}\"\"\"
    ```
    """

    code, name, severity = "MF404", "template-ignores-conversation", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        found = analysis(ctx)
        if found is None or found.translation is None:
            return
        variables = found.translation.variables
        if "messages" not in variables and "prompt" not in variables:
            yield ctx.report(
                self,
                line_span(ctx, found.command),
                "the template uses neither .Messages nor .Prompt: user input never reaches the model",
            )
