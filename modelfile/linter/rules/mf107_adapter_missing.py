from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import Adapter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.weights import Kind


class AdapterMissing(Rule):
    """## What it does
    Reports an ADAPTER path that does not exist, relative to the Modelfile's folder.

    Also one the system will not look at or that is no regular file (a name too long,
    no permission, a named pipe), with the system's reason.

    ## Why is this bad?
    Unlike FROM, ADAPTER is always a path: `ollama create` stops with `stat <path>: no
    such file or directory`.  (A warning, not an error, because adapters are often
    trained after the Modelfile is written.)

    ## Example
    ```modelfile
    FROM llama3.2
    ADAPTER ./lora-missing.gguf
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    ADAPTER ./lora.gguf
    ```
    """

    code, name, severity = "MF107", "adapter-missing", Severity.WARNING
    example_files = {"lora.gguf": b"GGUF\x03\x00\x00\x00" + bytes(16)}

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(Adapter):
            weights = ctx.weights(command.args)
            if weights is None:
                yield ctx.report(self, command.value.span, f"cannot expand {command.args!r} (unknown user)")
            elif weights.kind is Kind.UNREADABLE:
                yield ctx.report(self, command.value.span, f"ADAPTER {command.args}: {weights.problem}")
            elif weights.kind is Kind.MISSING:
                dangling = f" ({weights.problem})" if weights.problem else ""
                yield ctx.report(
                    self,
                    command.value.span,
                    f"{command.args!r} does not exist{dangling}",
                    hint="relative paths start at the Modelfile's folder, not the working directory",
                )
