"""Llama and Mistral (GGUF architecture ``llama``).

Hugging Face stores q and k so that rotary embeddings rotate the halves of each head
(``rotate_half``); llama.cpp runs Llama with the original interleaved pairs.  The rows
of every q and k head are therefore permuted back (k with the key/value head count).
Llama 3.1's rope scaling becomes a ``rope_freqs`` tensor.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH, GGMLQuantizationType

from builder.conversion.archs.base import Architecture
from builder.conversion.checkpoint import TensorRef
from builder.conversion.stream import TensorJob, Transform
from builder.errors import ConvertError


class RowPermutation:
    """The q/k permutation: within each head of ``head_rows`` rows, rows ``[0..d/2)`` and
    ``[d/2..d)`` interleave.  A pure reordering, so it also applies to stored bytes."""

    def __init__(self, head_rows: int) -> None:
        self.head_rows = head_rows
        self.head_order = np.arange(head_rows).reshape(2, head_rows // 2).T.reshape(-1)

    def order(self, count: int) -> np.ndarray:
        """Which stored row each output row of a slab of ``count`` rows (whole heads) is."""
        heads = count // self.head_rows
        return (np.arange(heads)[:, None] * self.head_rows + self.head_order[None, :]).reshape(-1)

    def __call__(self, rows: np.ndarray, first: int) -> np.ndarray:
        reordered: np.ndarray = rows[self.order(rows.shape[0])]
        return reordered


def permute_rows(head_rows: int) -> RowPermutation:
    return RowPermutation(head_rows)


class Llama(Architecture):
    names: ClassVar[tuple[str, ...]] = ("LlamaForCausalLM", "MistralForCausalLM", "LLaMAForCausalLM")
    covers = "Llama and Mistral: q/k rows permuted to llama.cpp's rotary pairs, Llama 3.1 rope scaling"
    arch = MODEL_ARCH.LLAMA

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        writer.add_vocab_size(self.vocab_size)
        writer.add_rope_dimension_count(self.head_dim)
        if self.head_dim != self.hidden // self.heads:
            writer.add_key_length(self.head_dim)
            writer.add_value_length(self.head_dim)

    def transform(self, gguf_name: str, tensor: TensorRef) -> tuple[Transform | None, int]:
        if gguf_name.endswith(("attn_q.weight", "attn_q.bias", "attn_k.weight", "attn_k.bias")):
            if self.head_dim % 2:
                raise ConvertError(
                    f"{self.config.path}: head size {self.head_dim} is odd: rotary embeddings need an even one"
                )
            return permute_rows(self.head_dim), self.head_dim
        return None, 1

    def extra_jobs(self, outtype: str) -> list[TensorJob]:
        scaling = self.config.get("rope_scaling")
        if not isinstance(scaling, dict) or scaling.get("rope_type", scaling.get("type")) != "llama3":
            return []
        return [
            TensorJob(
                "rope_freqs.weight",
                (self.head_dim // 2,),
                GGMLQuantizationType.F32,
                data=llama3_rope_factors(
                    self.config.number("rope_theta", default=10000.0) or 10000.0, self.head_dim, scaling
                ),
            )
        ]


def llama3_rope_factors(theta: float, head_dim: int, scaling: dict[str, object]) -> np.ndarray:
    """Llama 3.1's per-frequency rope scaling, as the factors llama.cpp divides by; the
    arithmetic in float32 as Ollama's converter does it (its test digest is ours too)."""
    f32 = np.float32
    try:
        factor = f32(scaling.get("factor", 8.0))  # type: ignore[arg-type]
        low = f32(scaling.get("low_freq_factor", 1.0))  # type: ignore[arg-type]
        high = f32(scaling.get("high_freq_factor", 4.0))  # type: ignore[arg-type]
        original = f32(scaling.get("original_max_position_embeddings", 8192))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConvertError(f"rope_scaling {scaling!r} has a value that is not a number") from None
    low_wavelength, high_wavelength = original / low, original / high
    factors = []
    for i in range(0, head_dim, 2):
        wavelength = 2 * math.pi * theta ** (i / head_dim)
        if wavelength < high_wavelength:
            factors.append(f32(1))
        elif wavelength > low_wavelength:
            factors.append(factor)
        else:
            smooth = (original / f32(wavelength) - low) / (high - low)
            factors.append(f32(1) / ((f32(1) - smooth) / factor + smooth))
    return np.array(factors, dtype=np.float32)
