"""Gemma and Gemma 2.  Their RMS norms scale by ``1 + w``, llama.cpp's by ``w``: every
norm weight gets + 1.  Embeddings are tied (a saved ``lm_head`` is dropped) and scaled by
sqrt(hidden) inside llama.cpp, not here.  Gemma 2 adds logit soft-capping, sliding-window
attention and extra norms around attention and the feed-forward block."""

from __future__ import annotations

import re

import numpy as np
from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.base import Architecture
from builder.conversion.checkpoint import TensorRef
from builder.conversion.stream import Transform
from builder.conversion.vocab import Vocab, load_vocab


def plus_one(rows: np.ndarray, first: int) -> np.ndarray:
    return rows + np.float32(1)


class Gemma(Architecture):
    names = ("GemmaForCausalLM",)
    covers = "Gemma: 1 + w norm weights made w, tied embeddings (a saved lm_head dropped)"
    arch = MODEL_ARCH.GEMMA

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        writer.add_key_length(self.head_dim)
        writer.add_value_length(self.head_dim)

    def vocab(self) -> Vocab:
        return load_vocab(self.checkpoint.folder, self.vocab_size, space_prefix=False)

    def rename(self, name: str) -> str | None:
        if name.startswith("lm_head."):
            return None  # tied to the embeddings
        return super().rename(name)

    def transform(self, gguf_name: str, tensor: TensorRef) -> tuple[Transform | None, int]:
        if gguf_name.endswith("norm.weight"):
            return plus_one, 1
        return None, 1

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        if gguf_name == "output.weight":
            return None
        return super().expected_shape(gguf_name)


class Gemma2(Gemma):
    names = ("Gemma2ForCausalLM",)
    covers = "Gemma 2: Gemma plus the extra norms, logit soft-capping and sliding-window attention"
    arch = MODEL_ARCH.GEMMA2

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        for key, add in (
            ("attn_logit_softcapping", writer.add_attn_logit_softcapping),
            ("final_logit_softcapping", writer.add_final_logit_softcapping),
        ):
            value = self.config.number(key)
            if value is not None:
                add(value)
        window = self.config.integer("sliding_window")
        if window:
            writer.add_sliding_window(window)

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        if re.search(r"(post_attention_norm|post_ffw_norm)\.weight$", gguf_name):
            return (self.hidden,)
        return super().expected_shape(gguf_name)

    def required(self) -> list[str]:
        extra = [
            f"blk.{i}.{part}.weight" for i in range(self.layers) for part in ("post_attention_norm", "post_ffw_norm")
        ]
        return [*super().required(), *extra]
