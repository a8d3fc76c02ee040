"""Phi-3 (GGUF architecture ``phi3``): q, k and v stay fused in ``attn_qkv``, gate and up
in ``ffn_up`` (gate first), as llama.cpp's phi3 graph splits them itself.  Rotary
embeddings on halves, so no permutation; the long-context ``longrope`` factors become
two F32 tensors."""

from __future__ import annotations

import math
import re

import numpy as np
from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH, GGMLQuantizationType

from builder.conversion.archs.base import Architecture
from builder.conversion.hfconfig import read_json
from builder.conversion.stream import TensorJob
from builder.conversion.vocab import Vocab, load_vocab
from builder.errors import ConvertError


class Phi3(Architecture):
    names = ("Phi3ForCausalLM",)
    covers = "Phi-3: q/k/v and gate/up kept fused, longrope factors as two F32 tensors"
    arch = MODEL_ARCH.PHI3

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        config = self.config
        original = config.integer("original_max_position_embeddings")
        if original is None:
            raise ConvertError(f"{config.path}: missing 'original_max_position_embeddings' (Phi-3 needs it)")
        writer.add_rope_scaling_orig_ctx_len(original)
        rotary = config.number("partial_rotary_factor", default=1.0) or 1.0
        writer.add_rope_dimension_count(int(rotary * self.hidden) // self.heads)
        writer.add_sliding_window(config.integer("sliding_window") or 0)
        scaling = config.get("rope_scaling")
        if isinstance(scaling, dict) and scaling.get("long_factor"):
            context = config.integer("max_position_embeddings") or original
            scale = context / original
            attn = 1.0 if scale <= 1.0 else math.sqrt(1 + math.log(scale) / math.log(original))
            writer.add_rope_scaling_attn_factors(attn)

    def vocab(self) -> Vocab:
        tokenizer_config = read_json(self.checkpoint.folder / "tokenizer_config.json", required=False)
        gpt2 = tokenizer_config.get("tokenizer_class") == "GPT2Tokenizer"  # Phi-4
        return load_vocab(self.checkpoint.folder, self.vocab_size, prefer_bpe=gpt2)

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        base = re.sub(r"^blk\.\d+\.", "", gguf_name)
        if base == "attn_qkv.weight":
            return ((self.heads + 2 * self.kv_heads) * self.head_dim, self.hidden)
        if base == "ffn_up.weight":
            return (2 * self.ff, self.hidden)
        return super().expected_shape(gguf_name)

    def required(self) -> list[str]:
        per_block = ("attn_norm", "attn_qkv", "attn_output", "ffn_norm", "ffn_up", "ffn_down")
        return [
            "token_embd.weight",
            "output_norm.weight",
            *(f"blk.{i}.{part}.weight" for i in range(self.layers) for part in per_block),
        ]

    def extra_jobs(self, outtype: str) -> list[TensorJob]:
        scaling = self.config.get("rope_scaling")
        if not isinstance(scaling, dict) or not scaling.get("long_factor"):
            return []
        rotary = self.config.number("partial_rotary_factor", default=1.0) or 1.0
        half = int(rotary * self.hidden) // self.heads // 2
        jobs = []
        for key, name in (("long_factor", "rope_factors_long.weight"), ("short_factor", "rope_factors_short.weight")):
            factors = np.asarray(scaling.get(key), dtype=np.float32)
            if factors.shape != (half,):
                raise ConvertError(
                    f"{self.config.path}: rope_scaling.{key} has {factors.size} values; "
                    f"the rotary dimensions need {half}"
                )
            jobs.append(TensorJob(name, (half,), GGMLQuantizationType.F32, data=factors))
        return jobs
