from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Command, License, Message, Parameter, Quoting, System, Template
from modelfile.linter.diagnostic import Diagnostic, Edit, Fix, Severity
from modelfile.linter.rule import LintContext, Rule


class SingleQuotedValue(Rule):
    """## What it does
    Reports a TEMPLATE, SYSTEM, LICENSE, MESSAGE or `PARAMETER stop` value written in
    single quotes (`'…'`) or triple single quotes (`'''…'''`).

    ## Why is this bad?
    Only double quotes quote in a Modelfile; single quotes are ordinary characters.
    `TEMPLATE '''{{ .Prompt }}'''` is the template `'''{{ .Prompt }}'''`, so every
    prompt is sent wrapped in three apostrophes, and `SYSTEM 'Be brief.'` puts the
    quotes into the system prompt.  A `'''` value over several lines is worse: it ends
    with its first line, and Ollama reads the lines after it as instructions.

    ## Example
    ```modelfile
    FROM llama3.2
    TEMPLATE '''{{ .Prompt }}'''
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    TEMPLATE \"\"\"{{ .Prompt }}\"\"\"
    ```
    """

    code, name, severity = "MF509", "single-quoted-value", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.commands:
            if not _checked(command) or command.value.quoting is not Quoting.BARE:
                continue
            text = command.value.text
            quote = "'''" if text.startswith("'''") else "'"
            if not text.startswith(quote) or (quote == "'" and (len(text) < 2 or not text.endswith("'"))):
                continue
            what = command.keyword.upper()
            if quote == "'''" and (len(text) < 6 or not text.endswith(quote)):
                message = f"''' does not quote: {what}'s value is {_shorten(text)}, and ends with this line"
            else:
                message = f"single quotes are kept: {what}'s value is {_shorten(text)} with the quotes"
            yield ctx.report(
                self,
                command.value.span,
                message,
                hint='only double quotes quote in a Modelfile: write "…" (or """…""" over several lines)',
                fix=_requote(ctx, command, quote),
            )


def _checked(command: Command) -> bool:
    if isinstance(command, Parameter):
        return command.param == "stop"
    return isinstance(command, Template | System | License | Message)


def _requote(ctx: LintContext, command: Command, quote: str) -> Fix | None:
    """The value in double quotes, where that gives exactly the text between the single ones."""
    text = command.value.text
    start = ctx.value_start(command)
    if ctx.source.text[start : start + len(text)] != text or len(text) < 2 * len(quote):
        return None
    if not text.endswith(quote):
        return None
    inner = text[len(quote) : -len(quote)]
    double = '"' * len(quote)
    if double == '"' and inner.startswith('""'):
        return None  # '""x' in double quotes would open a triple-quoted value
    edit = Edit(start, start + len(text), f"{double}{inner}{double}")
    return Fix("use double quotes", (edit,), safe=False)


def _shorten(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
