from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import From
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.paths import looks_like_path


class SeveralFrom(Rule):
    """## What it does
    Reports FROM lines that Ollama ignores: an earlier model name overridden by a
    later one, and local files overridden by a model name.

    ## Why is this bad?
    Several FROM lines naming *files* are merged (weights plus a vision projector),
    but a FROM naming a *model* wins over every file, and of several model names only
    the last counts.  The other lines do nothing, silently.

    ## Example
    ```modelfile
    FROM llama3.2
    FROM mistral
    ```

    ## Use instead
    ```modelfile
    FROM mistral
    ```
    """

    code, name, severity = "MF101", "several-from", Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        froms = ctx.modelfile.of_type(From)
        names = [f for f in froms if not _is_local(ctx, f.args)]
        if not names:
            return
        winner = names[-1]
        for command in froms:
            if command is winner:
                continue
            what = "model name" if command in names else "file"
            yield ctx.report(
                self,
                command.value.span,
                f"this FROM is ignored: the {what} {command.args!r} is overridden by "
                f"`FROM {winner.args}` on line {winner.span.start.line}",
                hint="keep one FROM naming a model, or only FROM lines naming local files",
            )


def _is_local(ctx: LintContext, value: str) -> bool:
    weights = ctx.weights(value)
    exists = weights is not None and weights.exists
    return exists or (looks_like_path(value) and value != "")
