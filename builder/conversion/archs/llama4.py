"""Llama 4's text model (``Llama4ForCausalLM``, and the text weights of
``Llama4ForConditionalGeneration``; GGUF architecture ``llama4``).

Llama's layers with a mixture of experts on every ``interleave_moe_layer_step``-th layer
(one routed expert per token, scored by a sigmoid, plus a shared expert) and a dense MLP
of ``intermediate_size_mlp`` on the others.  The checkpoint already holds each MoE
layer's experts stacked, but transposed and with gate and up side by side
(``experts.gate_up_proj``: experts × hidden × 2·ff); they are split and transposed into
``ffn_gate_exps`` / ``ffn_up_exps`` / ``ffn_down_exps`` one slab of experts at a time.
Rotary embeddings pair adjacent dimensions, as llama.cpp's do: no permutation.

llama.cpp fixes what the config could vary: chunked attention over 8192 tokens, no rope
on every fourth layer, attention temperature tuning (floor 8192, scale 0.1), and q/k
L2-norms except in the 128-expert model.  A config that differs is refused, naming the
key.  The vision tower and projector are left out, with a note.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.llama import Llama
from builder.conversion.archs.multimodal import image_part, left_out_note, text_name
from builder.conversion.checkpoint import Checkpoint, TensorRef
from builder.conversion.encode import tensor_type
from builder.conversion.hfconfig import HFConfig
from builder.conversion.stream import TensorJob, Transform
from builder.errors import ConvertError

#: What llama.cpp's llama4 assumes, by config key.
FIXED: dict[str, object] = {
    "attention_chunk_size": 8192,
    "no_rope_layer_interval": 4,
    "floor_scale": 8192,
    "attn_scale": 0.1,
    "attn_temperature_tuning": True,
}
EXPERTS = re.compile(r"^model\.layers\.(\d+)\.feed_forward\.experts\.(gate_up_proj|down_proj)$")


def expert_slab(part: slice) -> Transform:
    """Rows of experts × a × b as experts × b' × a: a slice of the last axis, transposed."""

    def transform(rows: np.ndarray, first: int) -> np.ndarray:
        return np.ascontiguousarray(rows[:, :, part].transpose(0, 2, 1))

    return transform


class Llama4(Llama):
    names: ClassVar[tuple[str, ...]] = ("Llama4ForCausalLM", "Llama4ForConditionalGeneration")
    arch = MODEL_ARCH.LLAMA4
    covers: ClassVar[str] = (
        "interleaved MoE with experts split and transposed while streaming, shared expert; vision left out"
    )

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        self.ff = config.require("intermediate_size_mlp")
        self.expert_ff = config.require("intermediate_size")
        self.experts = config.require("num_local_experts")
        self.used = config.require("num_experts_per_tok")
        self.step = config.integer("interleave_moe_layer_step", default=1) or 1
        self.left_out: list[str] = []
        for key, value in FIXED.items():
            if config.get(key, default=value) != value:
                raise ConvertError(
                    f"{config.path}: {key} is {config.get(key)!r}; llama.cpp's llama4 runs only {value!r}"
                )
        qk_norm = bool(config.get("use_qk_norm", default=True))
        if qk_norm != (self.experts != 128):
            raise ConvertError(
                f"{config.path}: use_qk_norm is {qk_norm} with {self.experts} experts; llama.cpp's llama4 "
                "normalises q and k unless there are 128 experts"
            )

    def moe(self, layer: int) -> bool:
        return (layer + 1) % self.step == 0

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        writer.add_expert_count(self.experts)
        writer.add_expert_used_count(self.used)
        writer.add_expert_feed_forward_length(self.expert_ff)
        writer.add_interleave_moe_layer_step(self.step)

    def rename(self, name: str) -> str | None:
        part = image_part(name)
        if part is not None:
            if part not in self.left_out:
                self.left_out.append(part)
            return None
        name = text_name(name)
        if EXPERTS.match(name):
            return None  # split and transposed in extra_jobs
        return super().rename(name)

    def notes(self) -> list[str]:
        return left_out_note(self.left_out)

    def transform(self, gguf_name: str, tensor: TensorRef) -> tuple[Transform | None, int]:
        return None, 1  # adjacent-pair rotary embeddings already

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        base = re.sub(r"^blk\.\d+\.", "", gguf_name)
        h, f, e = self.hidden, self.expert_ff, self.experts
        shapes = {
            "ffn_gate_inp.weight": (e, h),
            "ffn_gate_shexp.weight": (f, h),
            "ffn_up_shexp.weight": (f, h),
            "ffn_down_shexp.weight": (h, f),
        }
        return shapes.get(base) or super().expected_shape(gguf_name)

    def extra_jobs(self, outtype: str) -> list[TensorJob]:
        jobs = super().extra_jobs(outtype)
        h, f, e = self.hidden, self.expert_ff, self.experts
        for tensor in self.checkpoint:
            found = EXPERTS.match(text_name(tensor.name))
            if found is None:
                continue
            layer, kind = int(found.group(1)), found.group(2)
            expected = (e, h, 2 * f) if kind == "gate_up_proj" else (e, f, h)
            if tensor.shape != expected:
                raise ConvertError(
                    f"{tensor.path}: tensor {tensor.name} has shape {list(tensor.shape)}, but config.json "
                    f"implies {list(expected)}"
                )
            parts = (
                [("ffn_gate_exps", slice(0, f), (e, f, h)), ("ffn_up_exps", slice(f, 2 * f), (e, f, h))]
                if kind == "gate_up_proj"
                else [("ffn_down_exps", slice(None), (e, h, f))]
            )
            for part, columns, shape in parts:
                name = f"blk.{layer}.{part}.weight"
                jobs.append(
                    TensorJob(name, shape, tensor_type(name, shape, outtype), tensor, transform=expert_slab(columns))
                )
        return jobs

    def required(self) -> list[str]:
        names = ["token_embd.weight", "output_norm.weight"]
        for i in range(self.layers):
            parts = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm"]
            if self.moe(i):
                parts += ["ffn_gate_inp", "ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"]
                parts += ["ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp"]
            else:
                parts += ["ffn_gate", "ffn_up", "ffn_down"]
            names += [f"blk.{i}.{part}.weight" for part in parts]
        return names
