"""Qwen2 and Qwen3 (GGUF architectures ``qwen2`` and ``qwen3``): rotary embeddings on
halves, as Hugging Face stores them, so no permutation.  Qwen2 has q/k/v biases; Qwen3
normalises q and k per head and may set its own head size."""

from __future__ import annotations

import re
from typing import ClassVar

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.base import Architecture
from builder.conversion.archs.pooling import pooling_type


class Qwen2(Architecture):
    names: ClassVar[tuple[str, ...]] = ("Qwen2ForCausalLM", "Qwen2Model")
    covers = "Qwen2 and Qwen2.5: q/k/v biases; Qwen2Model embedders with their pooling"
    arch = MODEL_ARCH.QWEN2

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        pooling = pooling_type(self.checkpoint.folder)
        if pooling is not None:
            writer.add_pooling_type(pooling)

    def rename(self, name: str) -> str | None:
        renamed = super().rename(name)
        if renamed is not None and self.config.architecture == "Qwen2Model" and not renamed.startswith("model."):
            renamed = "model." + renamed  # the bare model's names lack the prefix the map knows
        return renamed


class Qwen3(Qwen2):
    names: ClassVar[tuple[str, ...]] = ("Qwen3ForCausalLM", "Qwen3Model")
    covers = "Qwen3: per-head q/k norms, its own head size; Qwen3Model embedders with their pooling"
    arch = MODEL_ARCH.QWEN3

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        writer.add_key_length(self.head_dim)
        writer.add_value_length(self.head_dim)

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        if re.search(r"attn_[qk]_norm\.weight$", gguf_name):
            return (self.head_dim,)
        return super().expected_shape(gguf_name)

    def rename(self, name: str) -> str | None:
        renamed = Architecture.rename(self, name)
        if renamed is not None and self.config.architecture == "Qwen3Model" and not renamed.startswith("model."):
            renamed = "model." + renamed
        return renamed
