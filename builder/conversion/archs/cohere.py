"""Command R and Command R7B (``CohereForCausalLM``, ``Cohere2ForCausalLM``; GGUF
architectures ``command-r`` and ``cohere2``): attention and the MLP run in parallel on
the same LayerNorm'd input (a norm with no bias, so one ``attn_norm`` per block and no
``ffn_norm``), the logits are multiplied by ``logit_scale``, and the output matrix is
always the embeddings.  Hugging Face's Cohere rotates adjacent pairs, as llama.cpp does,
so nothing is permuted.  Command R+ normalises q and k per head (weights
``heads × head_dim``); llama.cpp loads those norms only in models of 64 layers or more
(Command R+'s own size), so a smaller model with them is refused.  Cohere 2 uses a
sliding window on three layers of every four and no rotary embedding on the fourth,
which llama.cpp's cohere2 assumes."""

from __future__ import annotations

import re
from typing import ClassVar

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.base import Architecture
from builder.conversion.archs.gemma3 import sliding_layers
from builder.errors import ConvertError

#: llama.cpp's cohere2: layer i uses the sliding window (and rope) unless (i + 1) % 4 == 0.
PATTERN = 4
#: llama.cpp's command-r loads q/k norms (Command R+) only from this many layers on.
QK_NORM_LAYERS = 64


class Cohere(Architecture):
    names: ClassVar[tuple[str, ...]] = ("CohereForCausalLM",)
    arch = MODEL_ARCH.COMMAND_R
    covers: ClassVar[str] = "parallel attention and MLP, bias-free LayerNorm, logit scale, tied output"

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        config = self.config
        eps = config.number("layer_norm_eps", "layer_norm_epsilon")
        if eps is None:
            raise ConvertError(f"{config.path}: missing 'layer_norm_eps'")
        writer.add_layer_norm_eps(eps)
        writer.add_logit_scale(config.number("logit_scale", default=1.0) or 1.0)

    def rename(self, name: str) -> str | None:
        if re.search(r"\.[qk]_norm\.weight$", name) and self.layers < QK_NORM_LAYERS:
            raise ConvertError(
                f"{self.checkpoint.folder}: tensor {name}: llama.cpp's command-r reads q/k norms only in "
                f"models of {QK_NORM_LAYERS} layers or more, and this one has {self.layers}"
            )
        if name.startswith("lm_head."):
            return None  # llama.cpp's graph uses the embeddings
        return super().rename(name)

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        base = re.sub(r"^blk\.\d+\.", "", gguf_name)
        if base == "attn_q_norm.weight":
            return (self.heads, self.head_dim)
        if base == "attn_k_norm.weight":
            return (self.kv_heads, self.head_dim)
        if base == "output.weight":
            return None
        return super().expected_shape(gguf_name)

    def required(self) -> list[str]:
        per_block = ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")
        return [
            "token_embd.weight",
            "output_norm.weight",
            *(f"blk.{i}.{part}.weight" for i in range(self.layers) for part in per_block),
        ]


class Cohere2(Cohere):
    names: ClassVar[tuple[str, ...]] = ("Cohere2ForCausalLM",)
    arch = MODEL_ARCH.COHERE2
    covers: ClassVar[str] = "Command R's layout with a 3:1 sliding window and no rope on the global layers"

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        config = self.config
        sliding = sliding_layers(config, self.layers)
        if sliding is not None and sliding != [(i + 1) % PATTERN != 0 for i in range(self.layers)]:
            raise ConvertError(
                f"{config.path}: the layers' attention pattern is not Cohere 2's (a global layer every "
                f"{PATTERN}), which llama.cpp's cohere2 assumes"
            )
        writer.add_sliding_window(config.require("sliding_window"))
        rotary = config.number("rotary_pct", "partial_rotary_factor", default=1.0) or 1.0
        writer.add_rope_dimension_count(int(rotary * self.head_dim))
