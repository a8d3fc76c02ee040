from __future__ import annotations

from collections.abc import Iterator

from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.source import Span


class ReplacementCharacter(Rule):
    """## What it does
    Reports U+FFFD REPLACEMENT CHARACTER in an instruction: almost always bytes that are
    not valid UTF-8 (a file saved as Latin-1 or Windows-1252).

    ## Why is this bad?
    Ollama reads Modelfiles as UTF-8 (or UTF-16 with a byte-order mark); every invalid
    byte becomes U+FFFD, so `café` saved as Latin-1 reaches the model as `caf�`.

    ## Example
    ```modelfile
    FROM llama3.2
    SYSTEM Tu es un caf\ufffd.
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    SYSTEM Tu es un café.
    ```
    """

    code, name, severity = "MF507", "replacement-character", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        text = ctx.source.text
        for command in ctx.modelfile.commands:
            at = text.find("\ufffd", command.span.start.offset, command.span.end.offset)
            if at >= 0:
                yield ctx.report(
                    self,
                    Span(ctx.source.position(at), ctx.source.position(at + 1)),
                    "U+FFFD: the file is not valid UTF-8 here, and Ollama reads a replacement character",
                    hint="save the file as UTF-8",
                )
