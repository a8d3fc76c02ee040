from __future__ import annotations

import re
from collections.abc import Iterator

from modelfile.ir import Parameter, Quoting
from modelfile.linter.diagnostic import Diagnostic, Edit, Fix, Severity
from modelfile.linter.rule import LintContext, Rule

#: What separates two quoted strings written on one line, for each way of quoting.
_BETWEEN = {Quoting.DOUBLE: re.compile(r'"[ \t]+"'), Quoting.TRIPLE: re.compile(r'"""[ \t]+"""')}


class StopsOnOneLine(Rule):
    """## What it does
    Reports a `PARAMETER stop` line that holds several quoted strings, such as
    `PARAMETER stop "</s>" "User:"`.

    ## Why is this bad?
    Ollama reads one value per line and does not split it: a value that starts and
    ends with a quote loses only those two quotes, so the line above is the single stop
    sequence `<|im_end|>" "<|eot_id|>`.  The model never produces that text, so
    generation runs past both markers.  Each stop sequence needs a line of its own.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER stop "<|im_end|>" "<|eot_id|>"
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER stop "<|im_end|>"
    PARAMETER stop "<|eot_id|>"
    ```
    """

    code, name, severity = "MF508", "stops-on-one-line", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(Parameter):
            between = _BETWEEN.get(command.value.quoting)
            if command.param != "stop" or between is None or "\n" in command.args:
                continue
            parts = between.split(command.args)
            if len(parts) < 2:
                continue
            lines = "\n".join(f'{command.keyword} {command.param} "{part}"' for part in parts)
            edit = Edit(command.span.start.offset, command.value.span.end.offset, lines)
            yield ctx.report(
                self,
                command.value.span,
                f"one stop sequence {command.args!r}, not {len(parts)}: Ollama does not split a quoted value",
                hint=f"write {len(parts)} PARAMETER stop lines, one per stop sequence",
                fix=Fix(f"split into {len(parts)} PARAMETER stop lines", (edit,), safe=False),
            )
