from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Adapter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule


class SeveralAdapters(Rule):
    """## What it does
    Reports every ADAPTER but the last.

    ## Why is this bad?
    Ollama's documentation speaks of adapters, but `ollama create` keeps only the last
    ADAPTER line: the others are dropped without a word.  Merge the adapters first if
    you need several.

    ## Example
    ```modelfile
    FROM llama3.2
    ADAPTER ./style.gguf
    ADAPTER ./facts.gguf
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    ADAPTER ./merged.gguf
    ```
    """

    code, name, severity = "MF109", "several-adapters", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        adapters = ctx.modelfile.of_type(Adapter)
        for command in adapters[:-1]:
            last = adapters[-1]
            yield ctx.report(
                self,
                command.value.span,
                f"this ADAPTER is ignored: only the last one (line {last.span.start.line}) is used",
            )
