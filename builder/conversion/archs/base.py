"""What every architecture converter shares: reading the hyper-parameters, naming
tensors with gguf-py's ``TensorNameMap``, checking every tensor's shape against the
config before anything is written, and the common metadata keys.

A concrete architecture is a small subclass: its Hugging Face class names, its GGUF
architecture, the keys llama.cpp needs beyond the common ones, and the transforms its
tensors need (the Llama q/k permutation, Gemma's norm + 1).
"""

from __future__ import annotations

import math
import re
from typing import ClassVar

import gguf
from gguf import GGUFWriter

from builder.conversion.checkpoint import FLOATS, Checkpoint, TensorRef
from builder.conversion.encode import tensor_type
from builder.conversion.hfconfig import HFConfig
from builder.conversion.stream import TensorJob, Transform
from builder.conversion.vocab import Vocab, load_vocab
from builder.errors import ConvertError

#: Checkpoint tensors no GGUF needs.
IGNORED = re.compile(r".*(rotary_emb\.inv_freq|\.attention\.masked_bias|\.attention\.bias|position_ids)$")


class Architecture:
    names: ClassVar[tuple[str, ...]] = ()
    arch: ClassVar[gguf.MODEL_ARCH]
    causal: ClassVar[bool] = True
    covers: ClassVar[str] = ""  # what the conversion handles, for ``mfc convert --list``

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        self.config, self.checkpoint = config, checkpoint
        self.hidden = config.require("hidden_size", "n_embd", "dim")
        self.layers = config.require("num_hidden_layers", "n_layers", "n_layer", "num_layers")
        self.heads = config.require("num_attention_heads", "n_head", "n_heads")
        self.kv_heads = config.integer("num_key_value_heads", "n_kv_heads") or self.heads
        self.ff = config.require("intermediate_size", "n_inner", "hidden_dim")
        self.vocab_size = config.require("vocab_size")
        head_dim = config.integer("head_dim")
        if head_dim is None and self.hidden % self.heads:
            raise ConvertError(
                f"{config.path}: hidden_size {self.hidden} is not a multiple of "
                f"num_attention_heads {self.heads}, and there is no head_dim"
            )
        self.head_dim = head_dim or self.hidden // self.heads
        if self.heads % self.kv_heads:
            raise ConvertError(
                f"{config.path}: num_attention_heads {self.heads} is not a multiple of "
                f"num_key_value_heads {self.kv_heads}"
            )
        self.names_map = gguf.get_tensor_name_map(self.arch, self.layers)

    @property
    def arch_name(self) -> str:
        return gguf.MODEL_ARCH_NAMES[self.arch]

    # ---- metadata ----------------------------------------------------------------------------

    def metadata(self, writer: GGUFWriter) -> None:
        """The hyper-parameters llama.cpp reads (the tokenizer is written separately)."""
        config = self.config
        writer.add_block_count(self.layers)
        context = config.integer("max_position_embeddings", "n_ctx", "n_positions", "max_sequence_length")
        if context is None:
            raise ConvertError(f"{config.path}: missing 'max_position_embeddings' (the context length)")
        writer.add_context_length(context)
        writer.add_embedding_length(self.hidden)
        writer.add_feed_forward_length(self.ff)
        writer.add_head_count(self.heads)
        writer.add_head_count_kv(self.kv_heads)
        theta = config.number("rope_theta")
        if theta is not None:
            writer.add_rope_freq_base(float(theta))
        eps = config.number("rms_norm_eps", "norm_eps")
        if eps is not None:
            writer.add_layer_norm_rms_eps(eps)
        self.rope_scaling(writer)

    def rope_scaling(self, writer: GGUFWriter) -> None:
        scaling = self.config.get("rope_scaling")
        if not isinstance(scaling, dict):
            return
        kind = scaling.get("rope_type", scaling.get("type"))
        factor = scaling.get("factor")
        if kind == "linear" and factor:
            writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
            writer.add_rope_scaling_factor(float(factor))
        elif kind == "yarn" and factor:
            writer.add_rope_scaling_type(gguf.RopeScalingType.YARN)
            writer.add_rope_scaling_factor(float(factor))
            original = scaling.get("original_max_position_embeddings")
            if original:
                writer.add_rope_scaling_orig_ctx_len(int(original))
        elif kind not in (None, "default", "llama3", "longrope", "su"):
            raise ConvertError(f"{self.config.path}: rope_scaling type {kind!r} is not supported")

    def vocab(self) -> Vocab:
        """The tokenizer: SentencePiece if there is a tokenizer.model, else tokenizer.json's BPE."""
        return load_vocab(self.checkpoint.folder, self.vocab_size)

    # ---- tensors -----------------------------------------------------------------------------

    def rename(self, name: str) -> str | None:
        """The checkpoint name as the name map knows it; None to leave the tensor out."""
        return None if IGNORED.match(name) else name

    def gguf_name(self, name: str) -> str:
        mapped = self.names_map.get_name(name, try_suffixes=(".weight", ".bias"))
        if mapped is None:
            raise ConvertError(
                f"{self.checkpoint.folder}: tensor {name} has no place in a "
                f"{self.arch_name} GGUF (is config.json's architecture right?)"
            )
        return mapped

    def transform(self, gguf_name: str, tensor: TensorRef) -> tuple[Transform | None, int]:
        """How rows change on their way (and in how many rows they come), if they do."""
        return None, 1

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        """What config.json says this tensor's shape must be (None: not checked)."""
        base = re.sub(r"^blk\.\d+\.", "", gguf_name)
        h, q, kv, ff = self.hidden, self.heads * self.head_dim, self.kv_heads * self.head_dim, self.ff
        shapes = {
            "token_embd.weight": (self.vocab_size, h),
            "output.weight": (self.vocab_size, h),
            "output_norm.weight": (h,),
            "attn_norm.weight": (h,),
            "ffn_norm.weight": (h,),
            "attn_q.weight": (q, h),
            "attn_k.weight": (kv, h),
            "attn_v.weight": (kv, h),
            "attn_q.bias": (q,),
            "attn_k.bias": (kv,),
            "attn_v.bias": (kv,),
            "attn_output.weight": (h, q),
            "ffn_gate.weight": (ff, h),
            "ffn_up.weight": (ff, h),
            "ffn_down.weight": (h, ff),
        }
        return shapes.get(base)

    def required(self) -> list[str]:
        """Tensors llama.cpp cannot load the model without."""
        per_block = (
            "attn_norm",
            "attn_q",
            "attn_k",
            "attn_v",
            "attn_output",
            "ffn_norm",
            "ffn_gate",
            "ffn_up",
            "ffn_down",
        )
        return [
            "token_embd.weight",
            "output_norm.weight",
            *(f"blk.{i}.{part}.weight" for i in range(self.layers) for part in per_block),
        ]

    def extra_jobs(self, outtype: str) -> list[TensorJob]:
        """Tensors computed from the config rather than read (e.g. Llama 3's rope_freqs)."""
        return []

    def included(self) -> list[tuple[TensorRef, str]]:
        """The checkpoint tensors that go into the GGUF, with the names the map knows.

        A tensor in a dtype mfc does not convert is left out when the GGUF has no place
        for it (integer buffers: ``position_ids``, quantization state) and refused, by
        name and dtype, when it is a weight the GGUF needs."""
        found = []
        for tensor in self.checkpoint:
            renamed = self.rename(tensor.name)
            if renamed is None:
                continue
            if tensor.dtype not in FLOATS:
                if self.names_map.get_name(renamed, try_suffixes=(".weight", ".bias")) is None:
                    continue
                raise ConvertError(
                    f"{tensor.path}: tensor {tensor.name} is {tensor.dtype}; mfc converts F32, F16 and BF16 weights"
                )
            found.append((tensor, renamed))
        return found

    def sources(self) -> list[tuple[tuple[TensorRef, ...], str]]:
        """Each output tensor's checkpoint tensors (one, or the experts a mixture of
        experts stacks into one) and the name the map knows it by."""
        return [((tensor,), renamed) for tensor, renamed in self.included()]

    def job(self, parts: tuple[TensorRef, ...], renamed: str, outtype: str) -> TensorJob:
        """One output tensor, named, typed and shape-checked; several parts are stacked
        along a new first axis (they must agree in shape and dtype)."""
        name = self.gguf_name(renamed)
        first = parts[0]
        for part in parts[1:]:
            if (part.shape, part.dtype) != (first.shape, first.dtype):
                raise ConvertError(
                    f"{part.path}: tensor {part.name} is {part.dtype} {list(part.shape)}, but "
                    f"{first.name} is {first.dtype} {list(first.shape)}: experts stacked into {name} must agree"
                )
        shape = (len(parts), *first.shape) if len(parts) > 1 else first.shape
        expected = self.expected_shape(name)
        if expected is not None and shape != expected:
            if len(parts) == 1 and math.prod(shape) == math.prod(expected) and shape[0] == 1:
                shape = expected  # a (1, n) row llama.cpp reads as (n,), e.g. Qwen2-MoE's shared expert gate
            else:
                what = f"tensor {first.name}" if len(parts) == 1 else f"{len(parts)} experts like {first.name}"
                raise ConvertError(
                    f"{first.path}: {what} {'has' if len(parts) == 1 else 'make'} shape {list(shape)}, "
                    f"but config.json implies {list(expected)}"
                )
        transform, row_block = self.transform(name, first)
        return TensorJob(
            name,
            shape,
            tensor_type(name, shape, outtype),
            None if len(parts) > 1 else first,
            transform=transform,
            row_block=row_block,
            parts=parts if len(parts) > 1 else (),
        )

    def jobs(self, outtype: str) -> list[TensorJob]:
        """Every output tensor, named, typed and shape-checked, in the checkpoint's order."""
        jobs = [self.job(parts, renamed, outtype) for parts, renamed in self.sources()]
        jobs += self.extra_jobs(outtype)
        present = {job.name for job in jobs}
        missing = [name for name in self.required() if name not in present]
        if missing:
            raise ConvertError(
                f"{self.checkpoint.folder}: the checkpoint lacks {len(missing)} tensor(s) a "
                f"{self.arch_name} model needs, e.g. {', '.join(missing[:3])}"
            )
        seen: set[str] = set()
        for job in jobs:
            if job.name in seen:
                raise ConvertError(f"{self.checkpoint.folder}: two checkpoint tensors both become {job.name}")
            seen.add(job.name)
        return jobs
