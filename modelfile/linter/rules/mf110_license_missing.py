from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import From, License
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule, line_span
from modelfile.weights import Kind


class LicenseMissing(Rule):
    """## What it does
    Notes a Modelfile that imports local weights but carries no LICENSE.

    ## Why is this bad?
    A model built from a registry model inherits its licence; one built from a local
    GGUF or safetensors folder has none unless the Modelfile adds it, and `ollama show
    --license` will be empty for everyone you share it with.

    ## Example
    ```modelfile
    FROM ./model.gguf
    ```

    ## Use instead
    ```modelfile
    FROM ./model.gguf
    LICENSE \"\"\"Apache License 2.0 ...\"\"\"
    ```
    """

    code, name, severity = "MF110", "license-missing", Severity.INFO
    example_files = {"model.gguf": b"GGUF\x03\x00\x00\x00" + bytes(16)}

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        if ctx.modelfile.of_type(License):
            return
        for command in ctx.modelfile.of_type(From):
            weights = ctx.weights(command.args) if command.args else None
            if weights is not None and weights.usable and weights.kind is not Kind.MISSING:
                yield ctx.report(
                    self,
                    line_span(ctx, command),
                    "local weights without a LICENSE: the built model will carry no licence",
                    hint='add LICENSE """...""" with the weights\' licence text',
                )
                return
