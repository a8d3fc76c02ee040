from __future__ import annotations

from collections.abc import Iterator

from modelfile.go.printable import INVISIBLE, describe, mask_dropped
from modelfile.linter.diagnostic import Diagnostic, Edit, Fix, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.source import Span


class InvisibleCharacter(Rule):
    """## What it does
    Reports characters inside an instruction that Ollama silently drops: control
    characters, zero-width spaces and joiners, byte-order marks, non-breaking and other
    non-ASCII spaces, private-use and unassigned code points.

    ## Why is this bad?
    The value Ollama reads differs from the text you see: `a<NBSP>b` becomes `ab`, a
    stop sequence or a name silently changes.  They usually come from copying text out
    of a web page or a chat window.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER stop "User\u00a0:"
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER stop "User:"
    ```
    """

    code, name, severity = "MF503", "invisible-character", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        text = ctx.source.text
        for command in ctx.modelfile.commands:
            start = ctx.source.line_start(command.span.start.line)
            end = command.span.end.offset
            masked = mask_dropped(text[start:end])
            if INVISIBLE not in masked:
                continue
            offsets = [start + i for i, char in enumerate(masked) if char == INVISIBLE]
            names = sorted({describe(text[i]) for i in offsets})
            edits = tuple(Edit(i, i + 1, "") for i in offsets)
            first = ctx.source.position(offsets[0])
            yield ctx.report(
                self,
                Span(first, ctx.source.position(offsets[0] + 1)),
                f"Ollama drops {len(offsets)} invisible character(s) here: {', '.join(names)}",
                fix=Fix("remove the invisible characters", edits, safe=True),
            )
