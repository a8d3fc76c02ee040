"""Gemma 3 (GGUF architecture ``gemma3``): Gemma 2 with q/k norms (also ``1 + w``, so also
+ 1), no soft-capping, sliding-window attention on five of every six layers with their own
rope base (``rope_local_base_freq``), and linear rope scaling on the global layers only.

``Gemma3ForConditionalGeneration`` holds the same text model beside a SigLIP vision
tower: the text model is converted and the tower is left out, with a note saying so (it
would be a separate projector file that mfc does not write).  Its ``text_config`` often
leaves out what Gemma3TextConfig defaults, so those defaults are filled in here.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.base import Architecture
from builder.conversion.archs.gemma import Gemma2
from builder.conversion.archs.multimodal import image_part, left_out_note, text_name
from builder.conversion.checkpoint import Checkpoint
from builder.conversion.hfconfig import HFConfig
from builder.errors import ConvertError

#: Gemma3TextConfig's defaults, for the keys released configs leave out.
TEXT_DEFAULTS: dict[str, Any] = {
    "vocab_size": 262208,
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
    "head_dim": 256,
    "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0,
    "rope_local_base_freq": 10000.0,
    "max_position_embeddings": 131072,
    "sliding_window": 4096,
}
#: llama.cpp's gemma3 graph: layer i uses the sliding window unless (i + 1) % 6 == 0.
PATTERN = 6


def sliding_layers(config: HFConfig, layers: int) -> list[bool] | None:
    """Which layers config.json says use the sliding window (None: it does not say)."""
    types = config.get("layer_types")
    if isinstance(types, list):
        return [kind == "sliding_attention" for kind in types]
    pattern = config.integer("sliding_window_pattern", "_sliding_window_pattern")
    if pattern is not None:
        return [(i + 1) % pattern != 0 for i in range(layers)]
    return None


class Gemma3(Gemma2):
    names: ClassVar[tuple[str, ...]] = ("Gemma3ForCausalLM", "Gemma3ForConditionalGeneration")
    arch = MODEL_ARCH.GEMMA3
    covers: ClassVar[str] = "q/k norms + 1, 5:1 sliding window with its own rope base; vision tower left out"

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        config = HFConfig(config.path, {**TEXT_DEFAULTS, **config.values})
        super().__init__(config, checkpoint)
        sliding = sliding_layers(config, self.layers)
        expected = [(i + 1) % PATTERN != 0 for i in range(self.layers)]
        if sliding is not None and sliding != expected:
            raise ConvertError(
                f"{config.path}: the layers' attention pattern is not Gemma 3's (a global layer every "
                f"{PATTERN}), which llama.cpp's gemma3 assumes"
            )
        # llama.cpp scales queries by 1/sqrt(head_dim), or 1/sqrt(hidden/heads) in the 62-layer 27B
        scalar = config.number("query_pre_attn_scalar", default=float(self.head_dim))
        assumed = self.hidden / self.heads if self.layers == 62 else self.head_dim
        if scalar != assumed:
            raise ConvertError(
                f"{config.path}: query_pre_attn_scalar is {scalar:g}; llama.cpp's gemma3 scales queries by "
                f"1/sqrt({assumed:g}) for this shape"
            )
        if config.get("attn_logit_softcapping") is not None:
            raise ConvertError(f"{config.path}: attn_logit_softcapping is set; llama.cpp's gemma3 does not cap")
        self.left_out: list[str] = []

    def metadata(self, writer: GGUFWriter) -> None:
        Architecture.metadata(self, writer)
        writer.add_key_length(self.head_dim)
        writer.add_value_length(self.head_dim)
        writer.add_sliding_window(self.config.require("sliding_window"))
        writer.add_rope_freq_base_swa(self.config.require("rope_local_base_freq", kind=float))
        value = self.config.number("final_logit_softcapping")
        if value is not None:
            writer.add_final_logit_softcapping(value)

    def rename(self, name: str) -> str | None:
        part = image_part(name)
        if part is not None:
            if part not in self.left_out:
                self.left_out.append(part)
            return None
        return super().rename(text_name(name))

    def notes(self) -> list[str]:
        return left_out_note(self.left_out)

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        if re.search(r"attn_[qk]_norm\.weight$", gguf_name):
            return (self.head_dim,)
        return super().expected_shape(gguf_name)

    def required(self) -> list[str]:
        extra = [f"blk.{i}.{part}.weight" for i in range(self.layers) for part in ("attn_q_norm", "attn_k_norm")]
        return [*super().required(), *extra]
