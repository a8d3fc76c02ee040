from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Parameter
from modelfile.linter.diagnostic import Diagnostic, Edit, Fix, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.parameters import DEPRECATED, PARAMETERS, REMOVED, suggest_parameter


class UnknownParameter(Rule):
    """## What it does
    Reports a PARAMETER name that Ollama does not know, with the name you probably
    meant.

    ## Why is this bad?
    The file parses, but `ollama create` stops at it: `unknown parameter '<name>'`.
    Names are case-sensitive; options removed from Ollama (`tfs_z`, `num_gqa`,
    `rope_frequency_base`, ...) and names from other tools (`max_tokens`,
    `batch_size`) are common causes, and so is a second space after `PARAMETER`,
    which makes the name empty.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER temprature 0.7
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER temperature 0.7
    ```
    """

    code, name, severity = "MF201", "unknown-parameter", Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(Parameter):
            name = command.param
            if name in PARAMETERS or name in DEPRECATED:
                continue
            span = command.param_span if name else command.span
            fix = None
            if name in REMOVED:
                hint = f"{name} was removed: {REMOVED[name]}"
            elif not name:
                hint = "two separators after PARAMETER make the name empty; write one space"
            else:
                guess = suggest_parameter(name)
                hint = f"did you mean {guess}?" if guess else "see `mfc rule MF201` for the parameters Ollama knows"
                if guess:
                    edit = Edit(command.param_span.start.offset, command.param_span.end.offset, guess)
                    fix = Fix(f"rename to {guess}", (edit,), safe=False)
            yield ctx.report(self, span, f"unknown parameter '{name}'", hint=hint, fix=fix)
