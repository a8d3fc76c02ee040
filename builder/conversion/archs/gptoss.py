"""gpt-oss (GGUF architecture ``gpt-oss``): attention with biases and per-head sinks,
alternating sliding-window and full layers, YaRN rope, and experts stored stacked.

Experts stacked already and transposed with respect to llama.cpp (``[expert, in,
out]``), gate and up interleaved column by column in ``gate_up_proj``: each expert's
slab is split (even columns the gate, odd the up) and transposed on its way out, so
no more than a slab of experts is ever in memory.  Checkpoints whose experts are
MXFP4 blocks (as OpenAI publishes them) are refused by name: only float experts are
converted so far.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.moe import Experts
from builder.conversion.checkpoint import Checkpoint, TensorRef
from builder.conversion.encode import tensor_type
from builder.conversion.hfconfig import HFConfig
from builder.conversion.stream import TensorJob, Transform
from builder.errors import ConvertError


class Columns:
    """Every ``step``-th column from ``start`` of each row (of each expert's slab), the
    result transposed per expert when ``transpose``.

    >>> rows = np.arange(12.0).reshape(1, 2, 6)  # one expert: 2 inputs x (gate, up) x 3
    >>> Columns(0, 2, transpose=True)(rows, 0).tolist()
    [[[0.0, 6.0], [2.0, 8.0], [4.0, 10.0]]]
    >>> Columns(1, 2, transpose=False)(np.arange(4.0).reshape(1, 4), 0).tolist()
    [[1.0, 3.0]]
    """

    def __init__(self, start: int, step: int, *, transpose: bool) -> None:
        self.start, self.step, self.transpose = start, step, transpose

    def __call__(self, rows: np.ndarray, first: int) -> np.ndarray:
        picked = rows[..., self.start :: self.step]
        return np.ascontiguousarray(picked.swapaxes(-1, -2) if self.transpose else picked)


TRANSPOSE = Columns(0, 1, transpose=True)
HALVES = {"gate_proj": 0, "up_proj": 1}


class GptOss(Experts):
    names: ClassVar[tuple[str, ...]] = ("GptOssForCausalLM",)
    covers = "gpt-oss: sinks, sliding window, YaRN; stacked float experts split (gate/up interleaved) and transposed"
    arch = MODEL_ARCH.GPT_OSS
    normalises = True

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        for key, value in (("swiglu_limit", 7.0), ("swiglu_alpha", 1.702)):
            if config.number(key, default=value) != value:
                raise ConvertError(f"{config.path}: {key} is {config.get(key)}; llama.cpp's gpt-oss uses {value}")
        for tensor in checkpoint:
            if tensor.name.endswith(("_blocks", "_scales")):
                raise ConvertError(
                    f"{tensor.path}: tensor {tensor.name} is an MXFP4 expert block; mfc converts gpt-oss "
                    "checkpoints with float experts only (dequantize them first)"
                )

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        writer.add_key_length(self.head_dim)
        writer.add_value_length(self.head_dim)
        window = self.config.integer("sliding_window")
        if window:
            writer.add_sliding_window(window)

    def rename(self, name: str) -> str | None:
        renamed = super().rename(name)
        if renamed is None:
            return None
        if renamed.endswith(".self_attn.sinks"):
            return renamed + ".weight"
        if renamed.endswith(("experts.down_proj", "experts.gate_up_proj")):
            return renamed + ".weight"
        return renamed.replace("_proj_bias", "_proj.bias")

    def sources(self) -> list[tuple[tuple[TensorRef, ...], str]]:
        out: list[tuple[tuple[TensorRef, ...], str]] = []
        for parts, renamed in super().sources():
            if ".experts.gate_up_proj." in renamed:  # one source, two outputs
                out += [(parts, renamed.replace("gate_up_proj", half)) for half in HALVES]
            else:
                out.append((parts, renamed))
        return out

    def job(self, parts: tuple[TensorRef, ...], renamed: str, outtype: str) -> TensorJob:
        found = re.search(r"\.experts\.(gate_proj|up_proj|down_proj)\.(weight|bias)$", renamed)
        if found is None:
            return super().job(parts, renamed, outtype)
        (tensor,) = parts
        name = self.gguf_name(renamed)
        projection, kind = found[1], found[2]
        n, h, ff = self.experts, self.hidden, self.expert_ff
        transform: Transform | None
        stored: tuple[int, ...]
        shape: tuple[int, ...]
        if kind == "bias" and projection == "down_proj":
            stored, shape, transform = (n, h), (n, h), None
        elif kind == "bias":
            stored, shape, transform = (n, 2 * ff), (n, ff), Columns(HALVES[projection], 2, transpose=False)
        elif projection == "down_proj":
            stored, shape, transform = (n, ff, h), (n, h, ff), TRANSPOSE
        else:
            stored, shape = (n, h, 2 * ff), (n, ff, h)
            transform = Columns(HALVES[projection], 2, transpose=True)
        if tensor.shape != stored:
            raise ConvertError(
                f"{tensor.path}: tensor {tensor.name} has shape {list(tensor.shape)}, but config.json implies "
                f"{list(stored)}"
            )
        return TensorJob(name, shape, tensor_type(name, shape, outtype), tensor, transform=transform)

    def required(self) -> list[str]:
        names = [name.replace("ffn_norm", "post_attention_norm") for name in super().required()]
        return names + [f"blk.{i}.attn_sinks.weight" for i in range(self.layers)]

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        if gguf_name.endswith("attn_sinks.weight"):
            return (self.heads,)
        return super().expected_shape(gguf_name)
