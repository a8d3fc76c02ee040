"""Granite (GGUF architecture ``granite``): Llama's graph, q/k permutation included, with
four multipliers from config.json: the embeddings' scale, each residual branch's, the
attention scale (in place of 1/sqrt(head size)) and the divisor of the logits."""

from __future__ import annotations

from typing import ClassVar

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.llama import Llama


class Granite(Llama):
    names: ClassVar[tuple[str, ...]] = ("GraniteForCausalLM",)
    arch = MODEL_ARCH.GRANITE
    covers: ClassVar[str] = "Llama with embedding, residual, attention and logit multipliers"

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        config = self.config
        for key, add in (
            ("embedding_multiplier", writer.add_embedding_scale),
            ("residual_multiplier", writer.add_residual_scale),
            ("attention_multiplier", writer.add_attention_scale),
            ("logits_scaling", writer.add_logit_scale),
        ):
            value = config.number(key)
            if value is not None:
                add(value)
