from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from modelfile.adapters import adapter_problem, gguf_kind
from modelfile.gguf_metadata import GGUFError, GGUFMetadata, read_metadata
from modelfile.ir import Adapter, From
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.weights import Kind


class AdapterCannotApply(Rule):
    """## What it does
    Reports an ADAPTER GGUF that Ollama imports but llama.cpp can never apply: a whole
    model (its `general.type` is not `adapter`) rather than a LoRA, or a LoRA made for
    another architecture than the FROM model's (when FROM is a local GGUF).

    ## Why is this bad?
    `ollama create` sorts a GGUF into a layer by its keys alone, so it accepts both;
    the trouble comes when the model runs.  A model given as ADAPTER is stored as a
    second model layer, not as an adapter, and llama.cpp refuses a LoRA whose
    architecture is not the model's.  `mfc build` refuses both.

    ## Example
    ```modelfile
    FROM ./model.gguf
    ADAPTER ./other-model.gguf
    ```

    ## Use instead
    ```modelfile
    FROM ./model.gguf
    ADAPTER ./lora.gguf
    ```
    """

    code, name, severity = "MF113", "adapter-cannot-apply", Severity.WARNING
    # filled in by the docs test with real GGUF headers (llama model, qwen2 model, llama LoRA)
    example_files = {"model.gguf": b"", "other-model.gguf": b"", "lora.gguf": b""}

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        adapters = ctx.modelfile.of_type(Adapter)
        if not adapters:
            return
        command = adapters[-1]  # Ollama applies only the last ADAPTER (MF109)
        adapter = _gguf(ctx, command.args)
        if adapter is None:
            return
        problem = adapter_problem(adapter, _base_architecture(ctx))
        if problem:
            yield ctx.report(self, command.value.span, f"ADAPTER {command.args} {problem}")


def _gguf(ctx: LintContext, value: str) -> GGUFMetadata | None:
    """The metadata of the GGUF a FROM/ADAPTER value names (a file, or a folder holding
    exactly one), or None when it is no readable GGUF (other rules say why)."""
    weights = ctx.weights(value) if value else None
    if weights is None or weights.problem is not None:
        return None
    path: Path = weights.path
    if weights.kind is Kind.GGUF_DIR:
        try:
            found = sorted(path.glob("*.gguf"))
        except OSError:
            return None
        if len(found) != 1:
            return None
        path = found[0]
    elif weights.kind is not Kind.GGUF:
        return None
    try:
        meta: GGUFMetadata = ctx.memo(f"gguf:{path}", lambda: read_metadata(path))
    except (GGUFError, OSError):
        return None
    return meta


def _base_architecture(ctx: LintContext) -> str | None:
    """The architecture of the last FROM that is a local model GGUF."""
    for command in reversed(ctx.modelfile.of_type(From)):
        meta = _gguf(ctx, command.args)
        if meta is not None and gguf_kind(meta) == "model":
            return meta.architecture
    return None
