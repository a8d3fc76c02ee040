"""LFM2 (GGUF architecture ``lfm2``): a hybrid of short gated convolutions and attention
layers.  A convolution layer holds ``shortconv.in_proj`` (B, C and x at once),
``shortconv.conv`` (one ``L``-tap filter per channel; stored ``hidden × 1 × L``, written
``hidden × L`` in F32 as llama.cpp reads it) and ``shortconv.out_proj``; an attention layer
has q/k norms per head.  Only attention layers have key/value heads, so the KV head count
is written per layer (0 for a convolution).  The feed-forward size is what LFM2 derives
from ``intermediate_size`` (two thirds, times a multiplier, rounded up to a multiple).
``model.embedding_norm`` is the final norm, despite its name."""

from __future__ import annotations

import dataclasses
import re
from typing import ClassVar

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH, GGMLQuantizationType

from builder.conversion.archs.base import Architecture
from builder.conversion.checkpoint import Checkpoint
from builder.conversion.hfconfig import HFConfig
from builder.conversion.stream import TensorJob
from builder.errors import ConvertError


def feed_forward_size(config: HFConfig) -> int:
    """LFM2's feed-forward width from config.json.

    >>> from pathlib import Path
    >>> config = HFConfig(Path("config.json"), {"intermediate_size": 12288, "block_multiple_of": 256})
    >>> feed_forward_size(config)  # LFM2-1.2B's
    8192
    """
    size: int = config.require("intermediate_size")
    if config.get("block_auto_adjust_ff_dim", default=True):
        size = int(2 * size / 3)
        multiplier = config.number("block_ffn_dim_multiplier")
        if multiplier is not None:
            size = int(multiplier * size)
        multiple = config.integer("block_multiple_of", default=256) or 256
        size = multiple * ((size + multiple - 1) // multiple)
    return size


class Lfm2(Architecture):
    names: ClassVar[tuple[str, ...]] = ("Lfm2ForCausalLM",)
    arch = MODEL_ARCH.LFM2
    covers: ClassVar[str] = "short convolutions (conv weight squeezed to F32) and attention layers, KV heads per layer"

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        self.ff = feed_forward_size(config)
        types = config.get("layer_types")
        if isinstance(types, list) and len(types) == self.layers:
            self.attention = [kind == "full_attention" for kind in types]
        else:
            indices = config.get("full_attn_idxs")
            if not isinstance(indices, list):
                raise ConvertError(f"{config.path}: missing 'layer_types' (which layers are attention)")
            self.attention = [i in indices for i in range(self.layers)]
        self.taps = config.require("conv_L_cache")

    def metadata(self, writer: GGUFWriter) -> None:
        config = self.config
        writer.add_block_count(self.layers)
        writer.add_context_length(config.require("max_position_embeddings"))
        writer.add_embedding_length(self.hidden)
        writer.add_feed_forward_length(self.ff)
        writer.add_head_count(self.heads)
        writer.add_head_count_kv([self.kv_heads if attention else 0 for attention in self.attention])
        writer.add_rope_freq_base(config.number("rope_theta", default=1000000.0) or 1000000.0)
        writer.add_layer_norm_rms_eps(config.require("norm_eps", "rms_norm_eps", kind=float))
        writer.add_vocab_size(self.vocab_size)
        writer.add_shortconv_l_cache(self.taps)
        self.rope_scaling(writer)

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        base = re.sub(r"^blk\.\d+\.", "", gguf_name)
        shapes = {
            "token_embd_norm.weight": (self.hidden,),
            "attn_q_norm.weight": (self.head_dim,),
            "attn_k_norm.weight": (self.head_dim,),
            "shortconv.in_proj.weight": (3 * self.hidden, self.hidden),
            "shortconv.out_proj.weight": (self.hidden, self.hidden),
            "shortconv.conv.weight": (self.hidden, 1, self.taps),
        }
        return shapes.get(base) or super().expected_shape(gguf_name)

    def jobs(self, outtype: str) -> list[TensorJob]:
        return [
            dataclasses.replace(job, shape=(self.hidden, self.taps), qtype=GGMLQuantizationType.F32)
            if job.name.endswith("shortconv.conv.weight")
            else job
            for job in super().jobs(outtype)
        ]

    def required(self) -> list[str]:
        attention = ("attn_q", "attn_k", "attn_v", "attn_output", "attn_q_norm", "attn_k_norm")
        convolution = ("shortconv.conv", "shortconv.in_proj", "shortconv.out_proj")
        names = ["token_embd.weight", "token_embd_norm.weight"]
        for i, is_attention in enumerate(self.attention):
            parts = (*(attention if is_attention else convolution), "attn_norm", "ffn_norm", "ffn_gate", "ffn_up")
            names += [f"blk.{i}.{part}.weight" for part in (*parts, "ffn_down")]
        return names
