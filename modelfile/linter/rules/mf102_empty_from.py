from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import From
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule


class EmptyFrom(Rule):
    """## What it does
    Reports a FROM with an empty value.

    ## Why is this bad?
    Ollama accepts it and imports *the Modelfile's own folder* as the model: whatever
    weights happen to lie there, or an error if there are none.  It is almost always a
    placeholder someone forgot to fill in.

    ## Example
    ```modelfile
    FROM ""
    ```

    ## Use instead
    ```modelfile
    FROM ./model.gguf
    ```
    """

    code, name, severity = "MF102", "empty-from", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(From):
            if command.args == "":
                yield ctx.report(
                    self,
                    command.span,
                    "FROM is empty: Ollama imports the Modelfile's own folder",
                    hint="name a model (FROM llama3.2) or weights (FROM ./model.gguf); write FROM . for the folder",
                )
