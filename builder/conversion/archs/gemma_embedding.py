"""EmbeddingGemma (``Gemma3TextModel``; GGUF architecture ``gemma-embedding``): Gemma 3's
layers with bidirectional attention, no LM head, and the sentence-transformers modules
that follow: the pooling (``modules.json`` → 1_Pooling) and the two Dense projections
(2_Dense and 3_Dense, each a ``linear.weight``), which llama.cpp applies after pooling as
``dense_2`` and ``dense_3``.  A Dense module with a bias or an activation llama.cpp does
not apply is refused, naming it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import ClassVar

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.gemma3 import Gemma3
from builder.conversion.archs.pooling import pooling_type
from builder.conversion.checkpoint import Checkpoint, read_header
from builder.conversion.hfconfig import HFConfig, read_json
from builder.errors import ConvertError

IDENTITY = ("torch.nn.modules.linear.Identity", None)


def dense_modules(folder: Path) -> list[Path]:
    """The folders of the sentence-transformers Dense modules, in order."""
    modules = folder / "modules.json"
    if not modules.is_file():
        return []
    try:
        entries = json.loads(modules.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConvertError(f"{modules}: not valid JSON ({error})") from None
    return [
        folder / str(entry.get("path", ""))
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and str(entry.get("type", "")).endswith(".Dense")
    ]


class GemmaEmbedding(Gemma3):
    names: ClassVar[tuple[str, ...]] = ("Gemma3TextModel",)
    arch = MODEL_ARCH.GEMMA_EMBEDDING
    covers: ClassVar[str] = (
        "bidirectional Gemma 3, sentence-transformers pooling and Dense projections (dense_2, dense_3)"
    )
    causal = False

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        self.dense: list[tuple[str, int, int]] = []  # (GGUF name, in, out)
        found = dense_modules(checkpoint.folder)
        if len(found) > 2:
            raise ConvertError(f"{checkpoint.folder}/modules.json: {len(found)} Dense modules; llama.cpp applies two")
        for index, folder in enumerate(found, start=2):
            settings = read_json(folder / "config.json")
            if settings.get("bias") or settings.get("activation_function") not in IDENTITY:
                raise ConvertError(
                    f"{folder}/config.json: a Dense module with a bias or the activation "
                    f"{settings.get('activation_function')}; llama.cpp applies a plain linear map"
                )
            weights = folder / "model.safetensors"
            if not weights.is_file():
                raise ConvertError(f"{weights}: missing (mfc converts safetensors checkpoints)")
            tensors = {tensor.name: tensor for tensor in read_header(weights)}
            if "linear.weight" not in tensors:
                raise ConvertError(f"{weights}: no linear.weight")
            tensor = dataclasses.replace(tensors["linear.weight"], name=f"dense_{index}.weight")
            checkpoint.tensors[tensor.name] = tensor
            out_features, in_features = tensor.shape
            self.dense.append((tensor.name, in_features, out_features))

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        writer.add_causal_attention(False)
        pooling = pooling_type(self.checkpoint.folder)
        if pooling is not None:
            writer.add_pooling_type(pooling)
        for name, in_features, out_features in self.dense:
            writer.add_dense_features_dims(name.removesuffix(".weight"), in_features, out_features)

    def rename(self, name: str) -> str | None:
        if name.startswith("dense_"):
            return name
        renamed = super().rename(name)
        if renamed is not None and not renamed.startswith("model."):
            renamed = "model." + renamed  # the bare model's names lack the prefix the map knows
        return renamed

    def gguf_name(self, name: str) -> str:
        return name if name.startswith("dense_") else super().gguf_name(name)

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        for name, in_features, out_features in self.dense:
            if gguf_name == name:
                return (out_features, in_features)
        return super().expected_shape(gguf_name)
