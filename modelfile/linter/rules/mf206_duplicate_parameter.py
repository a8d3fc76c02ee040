from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Parameter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.parameters import PARAMETERS, Kind


class DuplicateParameter(Rule):
    """## What it does
    Reports a single-valued parameter set more than once (every one but `stop`).

    ## Why is this bad?
    Only the last value counts; the earlier line is dead and misleads its readers.
    (`stop` is different: each `PARAMETER stop` line adds a stop sequence.)

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER temperature 0.2
    PARAMETER temperature 0.8
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER temperature 0.8
    ```
    """

    code, name, severity = "MF206", "duplicate-parameter", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        last: dict[str, Parameter] = {}
        for command in ctx.modelfile.of_type(Parameter):
            spec = PARAMETERS.get(command.param)
            if spec is not None and spec.kind is not Kind.STRINGS:
                last[command.param] = command
        for command in ctx.modelfile.of_type(Parameter):
            final = last.get(command.param)
            if final is not None and final is not command:
                yield ctx.report(
                    self,
                    command.param_span,
                    f"{command.param} is set again on line {final.span.start.line}; this value is ignored",
                )
