from __future__ import annotations

from collections.abc import Iterator

from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.linter.templates import analysis, span_in_template
from modelfile.template.fields import unknown_fields

_OWNERS = {
    "root": "the template's data",
    "message": "a message",
    "toolcall": "a tool call",
    "callfunction": "a tool call's function",
    "tool": "a tool",
    "toolfunction": "a tool's function",
    "parameters": "a tool's parameters",
    "property": "a tool property",
}


class UnknownTemplateField(Rule):
    """## What it does
    Reports fields that Ollama's template data never has: typos (`.Promt`), fields of
    2023-era templates (`.First`, `.Context`), fields of a message used outside
    `range .Messages`.

    ## Why is this bad?
    Ollama executes templates with `missingkey=zero`: an unknown field is silently
    nothing, so `{{ if .First }}{{ .System }}{{ end }}` never shows the system prompt and
    `{{ .Promt }}` prints `<no value>` into the prompt.

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
            owner = _OWNERS.get(field.owner, field.owner)
            message = f".{field.name} is not a field of {owner}: Ollama renders it as nothing"
            hint = f"did you mean .{field.suggestion}?" if field.suggestion else None
            if field.note:
                hint = f".{field.name} was {field.note}" + (f"; {hint}" if hint else "")
            span = span_in_template(ctx, found.command, field.pos.line, field.pos.column, len(field.name) + 1)
            yield ctx.report(self, span, message, hint=hint)
