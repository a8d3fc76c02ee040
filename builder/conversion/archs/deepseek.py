"""DeepSeek V3 (GGUF architecture ``deepseek2``): multi-head latent attention, a few
leading dense layers, then routed experts chosen by sigmoid scores plus a selection
bias (``exp_probs_b``) within the best expert groups, and shared experts.

llama.cpp runs the attention with the latent projection absorbed, so ``kv_b_proj``
(per head: the no-rope key rows, then the value rows, over the latent rank) becomes
two stacked tensors: ``attn_k_b`` (each head's key rows transposed) and ``attn_v_b``,
both assembled from byte ranges of ``kv_b_proj``, one head at a time.  Rotary
dimensions are stored interleaved already (``rope_interleave``), as llama.cpp wants.
The multi-token-prediction layers past ``num_hidden_layers`` are left out.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar

import numpy as np
from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH, ExpertGatingFuncType

from builder.conversion.archs.moe import Experts
from builder.conversion.checkpoint import Checkpoint, TensorRef
from builder.conversion.encode import tensor_type
from builder.conversion.hfconfig import HFConfig
from builder.conversion.stream import TensorJob
from builder.errors import ConvertError


def transpose(rows: np.ndarray, first: int) -> np.ndarray:
    """One head's key rows, transposed (the slab is always the whole head).

    >>> transpose(np.arange(6.0).reshape(2, 3), 0).tolist()
    [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    """
    return np.ascontiguousarray(rows.T)


class DeepseekV3(Experts):
    names: ClassVar[tuple[str, ...]] = ("DeepseekV3ForCausalLM",)
    covers = (
        "DeepSeek V3: latent attention (kv_b split into k_b and v_b), leading dense layers, "
        "sigmoid routing with bias and expert groups, shared experts"
    )
    arch = MODEL_ARCH.DEEPSEEK2
    normalises = None  # norm_topk_prob is written to the GGUF: llama.cpp's deepseek2 reads it

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        self.kv_heads = 1  # llama.cpp runs latent attention as one shared key/value head
        self.q_lora = config.integer("q_lora_rank")
        self.kv_lora = config.require("kv_lora_rank")
        self.nope = config.require("qk_nope_head_dim")
        self.rope = config.require("qk_rope_head_dim")
        self.v_dim = config.require("v_head_dim")
        self.dense_layers = config.integer("first_k_dense_replace") or 0
        self.shared = config.integer("n_shared_experts") or 0
        self.shared_ff = self.shared * self.expert_ff or None
        if (
            config.get("scoring_func", default="sigmoid") != "sigmoid"
            or config.get("topk_method", default="noaux_tc") != "noaux_tc"
        ):
            raise ConvertError(f"{config.path}: DeepSeek V3 routes by sigmoid scores with noaux_tc top-k")

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        config = self.config
        writer.add_leading_dense_block_count(self.dense_layers)
        writer.add_vocab_size(self.vocab_size)
        if self.q_lora:
            writer.add_q_lora_rank(self.q_lora)
        writer.add_kv_lora_rank(self.kv_lora)
        writer.add_key_length(self.kv_lora + self.rope)
        writer.add_value_length(self.kv_lora)
        writer.add_key_length_mla(self.nope + self.rope)
        writer.add_value_length_mla(self.v_dim)
        writer.add_expert_shared_count(self.shared)
        scale = config.number("routed_scaling_factor")
        if scale is not None:
            writer.add_expert_weights_scale(scale)
        if config.get("norm_topk_prob"):
            writer.add_expert_weights_norm(True)
        writer.add_expert_gating_func(ExpertGatingFuncType.SIGMOID)
        groups, used = config.integer("n_group"), config.integer("topk_group")
        if groups is not None:
            writer.add_expert_group_count(groups)
        if used is not None:
            writer.add_expert_group_used_count(used)
        writer.add_rope_dimension_count(self.rope)
        scaling = config.get("rope_scaling")
        if isinstance(scaling, dict) and scaling.get("mscale_all_dim") is not None:
            writer.add_rope_scaling_yarn_log_mul(0.1 * float(scaling["mscale_all_dim"]))

    def rename(self, name: str) -> str | None:
        found = re.match(r"^model\.layers\.(\d+)\.", name)
        if found and int(found[1]) >= self.layers:
            return None  # multi-token prediction
        renamed = super().rename(name)
        return renamed.replace("e_score_correction_bias", "e_score_correction.bias") if renamed else None

    def sources(self) -> list[tuple[tuple[TensorRef, ...], str]]:
        out: list[tuple[tuple[TensorRef, ...], str]] = []
        for parts, renamed in super().sources():
            if not renamed.endswith(".self_attn.kv_b_proj.weight"):
                out.append((parts, renamed))
                continue
            (kv_b,) = parts
            head_rows = self.nope + self.v_dim
            if kv_b.shape != (self.heads * head_rows, self.kv_lora):
                raise ConvertError(
                    f"{kv_b.path}: tensor {kv_b.name} has shape {list(kv_b.shape)}, but config.json implies "
                    f"{[self.heads * head_rows, self.kv_lora]}"
                )
            row = (kv_b.end - kv_b.start) // kv_b.shape[0]
            keys, values = [], []
            for h in range(self.heads):
                start = kv_b.start + h * head_rows * row
                middle = start + self.nope * row
                keys.append(
                    replace(
                        kv_b,
                        name=f"{kv_b.name} (head {h} keys)",
                        shape=(self.nope, self.kv_lora),
                        start=start,
                        end=middle,
                    )
                )
                values.append(
                    replace(
                        kv_b,
                        name=f"{kv_b.name} (head {h} values)",
                        shape=(self.v_dim, self.kv_lora),
                        start=middle,
                        end=middle + self.v_dim * row,
                    )
                )
            prefix = renamed.removesuffix("kv_b_proj.weight")
            out += [(tuple(keys), prefix + "k_b_proj.weight"), (tuple(values), prefix + "v_b_proj.weight")]
        return out

    def job(self, parts: tuple[TensorRef, ...], renamed: str, outtype: str) -> TensorJob:
        job = super().job(parts, renamed, outtype)
        if job.name.endswith("attn_k_b.weight"):
            shape = (self.heads, self.kv_lora, self.nope)
            qtype = tensor_type(job.name, shape, outtype)
            return replace(
                job, shape=shape, qtype=qtype, source=None, parts=parts, transform=transpose, row_block=self.nope
            )
        if job.name.endswith("attn_v_b.weight"):
            return replace(job, shape=(self.heads, self.v_dim, self.kv_lora), source=None, parts=parts)
        return job

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        base = re.sub(r"^blk\.\d+\.", "", gguf_name)
        h, heads, qk = self.hidden, self.heads, self.nope + self.rope
        shapes: dict[str, tuple[int, ...] | None] = {
            "attn_q.weight": (heads * qk, h),
            "attn_q_a.weight": (self.q_lora or 0, h),
            "attn_q_a_norm.weight": (self.q_lora or 0,),
            "attn_q_b.weight": (heads * qk, self.q_lora or 0),
            "attn_kv_a_mqa.weight": (self.kv_lora + self.rope, h),
            "attn_kv_a_norm.weight": (self.kv_lora,),
            "attn_output.weight": (h, heads * self.v_dim),
            "attn_k_b.weight": None,  # checked as kv_b_proj
            "attn_v_b.weight": None,
            "exp_probs_b.bias": (self.experts,),
        }
        if base in shapes:
            return shapes[base]
        return super().expected_shape(gguf_name)

    def required(self) -> list[str]:
        attention = ["attn_norm", "attn_kv_a_mqa", "attn_kv_a_norm", "attn_k_b", "attn_v_b", "attn_output", "ffn_norm"]
        attention += ["attn_q_a", "attn_q_a_norm", "attn_q_b"] if self.q_lora else ["attn_q"]
        dense = ["ffn_gate", "ffn_up", "ffn_down"]
        moe = ["ffn_gate_inp", "ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"]
        moe += ["ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp"] if self.shared else []
        names = ["token_embd.weight", "output_norm.weight"]
        for i in range(self.layers):
            names += [f"blk.{i}.{part}.weight" for part in attention + (dense if i < self.dense_layers else moe)]
            names += [] if i < self.dense_layers else [f"blk.{i}.exp_probs_b.bias"]
        return names
