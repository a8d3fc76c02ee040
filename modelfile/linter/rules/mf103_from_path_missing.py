from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import From
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.linter.rules.mf106_placeholder import ANGLE
from modelfile.paths import looks_like_path
from modelfile.weights import Kind


class FromPathMissing(Rule):
    """## What it does
    Reports a FROM written as a path (`./x.gguf`, `/models/x`, `~/x`, `x.gguf`) that
    does not exist, relative to the Modelfile's folder.

    Also such a path that the system will not look at (a name too long, a loop of
    symbolic links, a file where a folder should be, no permission) or that is no
    regular file (a named pipe, a device), with the system's reason.

    ## Why is this bad?
    When the path does not exist, Ollama silently reads the value as a *model name*
    and then fails to find or pull a model called `./x.gguf`; when the system refuses
    to look at it, `ollama create` stops with that refusal.  (This is a warning, not
    an error, because weights are often fetched after a Modelfile is written.)

    ## Example
    ```modelfile
    FROM ./weights/model.gguf
    ```

    ## Use instead
    ```modelfile
    FROM ./model.gguf
    ```
    """

    code, name, severity = "MF103", "from-path-missing", Severity.WARNING
    example_files = {"model.gguf": b"GGUF\x03\x00\x00\x00" + bytes(16)}

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(From):
            if not looks_like_path(command.args) or ANGLE.search(command.args):
                continue  # placeholders are MF106's finding
            weights = ctx.weights(command.args)
            if weights is not None and weights.kind is Kind.UNREADABLE:
                yield ctx.report(self, command.value.span, f"FROM {command.args}: {weights.problem}")
            elif weights is not None and weights.kind is Kind.MISSING:
                dangling = f" ({weights.problem})" if weights.problem else ""
                yield ctx.report(
                    self,
                    command.value.span,
                    f"{command.args!r} does not exist{dangling}; Ollama would read it as a model name",
                    hint="relative paths start at the Modelfile's folder, not the working directory",
                )
