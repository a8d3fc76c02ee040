from __future__ import annotations

from collections.abc import Iterator

from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.linter.templates import analysis, span_in_template


class UntranslatableTemplate(Rule):
    """## What it does
    Reports a TEMPLATE that is valid Go but that mfc cannot translate to Jinja2
    faithfully: `define`/`template`/`block`, `call`, arguments given to a value that is
    not a function, `nil` as a command.

    ## Why is this bad?
    Ollama accepts it, but mfc cannot render its prompt byte for byte, so `mfc run` and
    any runtime given the Jinja translation would see a different prompt.  (Ollama's own
    templates never use these constructs.)

    ## Example
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{ define "turn" }}{{ .Content }}{{ end }}{{ range .Messages }}{{ template "turn" . }}{{ end }}\"\"\"
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{ range .Messages }}{{ .Content }}{{ end }}\"\"\"
    ```
    """

    code, name, severity = "MF402", "untranslatable-template", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        found = analysis(ctx)
        if found is None or found.unsupported is None:
            return
        error = found.unsupported
        yield ctx.report(
            self,
            span_in_template(ctx, found.command, error.line, error.column),
            f"mfc cannot translate this template: {error.message}",
            hint=error.hint,
        )
