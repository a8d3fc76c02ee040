"""``convert``: a Hugging Face folder (config.json, safetensors, tokenizer) into one GGUF.

config.json → the architecture (unsupported: an error listing the supported ones,
before any tensor is read) → every safetensors header checked → the tokenizer → every
output tensor named, typed and shape-checked → the GGUF written one slab at a time under
a temporary name, then renamed.  Nothing is left behind when anything fails.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import gguf
from gguf import GGUFWriter

from builder.conversion.archs import architecture_for
from builder.conversion.checkpoint import Checkpoint, open_checkpoint
from builder.conversion.encode import file_type, resolve
from builder.conversion.hfconfig import HFConfig
from builder.conversion.stream import TensorJob, describe, write_gguf
from builder.errors import ConvertError
from builder.events import Progress


@dataclass(frozen=True)
class ConvertResult:
    path: Path
    architecture: str  # the GGUF architecture, e.g. llama
    outtype: str
    tensors: int
    size: int
    tokenizer: str  # gpt2, llama or bert
    pre_tokenizer: str | None
    seconds: float
    types: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # what was left out (e.g. a vision tower)


def convert(
    folder: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    outtype: str = "auto",
    progress: Progress | None = None,
    durable: bool = False,
) -> ConvertResult:
    """Convert the Hugging Face model in ``folder`` to the GGUF file ``output``."""
    started = time.perf_counter()
    source, target = Path(folder), Path(output)
    if not source.is_dir():
        raise ConvertError(f"{source}: not a folder (a Hugging Face model folder has config.json and *.safetensors)")
    if not target.parent.is_dir():
        raise ConvertError(f"{target.parent}: no such folder for the output")
    config = HFConfig.read(source)
    architecture = architecture_for(config)
    checkpoint = open_checkpoint(source)
    try:
        arch = architecture(config, checkpoint)
        vocab = arch.vocab()
        chosen = resolve(outtype, [t.dtype for t, _ in arch.included() if len(t.shape) >= 2])
        jobs = arch.jobs(chosen)
        name = str(config.get("_name_or_path") or source.resolve().name).rstrip("/").split("/")[-1] or source.name

        def metadata(writer: GGUFWriter) -> None:
            writer.add_type(gguf.GGUFType.MODEL)
            writer.add_name(name)
            arch.metadata(writer)
            writer.add_file_type(file_type(chosen))
            writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
            vocab.write(writer)

        result = finish(
            target,
            arch.arch_name,
            metadata,
            jobs,
            checkpoint,
            progress,
            durable,
            started,
            chosen,
            vocab.model,
            vocab.pre,
            status="converting model",
        )
        return dataclasses.replace(result, notes=tuple(arch.notes()))
    finally:
        checkpoint.close()


def finish(
    target: Path,
    arch: str,
    metadata: Callable[[GGUFWriter], None],
    jobs: list[TensorJob],
    checkpoint: Checkpoint,
    progress: Progress | None,
    durable: bool,
    started: float,
    outtype: str,
    tokenizer: str,
    pre: str | None,
    *,
    status: str,
) -> ConvertResult:
    """Write the GGUF and say what was written (shared with LoRA conversion); progress
    counts tensors under ``status``."""
    write_gguf(target, arch, metadata, jobs, checkpoint, progress, durable=durable, status=status)
    summary = describe(jobs)
    return ConvertResult(
        target,
        arch,
        outtype,
        summary["tensors"],
        target.stat().st_size,
        tokenizer,
        pre,
        time.perf_counter() - started,
        summary["types"],
    )
