"""PEFT LoRA adapters (``adapter_config.json`` + ``adapter_model.safetensors``) to GGUF
LoRA adapters that llama.cpp applies at load time.

Each ``lora_A``/``lora_B`` pair becomes ``<gguf weight name>.lora_a`` (r × in, as
stored) and ``.lora_b`` (out × r) with the base architecture's row transforms applied
to B (the Llama q/k permutation), so that ``W + alpha/r · B·A`` in llama.cpp equals the
Hugging Face merge.  The base model's shapes come from its ``config.json``, or, for a
GGUF base, from the GGUF's own metadata.
"""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path
from typing import Any

import gguf
from gguf import GGUFWriter

from builder.conversion.archs import architecture_for
from builder.conversion.archs.base import Architecture
from builder.conversion.checkpoint import FLOATS, open_checkpoint
from builder.conversion.converter import ConvertResult, finish
from builder.conversion.encode import resolve, tensor_type
from builder.conversion.hfconfig import HFConfig, read_json
from builder.conversion.stream import TensorJob
from builder.errors import ConvertError
from builder.events import Progress
from modelfile.gguf_metadata import GGUFError, read_metadata

PEFT_NAME = re.compile(r"^(?:base_model\.model\.)?(?P<base>.+)\.lora_(?P<part>[AB])(?:\.default)?\.weight$")
HF_CLASS = {
    "llama": "LlamaForCausalLM",
    "qwen2": "Qwen2ForCausalLM",
    "qwen3": "Qwen3ForCausalLM",
    "gemma": "GemmaForCausalLM",
    "gemma2": "Gemma2ForCausalLM",
    "phi3": "Phi3ForCausalLM",
    "bert": "BertModel",
}


def base_config(base: Path) -> HFConfig:
    """The base model's settings: a Hugging Face folder's config.json, or a GGUF's metadata."""
    if base.is_dir():
        return HFConfig.read(base)
    try:
        meta = read_metadata(base)
    except (GGUFError, OSError) as error:
        raise ConvertError(f"base model {base}: {error}") from None
    arch = meta.architecture or ""
    if arch not in HF_CLASS:
        raise ConvertError(f"base model {base}: architecture {arch!r} is not one mfc converts adapters for")

    def key(suffix: str) -> Any:
        return meta.arch_value(suffix)

    tokens = meta.metadata.get("tokenizer.ggml.tokens")
    values = {
        "architectures": [HF_CLASS[arch]],
        "hidden_size": key("embedding_length"),
        "num_hidden_layers": key("block_count"),
        "num_attention_heads": key("attention.head_count"),
        "num_key_value_heads": key("attention.head_count_kv"),
        "intermediate_size": key("feed_forward_length"),
        "vocab_size": key("vocab_size") or getattr(tokens, "length", None),
        "head_dim": key("attention.key_length"),
        "max_position_embeddings": key("context_length"),
    }
    return HFConfig(base, {k: v for k, v in values.items() if v is not None})


def convert_lora(
    adapter: str | os.PathLike[str],
    base: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    outtype: str = "f32",
    progress: Progress | None = None,
    durable: bool = False,
) -> ConvertResult:
    """Convert the PEFT adapter in ``adapter`` for the model ``base`` (a Hugging Face
    folder or a GGUF file) to the GGUF LoRA ``output``."""
    started = time.perf_counter()
    folder, target = Path(adapter), Path(output)
    settings = read_json(folder / "adapter_config.json")
    if str(settings.get("peft_type", "LORA")).upper() != "LORA":
        raise ConvertError(
            f"{folder / 'adapter_config.json'}: peft_type {settings.get('peft_type')!r}; mfc converts LoRA adapters"
        )
    if settings.get("fan_in_fan_out"):
        raise ConvertError(
            f"{folder / 'adapter_config.json'}: fan_in_fan_out adapters (GPT-2 Conv1D) are not supported"
        )
    if settings.get("alpha_pattern"):
        raise ConvertError(
            f"{folder / 'adapter_config.json'}: per-module alpha_pattern is not supported (llama.cpp applies one alpha)"
        )
    alpha = settings.get("lora_alpha")
    if not isinstance(alpha, int | float) or isinstance(alpha, bool):
        raise ConvertError(f"{folder / 'adapter_config.json'}: missing or non-numeric 'lora_alpha'")
    config = base_config(Path(base))
    architecture = architecture_for(config)
    checkpoint = open_checkpoint(folder, adapter=True)
    try:
        arch = architecture(config, checkpoint)
        chosen = resolve(outtype, [])
        jobs, rank = _jobs(arch, checkpoint, chosen)
        scale_alpha = float(alpha) * math.sqrt(rank) if settings.get("use_rslora") else float(alpha)

        def metadata(writer: GGUFWriter) -> None:
            writer.add_type(gguf.GGUFType.ADAPTER)
            writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
            writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, scale_alpha)
            writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

        return finish(
            target,
            arch.arch_name,
            metadata,
            jobs,
            checkpoint,
            progress,
            durable,
            started,
            chosen,
            "none",
            None,
            status="converting adapter",
        )
    finally:
        checkpoint.close()


def _jobs(arch: Architecture, checkpoint: Any, outtype: str) -> tuple[list[TensorJob], int]:
    pairs: dict[str, dict[str, Any]] = {}
    for tensor in checkpoint:
        match = PEFT_NAME.match(tensor.name)
        if match is None:
            raise ConvertError(
                f"{tensor.path}: tensor {tensor.name} is not a LoRA A/B matrix (full weights from "
                "modules_to_save are not supported)"
            )
        if tensor.dtype not in FLOATS or len(tensor.shape) != 2:
            raise ConvertError(
                f"{tensor.path}: tensor {tensor.name} is {tensor.dtype} {list(tensor.shape)}; "
                "expected a 2-D float matrix"
            )
        pairs.setdefault(match.group("base"), {})[match.group("part")] = tensor
    jobs: list[TensorJob] = []
    ranks = set()
    for base, parts in sorted(pairs.items()):
        if set(parts) != {"A", "B"}:
            raise ConvertError(f"{checkpoint.folder}: {base} has lora_{''.join(parts)} but not both A and B")
        renamed = arch.rename(base + ".weight")
        if renamed is None:
            raise ConvertError(f"{checkpoint.folder}: the adapter targets {base}, which the GGUF does not keep")
        name = arch.gguf_name(renamed)
        a, b = parts["A"], parts["B"]
        rank = a.shape[0]
        expected = arch.expected_shape(name)
        if b.shape[1] != rank:
            raise ConvertError(f"{b.path}: {b.name} has {b.shape[1]} columns; its lora_A has rank {rank}")
        if expected is not None and (b.shape[0], a.shape[1]) != expected:
            raise ConvertError(
                f"{a.path}: the adapter for {base} is {b.shape[0]}×{a.shape[1]}, but the base model's "
                f"{name} is {expected[0]}×{expected[1]}"
            )
        ranks.add(rank)
        transform, row_block = arch.transform(name, b)
        jobs.append(TensorJob(name + ".lora_a", a.shape, tensor_type(name + ".lora_a", a.shape, outtype), a))
        jobs.append(
            TensorJob(
                name + ".lora_b",
                b.shape,
                tensor_type(name + ".lora_b", b.shape, outtype),
                b,
                transform=transform,
                row_block=row_block,
            )
        )
    if not jobs:
        raise ConvertError(f"{checkpoint.folder}: the adapter holds no LoRA matrices")
    return jobs, max(ranks)
