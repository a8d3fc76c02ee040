from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Parameter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule


class EmptyStop(Rule):
    """## What it does
    Reports `PARAMETER stop` with an empty (or all-blank) value.

    ## Why is this bad?
    An empty stop sequence matches anywhere, so generation may end before the first
    word; a blank one stops at the first space.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER stop ""
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER stop "<|eot_id|>"
    ```
    """

    code, name, severity = "MF208", "empty-stop", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(Parameter):
            if command.param == "stop" and not command.args.strip():
                what = "empty" if command.args == "" else "blank"
                yield ctx.report(self, command.value.span, f"{what} stop sequence: generation can stop at once")
