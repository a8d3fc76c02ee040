from __future__ import annotations

import re
from collections.abc import Iterator

from modelfile.ir import Parameter, Template
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule

_ESCAPE = re.compile(r'\\[nrt"]')


class EscapeSequence(Rule):
    """## What it does
    Reports `\\n`, `\\t`, `\\r` and `\\"` written in a TEMPLATE or a stop sequence.

    ## Why is this bad?
    Modelfiles have no escape sequences: `\\n` is a backslash followed by `n`.  A stop
    sequence `"\\nUser:"` never matches, and a template with `\\n` shows the model a
    literal backslash.  Write a real line break inside `\"\"\"...\"\"\"` instead.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER stop "\\nUser:"
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER stop "User:"
    ```
    """

    code, name, severity = "MF304", "escape-sequence", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.commands:
            stop = isinstance(command, Parameter) and command.param == "stop"
            if not (stop or isinstance(command, Template)):
                continue
            match = _ESCAPE.search(command.args)
            if match:
                what = "stop sequence" if stop else "TEMPLATE"
                yield ctx.report(
                    self,
                    command.value.span,
                    f"{match.group()} in a {what} is a backslash and a letter, not an escape",
                    hint='Modelfiles have no escapes: use a real line break inside """..."""',
                )
