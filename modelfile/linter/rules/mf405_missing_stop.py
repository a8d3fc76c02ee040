from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import From, Parameter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule, line_span
from modelfile.linter.templates import analysis
from modelfile.template.named import index
from modelfile.weights import Kind


class MissingStop(Rule):
    """## What it does
    Reports a TEMPLATE that is one of Ollama's built-in templates when the Modelfile's
    `stop` sequences leave out that template's end-of-turn tokens (or, for local
    weights, sets none).

    ## Why is this bad?
    Without the end-of-turn token as a stop sequence the model writes past its turn,
    inventing the user's next message.  A Modelfile that sets any `stop` replaces the
    whole inherited list, so it must repeat these.

    ## Example
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{- range .Messages }}<|im_start|>{{ .Role }}
    {{ .Content }}<|im_end|>
    {{ end }}<|im_start|>assistant
    \"\"\"
    PARAMETER stop "User:"
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{- range .Messages }}<|im_start|>{{ .Role }}
    {{ .Content }}<|im_end|>
    {{ end }}<|im_start|>assistant
    \"\"\"
    PARAMETER stop "User:"
    PARAMETER stop <|im_start|>
    PARAMETER stop <|im_end|>
    ```
    """

    code, name, severity = "MF405", "missing-stop", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        found = analysis(ctx)
        if found is None or found.translation is None:
            return
        text = found.command.value.text.replace("\r\n", "\n")
        known = next((t for t in index() if t.template.strip() == text.strip()), None)
        if known is None or not known.stop:
            return
        stops = [c.args for c in ctx.modelfile.of_type(Parameter) if c.param == "stop"]
        if stops:
            missing = [s for s in known.stop if s not in stops]
            if missing:
                yield ctx.report(
                    self,
                    line_span(ctx, found.command),
                    f"this is Ollama's {known.name} template; stop sequences miss {', '.join(missing)}",
                    hint="add " + "; ".join(f"PARAMETER stop {s}" for s in missing),
                )
        elif self._local_weights(ctx):
            yield ctx.report(
                self,
                line_span(ctx, found.command),
                f"this is Ollama's {known.name} template, but no stop sequences are set for these local weights",
                hint="add " + "; ".join(f"PARAMETER stop {s}" for s in known.stop),
            )

    @staticmethod
    def _local_weights(ctx: LintContext) -> bool:
        for command in ctx.modelfile.of_type(From):
            weights = ctx.weights(command.args) if command.args else None
            if weights is not None and weights.kind is not Kind.MISSING:
                return True
        return False
