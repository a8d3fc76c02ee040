from __future__ import annotations

from collections.abc import Iterator

from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.linter.templates import analysis, span_in_template
from modelfile.template.fields import unknown_fields


class UnknownTemplateField(Rule):
    """## What it does
    Reports fields that Ollama's template data never has: typos (`.Promt`), fields of
    2023-era templates (`.First`, `.Context`), fields of a message used outside
    `range .Messages`.

    ## Why is this bad?
    The template's data is a Go map: an unknown field of it is false in conditions and
    prints `<no value>`, so `{{ if .First }}{{ .System }}{{ end }}` never shows the system
    prompt and `{{ .Promt }}` puts `<no value>` into the prompt.  Messages, tool calls and
    tools are Go structs: an unknown field of one (`.Contnet`) makes Ollama's render fail
    with `can't evaluate field`.

    ## Example
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{ if .First }}{{ .System }}{{ end }}{{ .Promt }}\"\"\"
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{ if .System }}{{ .System }}{{ end }}{{ .Prompt }}\"\"\"
    ```
    """

    code, name, severity = "MF403", "unknown-template-field", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        found = analysis(ctx)
        if found is None or found.parsed is None:
            return
        for field in unknown_fields(found.parsed.root):
            span = span_in_template(ctx, found.command, field.pos.line, field.pos.column, len(field.name) + 1)
            yield ctx.report(self, span, field.message, hint=field.hint)
