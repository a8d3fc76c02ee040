from __future__ import annotations

import re
from collections.abc import Iterator

from modelfile.ir import Parameter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.parameters import PARAMETERS, Kind, ParameterError, convert

_EXPONENT = re.compile(r"^[+-]?\d+(\.\d+)?e[+-]?\d+$")


class InvalidParameterValue(Rule):
    """## What it does
    Reports a PARAMETER value that does not convert to the parameter's type the way
    `ollama create` converts it (Go's `strconv`: whole numbers for int parameters,
    `true`/`false`/`1`/`0`/... for booleans, float32 range for floats).

    ## Why is this bad?
    `ollama create` stops at it: `invalid float value [0.7 # creative]`.  Frequent
    causes: a trailing `# comment` (Modelfiles have none; it becomes part of the
    value), a placeholder, `4096.0` for an integer, and large integers that
    `ollama show` printed in exponent form (`1.048576e+06`).

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER temperature 0.7 # creative
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    # creative
    PARAMETER temperature 0.7
    ```
    """

    code, name, severity = "MF202", "invalid-parameter-value", Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(Parameter):
            spec = PARAMETERS.get(command.param)
            if spec is None:
                continue
            try:
                convert(command.param, command.args)
            except ParameterError as error:
                yield ctx.report(self, command.value.span, str(error), hint=_hint(command.args, spec.kind))


def _hint(value: str, kind: Kind) -> str:
    if "#" in value:
        return "Modelfiles have no trailing comments: the `#...` is part of the value; put the comment on its own line"
    if "<" in value and ">" in value:
        return "replace the placeholder with a value"
    if kind is Kind.INT and _EXPONENT.match(value.lower()):
        try:
            return f"write {int(float(value))}: `ollama show` prints large numbers in a form Ollama cannot read back"
        except (ValueError, OverflowError):
            pass
    if kind is Kind.INT:
        return "use a whole number (digits, optional sign)"
    if kind is Kind.BOOL:
        return "use true or false"
    return "use a number such as 0.7"
