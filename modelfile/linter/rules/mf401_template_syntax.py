from __future__ import annotations

from collections.abc import Iterator

from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.linter.templates import analysis, span_in_template


class TemplateSyntax(Rule):
    """## What it does
    Reports a TEMPLATE that Go's `text/template` (as Ollama sets it up) cannot parse:
    an unclosed `{{`, an `if`/`range`/`with` without `{{ end }}`, an unknown function
    (only Go's builtins and Ollama's `json`, `currentDate`, `yesterdayDate`,
    `toTypeScriptType` exist), an undefined variable, `break` outside `range`.

    ## Why is this bad?
    `ollama create` fails with `template error: ...`, and the message names no line of
    the Modelfile.

    ## Example
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{ if .System }}{{ .System }}{{ .Prompt }}\"\"\"
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{ if .System }}{{ .System }}{{ end }}{{ .Prompt }}\"\"\"
    ```
    """

    code, name, severity = "MF401", "template-syntax", Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        found = analysis(ctx)
        if found is None or found.syntax_error is None:
            return
        error = found.syntax_error
        span = span_in_template(ctx, found.command, error.line, error.column)
        go = f" (Ollama: template error: {error.go_error})" if error.go_error else ""
        yield ctx.report(self, span, f"template: {error.message}{go}", hint=error.hint)
