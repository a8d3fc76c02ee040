from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Parameter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.parameters import ParameterError, TypedValue, convert


class ParameterNeedsAnother(Rule):
    """## What it does
    Reports parameters that only act together with another that is missing or off:
    `mirostat_eta` / `mirostat_tau` without `mirostat`, `repeat_last_n` with no
    repetition penalty set (`repeat_penalty` is 1 by default), `main_gpu` with
    `num_gpu 0`.

    ## Why is this bad?
    The setting has no effect, which is rarely what its author expected.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER repeat_last_n 128
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER repeat_last_n 128
    PARAMETER repeat_penalty 1.1
    ```
    """

    code, name, severity = "MF205", "parameter-needs-another", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        values: dict[str, TypedValue | str] = {}
        commands: dict[str, Parameter] = {}
        for command in ctx.modelfile.of_type(Parameter):
            try:
                typed = convert(command.param, command.args)
            except ParameterError:
                continue
            values[command.param] = command.args if typed is None else typed
            commands[command.param] = command
        for name in ("mirostat_eta", "mirostat_tau"):
            if name in commands and values.get("mirostat") in (None, "0"):
                yield ctx.report(self, commands[name].param_span, f"{name} does nothing without mirostat 1 or 2")
        if "repeat_last_n" in commands and all(
            values.get(other, default) == default
            for other, default in (("repeat_penalty", 1.0), ("presence_penalty", 0.0), ("frequency_penalty", 0.0))
        ):
            yield ctx.report(
                self,
                commands["repeat_last_n"].param_span,
                "repeat_last_n does nothing: no repeat, presence or frequency penalty is set",
                hint="set repeat_penalty (e.g. 1.1), or remove repeat_last_n",
            )
        if "main_gpu" in commands and values.get("num_gpu") == 0:
            yield ctx.report(self, commands["main_gpu"].param_span, "main_gpu does nothing with num_gpu 0 (CPU only)")
