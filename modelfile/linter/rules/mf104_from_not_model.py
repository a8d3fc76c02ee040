from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import From
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.weights import Kind


class FromNotModel(Rule):
    """## What it does
    Reports a FROM path that exists but holds no model Ollama can import: a file that
    is not GGUF (checked by its first bytes), a legacy GGML file, a Git LFS pointer, a
    folder without safetensors/PyTorch/GGUF weights, or a damaged safetensors header.

    ## Why is this bad?
    `ollama create` fails after hashing and uploading the files (`supplied file was
    not in GGUF format`, `no Modelfile or safetensors files found`).

    ## Example
    ```modelfile
    FROM ./notes.txt
    ```

    ## Use instead
    ```modelfile
    FROM ./model.gguf
    ```
    """

    code, name, severity = "MF104", "from-not-model", Severity.ERROR
    example_files = {"notes.txt": b"just some notes\n", "model.gguf": b"GGUF\x03\x00\x00\x00" + bytes(16)}

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(From):
            if command.args == "":
                continue
            weights = ctx.weights(command.args)
            if weights is None or weights.kind in (Kind.MISSING, Kind.UNREADABLE) or weights.problem is None:
                continue  # MF103 reports a path that is missing or cannot be read
            yield ctx.report(self, command.value.span, f"FROM {command.args}: {weights.problem}")
