"""gpt-oss (GGUF architecture ``gpt-oss``): attention with biases and per-head sinks,
alternating sliding-window and full layers, YaRN rope, and experts stored stacked.

Float experts come stacked and transposed with respect to llama.cpp (``[expert, in,
out]``), gate and up interleaved column by column in ``gate_up_proj``: each expert's
slab is split (even columns the gate, odd the up) and transposed on its way out, so
no more than a slab of experts is ever in memory.

MXFP4 experts, as OpenAI publishes them, stay MXFP4: ``*_blocks`` (``[expert, out,
in / 32, 16]``, two 4-bit values a byte, low nibble first) and ``*_scales`` (one E8M0
exponent a block) become GGML's MXFP4 blocks (the exponent byte, then 16 bytes holding
values ``j`` and ``j + 16`` in the low and high nibbles of byte ``j``), one expert at a
time; gate and up are the even and odd rows.  The exponent byte means the same in both
(GGML's value table is doubled and its exponent halved).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

import numpy as np
from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH
from gguf.constants import GGMLQuantizationType as T

from builder.conversion.archs.moe import Experts
from builder.conversion.checkpoint import Checkpoint, TensorRef
from builder.conversion.encode import tensor_type
from builder.conversion.hfconfig import HFConfig
from builder.conversion.stream import TensorJob, Transform
from builder.errors import ConvertError


class Columns:
    """Every ``step``-th column from ``start`` of each row (of each expert's slab), the
    result transposed per expert when ``transpose``.

    >>> rows = np.arange(12.0).reshape(1, 2, 6)  # one expert: 2 inputs x (gate, up) x 3
    >>> Columns(0, 2, transpose=True)(rows, 0).tolist()
    [[[0.0, 6.0], [2.0, 8.0], [4.0, 10.0]]]
    >>> Columns(1, 2, transpose=False)(np.arange(4.0).reshape(1, 4), 0).tolist()
    [[1.0, 3.0]]
    """

    def __init__(self, start: int, step: int, *, transpose: bool) -> None:
        self.start, self.step, self.transpose = start, step, transpose

    def __call__(self, rows: np.ndarray, first: int) -> np.ndarray:
        picked = rows[..., self.start :: self.step]
        return np.ascontiguousarray(picked.swapaxes(-1, -2) if self.transpose else picked)


TRANSPOSE = Columns(0, 1, transpose=True)


def mxfp4_blocks(blocks: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Hugging Face's MXFP4 (``blocks[..., 16]`` with values ``2j``, ``2j + 1`` in the low
    and high nibbles of byte ``j``; ``scales[...]``) as GGML's 17-byte blocks.

    >>> values = np.arange(32) % 16  # the 4-bit codes of one block, in order
    >>> packed = (values[0::2] | values[1::2] << 4).astype(np.uint8)
    >>> out = mxfp4_blocks(packed[None], np.array([130], np.uint8))
    >>> out[0, 0], [int(b) & 15 for b in out[0, 1:4]], [int(b) >> 4 for b in out[0, 1:4]]
    (np.uint8(130), [0, 1, 2], [0, 1, 2])
    """
    codes = np.stack((blocks & 0x0F, blocks >> 4), axis=-1).reshape(*blocks.shape[:-1], 32)
    packed = codes[..., :16] | (codes[..., 16:] << 4)
    return np.concatenate((scales[..., None], packed), axis=-1).astype(np.uint8)


class RepackMxfp4:
    """The GGML MXFP4 bytes of every ``step``-th row from ``half`` of each expert, one
    expert read at a time."""

    def __init__(self, blocks: TensorRef, scales: TensorRef, half: int, step: int) -> None:
        self.blocks, self.scales, self.half, self.step = blocks, scales, half, step

    def __call__(self, checkpoint: Checkpoint) -> Iterator[np.ndarray]:
        _, rows, groups, _ = self.blocks.shape
        for expert in range(self.blocks.shape[0]):
            blocks = checkpoint.raw(self.blocks, expert, expert + 1).reshape(rows, groups, 16)
            scales = checkpoint.raw(self.scales, expert, expert + 1).reshape(rows, groups)
            yield mxfp4_blocks(blocks[self.half :: self.step], scales[self.half :: self.step])


HALVES = {"gate_proj": 0, "up_proj": 1}


class GptOss(Experts):
    names: ClassVar[tuple[str, ...]] = ("GptOssForCausalLM",)
    covers = (
        "gpt-oss: sinks, sliding window, YaRN; MXFP4 experts kept MXFP4 (repacked), float ones split and transposed"
    )
    arch = MODEL_ARCH.GPT_OSS
    normalises = True

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        for key, value in (("swiglu_limit", 7.0), ("swiglu_alpha", 1.702)):
            if config.number(key, default=value) != value:
                raise ConvertError(f"{config.path}: {key} is {config.get(key)}; llama.cpp's gpt-oss uses {value}")

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        writer.add_key_length(self.head_dim)
        writer.add_value_length(self.head_dim)
        window = self.config.integer("sliding_window")
        if window:
            writer.add_sliding_window(window)

    def rename(self, name: str) -> str | None:
        renamed = super().rename(name)
        if renamed is None:
            return None
        if renamed.endswith(".self_attn.sinks"):
            return renamed + ".weight"
        if renamed.endswith(("experts.down_proj", "experts.gate_up_proj")):
            return renamed + ".weight"
        return renamed.replace("_proj_bias", "_proj.bias")

    def sources(self) -> list[tuple[tuple[TensorRef, ...], str]]:
        out: list[tuple[tuple[TensorRef, ...], str]] = []
        for parts, renamed in super().sources():
            if ".experts.gate_up_proj." in renamed:  # one source, two outputs
                out += [(parts, renamed.replace("gate_up_proj", half)) for half in HALVES]
            else:
                out.append((parts, renamed))
        return out

    def job(self, parts: tuple[TensorRef, ...], renamed: str, outtype: str) -> TensorJob:
        found = re.search(r"\.experts\.(gate_proj|up_proj|down_proj)\.(weight|bias)$", renamed)
        if found is None:
            return super().job(parts, renamed, outtype)
        (tensor,) = parts
        name = self.gguf_name(renamed)
        projection, kind = found[1], found[2]
        n, h, ff = self.experts, self.hidden, self.expert_ff
        transform: Transform | None
        stored: tuple[int, ...]
        shape: tuple[int, ...]
        if kind == "bias" and projection == "down_proj":
            stored, shape, transform = (n, h), (n, h), None
        elif kind == "bias":
            stored, shape, transform = (n, 2 * ff), (n, ff), Columns(HALVES[projection], 2, transpose=False)
        elif projection == "down_proj":
            stored, shape, transform = (n, ff, h), (n, h, ff), TRANSPOSE
        else:
            stored, shape = (n, h, 2 * ff), (n, ff, h)
            transform = Columns(HALVES[projection], 2, transpose=True)
        if tensor.shape != stored:
            raise ConvertError(
                f"{tensor.path}: tensor {tensor.name} has shape {list(tensor.shape)}, but config.json implies "
                f"{list(stored)}"
            )
        return TensorJob(name, shape, tensor_type(name, shape, outtype), tensor, transform=transform)

    def extra_jobs(self, outtype: str) -> list[TensorJob]:
        """The MXFP4 experts, repacked as they are written."""
        jobs = []
        n, h, ff = self.experts, self.hidden, self.expert_ff
        for layer in range(self.layers):
            prefix = f"model.layers.{layer}.mlp.experts."
            for stored, outputs in (("gate_up_proj", ("gate_proj", "up_proj")), ("down_proj", ("down_proj",))):
                blocks = self.checkpoint.tensors.get(prefix + stored + "_blocks")
                scales = self.checkpoint.tensors.get(prefix + stored + "_scales")
                if blocks is None and scales is None:
                    continue
                rows, width = (2 * ff, h) if stored == "gate_up_proj" else (h, ff)
                expected = {"blocks": (n, rows, width // 32, 16), "scales": (n, rows, width // 32)}
                for kind, tensor in (("blocks", blocks), ("scales", scales)):
                    if tensor is None or tensor.dtype != "U8" or tensor.shape != expected[kind]:
                        what = "missing" if tensor is None else f"{tensor.dtype} {list(tensor.shape)}"
                        raise ConvertError(
                            f"{self.checkpoint.folder}: {prefix}{stored}_{kind} is {what}; MXFP4 experts need "
                            f"U8 {list(expected[kind])}"
                        )
                assert blocks is not None and scales is not None
                for half, output in enumerate(outputs):
                    name = self.gguf_name(f"{prefix}{output}.weight")
                    step = len(outputs)
                    shape = (n, rows // step, width)
                    jobs.append(TensorJob(name, shape, T.MXFP4, produce=RepackMxfp4(blocks, scales, half, step)))
        return jobs

    def required(self) -> list[str]:
        names = [name.replace("ffn_norm", "post_attention_norm") for name in super().required()]
        return names + [f"blk.{i}.attn_sinks.weight" for i in range(self.layers)]

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        if gguf_name.endswith("attn_sinks.weight"):
            return (self.heads,)
        return super().expected_shape(gguf_name)
