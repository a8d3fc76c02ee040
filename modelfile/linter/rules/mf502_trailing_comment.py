from __future__ import annotations

import re
from collections.abc import Iterator

from modelfile.ir import Adapter, Draft, From, Parameter, Parser, Quoting, Renderer, Requires
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.parameters import PARAMETERS, Kind
from modelfile.source import Span

_COMMENT = re.compile(r"[ \t]#")


class TrailingComment(Rule):
    """## What it does
    Reports a `#` after a FROM, ADAPTER, DRAFT, RENDERER, PARSER, REQUIRES or stop
    value, which looks like a comment but is part of the value.

    ## Why is this bad?
    `#` starts a comment only at the beginning of a line.  `FROM llama3 # base`
    names the model `llama3 # base`.  (Numeric parameters with a trailing comment
    fail to convert and are reported by MF202.)

    ## Example
    ```modelfile
    FROM llama3.2 # base model
    ```

    ## Use instead
    ```modelfile
    # base model
    FROM llama3.2
    ```
    """

    code, name, severity = "MF502", "trailing-comment", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.commands:
            if command.value.quoting is not Quoting.BARE:
                continue
            if isinstance(command, Parameter):
                spec = PARAMETERS.get(command.param)
                if spec is None or spec.kind is not Kind.STRINGS:
                    continue
            elif not isinstance(command, From | Adapter | Draft | Renderer | Parser | Requires):
                continue
            match = _COMMENT.search(command.args)
            if match:
                start = ctx.value_start(command) + match.start() + 1
                comment = command.args[match.start() + 1 :]
                yield ctx.report(
                    self,
                    Span(ctx.source.position(start), command.value.span.end),
                    f"{comment!r} is part of the value: Modelfiles have no trailing comments",
                    hint="put the comment on its own line, starting with #",
                )
