from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from modelfile.ir import Adapter
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.weights import Kind, files_matching, safetensors_problem


class AdapterNotModel(Rule):
    """## What it does
    Reports an ADAPTER path that exists but is not a LoRA adapter Ollama can import:
    a GGUF file, or a folder with `adapter_model.safetensors` (PEFT) or GGUF files.

    ## Why is this bad?
    `ollama create` fails after uploading it, or the adapter is silently skipped.

    ## Example
    ```modelfile
    FROM llama3.2
    ADAPTER ./README.md
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    ADAPTER ./lora.gguf
    ```
    """

    code, name, severity = "MF108", "adapter-not-model", Severity.ERROR
    example_files = {"README.md": b"# my adapter\n", "lora.gguf": b"GGUF\x03\x00\x00\x00" + bytes(16)}

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(Adapter):
            weights = ctx.weights(command.args)
            if weights is None or weights.kind in (Kind.MISSING, Kind.UNREADABLE):
                continue  # MF107 reports a path that is missing or cannot be read
            problem = _adapter_problem(weights.path) if weights.folder else weights.problem
            if problem:
                yield ctx.report(self, command.value.span, f"ADAPTER {command.args}: {problem}")


def _adapter_problem(folder: Path) -> str | None:
    tensors = files_matching(folder, "*.safetensors")
    if tensors:
        return next(filter(None, map(safetensors_problem, tensors)), None)
    if files_matching(folder, "*.gguf"):
        return None
    return "no adapter_model.safetensors or .gguf file in this folder"
