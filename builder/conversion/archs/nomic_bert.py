"""Nomic Embed (``NomicBertModel``; GGUF architecture ``nomic-bert``): a BERT with rotary
position embeddings instead of learned ones, q/k/v fused (``attn.Wqkv``) and a SwiGLU
feed-forward (``fc11`` up, ``fc12`` gate, ``fc2`` down), post-norm.  Its config.json is
read as released (``n_embd``, ``n_layer``, ``rotary_emb_base`` …: the keys of its remote
code, which mfc never runs) or as transformers writes it (``hidden_size`` …, the same
tensors); settings llama.cpp's graph does not have are refused, naming the key."""

from __future__ import annotations

import re
from typing import ClassVar

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.bert import Bert
from builder.conversion.archs.pooling import pooling_type
from builder.conversion.checkpoint import Checkpoint
from builder.conversion.hfconfig import HFConfig
from builder.errors import ConvertError

#: config.json settings llama.cpp's nomic-bert graph assumes, with the value it assumes.
ASSUMED = {
    "rotary_emb_fraction": 1.0,
    "rotary_emb_interleaved": False,
    "activation_function": "swiglu",
    "prenorm": False,
    "causal": False,
}


class NomicBert(Bert):
    names: ClassVar[tuple[str, ...]] = ("NomicBertModel",)
    arch = MODEL_ARCH.NOMIC_BERT
    covers: ClassVar[str] = "rotary BERT with fused qkv and SwiGLU, released or transformers config, pooling"

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        for key, value in ASSUMED.items():
            if config.get(key, default=value) != value:
                raise ConvertError(
                    f"{config.path}: {key} is {config.get(key)!r}; llama.cpp's nomic-bert runs only {value!r}"
                )

    def metadata(self, writer: GGUFWriter) -> None:
        config = self.config
        writer.add_block_count(self.layers)
        writer.add_context_length(config.require("n_positions", "max_position_embeddings", "max_trained_positions"))
        writer.add_embedding_length(self.hidden)
        writer.add_feed_forward_length(self.ff)
        writer.add_head_count(self.heads)
        writer.add_layer_norm_eps(config.require("layer_norm_epsilon", "layer_norm_eps", kind=float))
        writer.add_causal_attention(False)
        writer.add_rope_freq_base(config.number("rotary_emb_base", "rope_theta", default=10000.0) or 10000.0)
        pooling = pooling_type(self.checkpoint.folder)
        if pooling is not None:
            writer.add_pooling_type(pooling)

    def rename(self, name: str) -> str | None:
        return None if name.startswith("pooler.") else super().rename(name)

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        base = re.sub(r"^blk\.\d+\.", "", gguf_name)
        h, ff = self.hidden, self.ff
        shapes = {
            "attn_qkv.weight": (3 * h, h),
            "attn_output.weight": (h, h),
            "ffn_up.weight": (ff, h),
            "ffn_gate.weight": (ff, h),
            "ffn_down.weight": (h, ff),
            "token_embd.weight": (self.vocab_size, h),
        }
        if base.endswith(("norm.weight", "norm.bias")):
            return (h,)
        return shapes.get(base)

    def required(self) -> list[str]:
        per_block = (
            "attn_qkv",
            "attn_output",
            "attn_output_norm",
            "ffn_up",
            "ffn_gate",
            "ffn_down",
            "layer_output_norm",
        )
        return [
            "token_embd.weight",
            "token_embd_norm.weight",
            *(f"blk.{i}.{part}.weight" for i in range(self.layers) for part in per_block),
        ]
