"""Mixture-of-experts (GGUF architectures ``llama`` for Mixtral, ``qwen2moe``,
``qwen3moe``, ``olmoe``, ``granitemoe``; DeepSeek V3 is in ``deepseek.py``).

A checkpoint stores each expert's projections as their own tensors
(``…experts.7.gate_proj.weight``); llama.cpp wants one tensor per projection and layer
with the experts stacked along the first axis (``blk.N.ffn_gate_exps``, shape
experts × rows × columns).  :class:`Experts` groups the checkpoint's tensors so, and the
stream writes each stacked tensor one expert (one slab) at a time: no layer's experts
are ever in memory together.  The router is ``ffn_gate_inp``; Qwen2-MoE's shared expert
is ``ffn_*_shexp`` with its sigmoid gate ``ffn_gate_inp_shexp``.

Each architecture here differs from its dense parent only in the feed-forward block.
llama.cpp fixes, per architecture, whether the chosen experts' weights are renormalised
to sum to one; a config asking for the other (``norm_topk_prob``) is refused rather than
converted into a model that computes something else.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.base import Architecture
from builder.conversion.archs.llama import Llama
from builder.conversion.archs.qwen import Qwen2, Qwen3
from builder.conversion.checkpoint import Checkpoint, TensorRef
from builder.conversion.hfconfig import HFConfig
from builder.errors import ConvertError

#: ``<head>.experts.<index>.<tail>``: one expert's tensor; the stacked one is ``<head>.experts.<tail>``.
EXPERT = re.compile(r"^(?P<head>.*\.experts)\.(?P<index>\d+)\.(?P<tail>.+)$")


def stacked_name(name: str) -> tuple[str, int] | None:
    """The name of the stacked tensor an expert's tensor goes into, and its place there.

    >>> stacked_name("model.layers.3.block_sparse_moe.experts.12.w1.weight")
    ('model.layers.3.block_sparse_moe.experts.w1.weight', 12)
    >>> stacked_name("model.layers.3.mlp.shared_expert.up_proj.weight") is None
    True
    """
    found = EXPERT.match(name)
    if found is None:
        return None
    return f"{found['head']}.{found['tail']}", int(found["index"])


class Experts(Architecture):
    """What every mixture of experts adds to its dense parent (listed first in the bases)."""

    #: Whether llama.cpp renormalises the chosen experts' weights for this architecture
    #: (None: the GGUF says, so either is converted).
    normalises: ClassVar[bool | None]
    shared_expert: ClassVar[bool] = False
    shared_gate: ClassVar[bool] = False  # the shared expert's output scaled by a sigmoid gate

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        self.experts = config.require("num_local_experts", "num_experts", "n_routed_experts")
        self.experts_used = config.require("num_experts_per_tok", "num_experts_used")
        if self.experts_used > self.experts:
            raise ConvertError(
                f"{config.path}: num_experts_per_tok {self.experts_used} is more than the {self.experts} experts"
            )
        self.expert_ff = config.integer("moe_intermediate_size") or self.ff
        self.shared_ff = config.integer("shared_expert_intermediate_size") if self.shared_expert else None
        norm = config.get("norm_topk_prob")
        if norm is not None and self.normalises is not None and bool(norm) != self.normalises:
            raise ConvertError(
                f"{config.path}: norm_topk_prob is {str(norm).lower()}, but llama.cpp's {self.arch_name} always "
                f"{'renormalises' if self.normalises else 'keeps'} the chosen experts' weights"
            )
        if config.get("mlp_only_layers") or (config.integer("decoder_sparse_step") or 1) != 1:
            raise ConvertError(
                f"{config.path}: some layers are dense (mlp_only_layers / decoder_sparse_step), "
                f"which llama.cpp's {self.arch_name} does not run"
            )

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        writer.add_expert_count(self.experts)
        writer.add_expert_used_count(self.experts_used)
        writer.add_expert_feed_forward_length(self.expert_ff)
        if self.shared_ff is not None:
            writer.add_expert_shared_feed_forward_length(self.shared_ff)

    def sources(self) -> list[tuple[tuple[TensorRef, ...], str]]:
        """Experts grouped into the tensor they are stacked into, in expert order, where
        the first of them comes in the checkpoint."""
        out: list[tuple[tuple[TensorRef, ...], str]] = []
        groups: dict[str, dict[int, TensorRef]] = {}
        for tensor, renamed in self.included():
            stacked = stacked_name(renamed)
            if stacked is None:
                out.append(((tensor,), renamed))
                continue
            name, index = stacked
            if name not in groups:
                groups[name] = {}
                out.append(((), name))
            groups[name][index] = tensor
        for name, members in groups.items():
            if sorted(members) != list(range(self.experts)):
                missing = sorted(set(range(self.experts)) - set(members))
                extra = sorted(set(members) - set(range(self.experts)))
                raise ConvertError(
                    f"{self.checkpoint.folder}: {name} has {len(members)} experts where config.json declares "
                    f"{self.experts}" + (f" (missing {missing[:5]})" if missing else f" (also {extra[:5]})")
                )
        return [(parts or tuple(groups[name][i] for i in range(self.experts)), name) for parts, name in out]

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        base = re.sub(r"^blk\.\d+\.", "", gguf_name)
        h, n, ff, shared = self.hidden, self.experts, self.expert_ff, self.shared_ff or 0
        shapes = {
            "ffn_gate_inp.weight": (n, h),
            "ffn_gate_exps.weight": (n, ff, h),
            "ffn_up_exps.weight": (n, ff, h),
            "ffn_down_exps.weight": (n, h, ff),
            "ffn_gate_shexp.weight": (shared, h),
            "ffn_up_shexp.weight": (shared, h),
            "ffn_down_shexp.weight": (h, shared),
            "ffn_gate_inp_shexp.weight": (h,),
        }
        return shapes.get(base) or super().expected_shape(gguf_name)

    def required(self) -> list[str]:
        dense = ("ffn_gate.weight", "ffn_up.weight", "ffn_down.weight")
        parts = ["ffn_gate_inp", "ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"]
        if self.shared_ff:
            parts += ["ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp"]
            parts += ["ffn_gate_inp_shexp"] if self.shared_gate else []
        return [name for name in super().required() if not name.endswith(dense)] + [
            f"blk.{i}.{part}.weight" for i in range(self.layers) for part in parts
        ]


class Mixtral(Experts, Llama):
    names = ("MixtralForCausalLM",)
    covers = "Mixtral: Llama attention, experts stacked into ffn_*_exps, top-k weights renormalised"
    arch = MODEL_ARCH.LLAMA
    normalises = True


class Qwen2Moe(Experts, Qwen2):
    names = ("Qwen2MoeForCausalLM",)
    covers = "Qwen1.5/Qwen2-MoE: experts stacked, shared expert with its sigmoid gate (ffn_*_shexp)"
    arch = MODEL_ARCH.QWEN2MOE
    normalises = False
    shared_expert = True
    shared_gate = True


class Qwen3Moe(Experts, Qwen3):
    names = ("Qwen3MoeForCausalLM",)
    covers = "Qwen3-MoE: Qwen3 attention, experts stacked, top-k weights renormalised"
    arch = MODEL_ARCH.QWEN3MOE
    normalises = True


class Olmoe(Experts, Architecture):
    """OLMoE: q and k normalised over the whole projection (not per head); llama.cpp
    sizes the k norm by the hidden size, so key/value heads must be all the heads, as
    in OLMoE-1B-7B."""

    names = ("OlmoeForCausalLM",)
    covers = "OLMoE: q/k norms over the whole projection, experts stacked"
    arch = MODEL_ARCH.OLMOE
    normalises = False

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        if gguf_name.endswith("attn_q_norm.weight"):
            return (self.heads * self.head_dim,)
        if gguf_name.endswith("attn_k_norm.weight"):
            return (self.kv_heads * self.head_dim,)
        return super().expected_shape(gguf_name)

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        if config.get("clip_qkv") is not None:
            raise ConvertError(f"{config.path}: clip_qkv is set, which llama.cpp's olmoe does not do")
        if self.kv_heads != self.heads:
            raise ConvertError(
                f"{config.path}: num_key_value_heads {self.kv_heads} differs from num_attention_heads "
                f"{self.heads}; llama.cpp's olmoe has no grouped-query attention"
            )


def row_halves(tensor: TensorRef, halves: int = 2) -> list[list[TensorRef]]:
    """A tensor whose rows (per expert, when it has one more axis) are the gate half
    then the up half, as references to each half's bytes: ``[gate parts, up parts]``,
    one part per expert.  Nothing is read; each part is a contiguous range of the file.

    >>> from pathlib import Path
    >>> fused = TensorRef("input_linear.weight", "F32", (2, 8, 3), Path("m.safetensors"), 100, 292)
    >>> gate, up = row_halves(fused)
    >>> [(p.shape, p.start, p.end) for p in gate], [p.start for p in up]
    ([((4, 3), 100, 148), ((4, 3), 196, 244)], [148, 244])
    """
    *experts, rows, width = tensor.shape
    count = experts[0] if experts else 1
    size = (tensor.end - tensor.start) // tensor.elements
    half = rows // halves * width * size
    out: list[list[TensorRef]] = [[] for _ in range(halves)]
    for e in range(count):
        base = tensor.start + e * rows * width * size
        for h in range(halves):
            start = base + h * half
            name = f"{tensor.name} ({('gate', 'up')[h]} half{f', expert {e}' if experts else ''})"
            out[h].append(replace(tensor, name=name, shape=(rows // halves, width), start=start, end=start + half))
    return out


class GraniteMoe(Experts, Llama):
    """IBM Granite 3 MoE: the experts come stacked already, gate and up fused in
    ``input_linear`` (split here into ``ffn_gate_exps`` and ``ffn_up_exps``, by byte
    ranges), with Granite's embedding, attention, residual and logit multipliers."""

    names: ClassVar[tuple[str, ...]] = ("GraniteMoeForCausalLM", "GraniteMoeSharedForCausalLM")
    covers = "Granite 3 MoE: fused stacked experts split into gate and up, Granite's four multipliers"
    arch = MODEL_ARCH.GRANITE_MOE
    normalises = True
    shared_expert = True

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        self.shared_ff = config.integer("shared_intermediate_size") or None

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        scales = (
            ("embedding_multiplier", writer.add_embedding_scale),
            ("attention_multiplier", writer.add_attention_scale),
            ("residual_multiplier", writer.add_residual_scale),
            ("logits_scaling", writer.add_logit_scale),
        )
        for key, add in scales:
            value = self.config.number(key)
            if value is not None:
                add(value)

    def sources(self) -> list[tuple[tuple[TensorRef, ...], str]]:
        out: list[tuple[tuple[TensorRef, ...], str]] = []
        for parts, renamed in super().sources():
            found = re.match(r"^(.*)\.(block_sparse_moe|shared_mlp)\.input_linear\.weight$", renamed)
            if found is None:
                out.append((parts, renamed))
                continue
            (fused,) = parts
            if fused.shape[-2] % 2:
                raise ConvertError(f"{fused.path}: tensor {fused.name} has an odd number of rows to split in halves")
            where = "mlp.experts" if found[2] == "block_sparse_moe" else "mlp.shared_expert"
            for half, projection in zip(row_halves(fused), ("gate_proj", "up_proj"), strict=True):
                out.append((tuple(half), f"{found[1]}.{where}.{projection}.weight"))
        return out
