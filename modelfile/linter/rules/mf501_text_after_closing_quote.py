from __future__ import annotations

import re
from collections.abc import Iterator

from modelfile.ir import Command, Quoting
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.source import Span

_INSTRUCTION = re.compile(
    r"[ \t]*(from|parameter|template|system|adapter|license|message|requires|draft|renderer|parser)[ \t]", re.I
)


class TextAfterClosingQuote(Rule):
    """## What it does
    Reports a closing quote followed by more text on its line, inside a quoted value
    that therefore goes on over the following lines.

    ## Why is this bad?
    A quoted value ends only at a line that *ends* with the quote.  In
    `SYSTEM \"\"\"Be brief.\"\"\" # short` the comment keeps the value open, so it
    swallows the next lines, instructions included, until some line ends with
    `\"\"\"` (or the file ends, which Ollama rejects).

    ## Example
    ```modelfile
    FROM llama3.2
    SYSTEM \"\"\"Be brief.\"\"\" # short answers
    PARAMETER temperature 0.2
    TEMPLATE \"\"\"{{ .Prompt }}\"\"\"
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    # short answers
    SYSTEM \"\"\"Be brief.\"\"\"
    PARAMETER temperature 0.2
    TEMPLATE \"\"\"{{ .Prompt }}\"\"\"
    ```
    """

    code, name, severity = "MF501", "text-after-closing-quote", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.commands:
            value = command.value
            if value.quoting not in (Quoting.DOUBLE, Quoting.TRIPLE) or value.span.start.line == value.span.end.line:
                continue
            found = _early_close(ctx, command)
            if found is not None:
                yield found


def _early_close(ctx: LintContext, command: Command) -> Diagnostic | None:
    quote = '"""' if command.value.quoting is Quoting.TRIPLE else '"'
    src, span = ctx.source, command.value.span
    opening = src.text.index('"', span.start.offset)
    last_line = span.end.line if command.value.quoting is Quoting.TRIPLE else span.start.line + 1
    for line in range(span.start.line, last_line):
        start = src.line_start(line)
        text = src.line_text(line)
        skip = opening - start + len(quote) if line == span.start.line else 0
        at = text.find(quote, skip)
        if at < 0 or not text[at + len(quote) :].strip():
            continue
        trailing = text[text.rindex(quote) + len(quote) :].strip()
        swallowed = [n for n in range(line + 1, span.end.line + 1) if _INSTRUCTION.match(src.line_text(n))]
        more = f"; it swallows the instruction on line {swallowed[0]}" if swallowed else ""
        return ctx.report(
            TextAfterClosingQuote,
            Span(src.position(start + at), src.position(start + at + len(quote))),
            f"{trailing!r} after the closing {quote} keeps the value open until line {span.end.line}{more}",
            hint=f"a quoted value ends only where a line ends with {quote}: move {trailing!r} to its own # line",
        )
    return None
