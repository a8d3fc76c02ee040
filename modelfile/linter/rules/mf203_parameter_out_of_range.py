from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Parameter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.parameters import ParameterError, convert, out_of_range


class ParameterOutOfRange(Rule):
    """## What it does
    Reports parameter values that Ollama accepts but that make no sense for sampling:
    `temperature` above 2, `top_p`/`min_p`/`typical_p` outside 0..1, negative
    `top_k` or `num_ctx`, `repeat_penalty` above 2, penalties outside -2..2, NaN or
    infinity.

    ## Why is this bad?
    The model still loads, but its output degrades into noise or the setting is
    silently clamped by the runtime.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER top_p 5
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER top_p 0.9
    ```
    """

    code, name, severity = "MF203", "parameter-out-of-range", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(Parameter):
            try:
                value = convert(command.param, command.args)
            except ParameterError:
                continue
            problem = out_of_range(command.param, value)
            if problem:
                yield ctx.report(self, command.value.span, problem)
