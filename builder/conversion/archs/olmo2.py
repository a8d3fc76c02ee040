"""OLMo 2 and OLMo 3 (GGUF architecture ``olmo2``): the norms come after attention and
after the MLP (``post_attention_norm``, ``post_ffw_norm``) rather than before, and q and
k are normalised over their full width (all heads at once), so those norms are
``heads * head_dim`` long.  Rotary embeddings on halves: no permutation.  OLMo 3 adds a
sliding window on three layers of every four, which llama.cpp's olmo2 assumes."""

from __future__ import annotations

import re
from typing import ClassVar

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.base import Architecture
from builder.conversion.archs.gemma3 import sliding_layers
from builder.errors import ConvertError

#: llama.cpp's OLMo 3: layer i uses the sliding window unless (i + 1) % 4 == 0.
PATTERN = 4


class Olmo2(Architecture):
    names: ClassVar[tuple[str, ...]] = ("Olmo2ForCausalLM", "Olmo3ForCausalLM")
    arch = MODEL_ARCH.OLMO2
    covers: ClassVar[str] = "post-attention and post-MLP norms, full-width q/k norms; OLMo 3's 3:1 sliding window"

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        window = self.config.integer("sliding_window")
        if window:
            sliding = sliding_layers(self.config, self.layers)
            if sliding is not None and sliding != [(i + 1) % PATTERN != 0 for i in range(self.layers)]:
                raise ConvertError(
                    f"{self.config.path}: the layers' attention pattern is not OLMo 3's (a global layer "
                    f"every {PATTERN}), which llama.cpp assumes"
                )
            writer.add_sliding_window(window)

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        base = re.sub(r"^blk\.\d+\.", "", gguf_name)
        shapes = {
            "attn_q_norm.weight": (self.heads * self.head_dim,),
            "attn_k_norm.weight": (self.kv_heads * self.head_dim,),
            "post_attention_norm.weight": (self.hidden,),
            "post_ffw_norm.weight": (self.hidden,),
        }
        return shapes.get(base) or super().expected_shape(gguf_name)

    def required(self) -> list[str]:
        per_block = (
            "attn_q",
            "attn_k",
            "attn_v",
            "attn_output",
            "attn_q_norm",
            "attn_k_norm",
            "post_attention_norm",
            "ffn_gate",
            "ffn_up",
            "ffn_down",
            "post_ffw_norm",
        )
        return [
            "token_embd.weight",
            "output_norm.weight",
            *(f"blk.{i}.{part}.weight" for i in range(self.layers) for part in per_block),
        ]
