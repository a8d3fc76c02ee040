from __future__ import annotations

import re
from collections.abc import Iterator

from modelfile.ir import Adapter, Draft, From, Parameter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule

ANGLE = re.compile(r"<[A-Za-z][^<>|]*>")  # <model name>, not <|im_end|>


class Placeholder(Rule):
    """## What it does
    Reports values that look like a template's placeholder left unfilled: `<model
    name>`, `<add the context size>`, or a FROM "name" with spaces in it (`FROM Your
    phi3-mini gguf location`).

    ## Why is this bad?
    Ollama accepts them as text: the FROM becomes a model name nobody has, the
    parameter an invalid value.

    ## Example
    ```modelfile
    FROM <your model here>
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    ```
    """

    code, name, severity = "MF106", "placeholder", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.commands:
            if not isinstance(command, From | Adapter | Draft | Parameter):
                continue
            value = command.args
            if isinstance(command, Parameter) and command.param == "stop":
                continue  # stop sequences are often <tags>
            if ANGLE.search(value):
                yield ctx.report(self, command.value.span, f"{value!r} looks like a placeholder")
            elif isinstance(command, From) and " " in value.split(" #")[0] and not _exists(ctx, value):
                yield ctx.report(
                    self,
                    command.value.span,
                    f"FROM {value!r} has spaces: model names have none, so this looks like a placeholder",
                    hint="quote paths with spaces only if the file exists; model names look like llama3.2:1b",
                )


def _exists(ctx: LintContext, value: str) -> bool:
    weights = ctx.weights(value)
    return weights is not None and weights.exists
