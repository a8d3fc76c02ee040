from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Parameter
from modelfile.linter.diagnostic import Diagnostic, Edit, Fix, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.parameters import DEPRECATED


class DeprecatedParameter(Rule):
    """## What it does
    Reports parameters Ollama still accepts but ignores: `mirostat`, `mirostat_tau`,
    `mirostat_eta`, `penalize_newline`, `low_vram`, `f16_kv`, `logits_all`,
    `vocab_only`, `use_mlock`.

    ## Why is this bad?
    `ollama create` prints `warning: parameter <name> is deprecated` and drops the
    setting, so the model does not behave as the Modelfile suggests.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER mirostat 2
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    ```
    """

    code, name, severity = "MF204", "deprecated-parameter", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(Parameter):
            if command.param in DEPRECATED:
                source = ctx.source
                start = source.line_start(command.span.start.line)
                last = command.span.end.line
                end = source.line_start(last + 1) if last < source.line_count else len(source.text)
                fix = Fix("delete the line", (Edit(start, end, ""),), safe=True)
                yield ctx.report(
                    self,
                    command.param_span,
                    f"parameter {command.param} is deprecated: Ollama ignores it",
                    fix=fix,
                )
