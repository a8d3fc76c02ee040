from __future__ import annotations

from collections.abc import Iterator

from modelfile.gguf_metadata import GGUFError, read_metadata
from modelfile.ir import From, Parameter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.parameters import ParameterError, convert
from modelfile.weights import Kind


class NumCtxTooLarge(Rule):
    """## What it does
    Reports a `num_ctx` larger than the context length the model was trained for,
    when the model is known (a local GGUF file; its `<arch>.context_length`).

    ## Why is this bad?
    Past its trained context a model's attention degrades and its output turns into
    noise, while the KV cache still costs memory for every extra token.

    ## Example
    ```modelfile
    FROM ./model.gguf
    PARAMETER num_ctx 65536
    ```

    ## Use instead
    ```modelfile
    FROM ./model.gguf
    PARAMETER num_ctx 4096
    ```
    """

    code, name, severity = "MF207", "num-ctx-too-large", Severity.WARNING
    example_files = {"model.gguf": b""}  # filled in by the docs test with a real GGUF header

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        settings = [c for c in ctx.modelfile.of_type(Parameter) if c.param == "num_ctx"]
        if not settings:
            return
        try:
            num_ctx = convert("num_ctx", settings[-1].args)
        except ParameterError:
            return
        trained = _trained_context(ctx)
        if trained is not None and isinstance(num_ctx, int) and num_ctx > trained[0]:
            yield ctx.report(
                self,
                settings[-1].value.span,
                f"num_ctx {num_ctx} is more than the model's trained context of {trained[0]} tokens ({trained[1]})",
            )


def _trained_context(ctx: LintContext) -> tuple[int, str] | None:
    for command in reversed(ctx.modelfile.of_type(From)):
        weights = ctx.weights(command.args) if command.args else None
        if weights is None or weights.kind is not Kind.GGUF or weights.problem:
            continue
        path = weights.path
        try:
            meta = ctx.memo(f"gguf:{path}", lambda: read_metadata(path))  # noqa: B023 - called at once
        except (GGUFError, OSError):
            return None
        if meta.context_length:
            return meta.context_length, f"{meta.architecture}.context_length in {command.args}"
    return None
