"""Mistral 3 and Ministral 3.

``Mistral3ForConditionalGeneration`` wraps a Pixtral vision tower and a text model: a
Mistral (Mistral Small 3.1/3.2: GGUF architecture ``llama``) or a Ministral 3 (the 2512
releases: GGUF ``mistral3``).  The text model is converted and the image parts are left
out, with a note.

Ministral 3 (also ``Ministral3ForCausalLM``) is Llama's graph with YaRN rope scaling and
Llama 4's attention temperature (queries scaled by ``1 + beta * log(1 + floor(pos /
original context))``).  YaRN's magnitude correction is transformers'
``get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)``; llama.cpp computes
``get_mscale(factor, 1) / get_mscale(factor, yarn_log_multiplier)``, so the multiplier is
``mscale_all_dim`` (measured against transformers), and an ``mscale`` other than 1 is
refused.
"""

from __future__ import annotations

from typing import ClassVar

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.base import Architecture
from builder.conversion.archs.llama import Llama
from builder.conversion.archs.multimodal import image_part, left_out_note, text_name
from builder.conversion.checkpoint import Checkpoint
from builder.conversion.hfconfig import HFConfig
from builder.errors import ConvertError


class Ministral3(Llama):
    names: ClassVar[tuple[str, ...]] = ("Ministral3ForCausalLM",)
    arch = MODEL_ARCH.MISTRAL3
    covers: ClassVar[str] = "Llama with YaRN (magnitude as llama.cpp reads it) and Llama 4's attention temperature"

    def metadata(self, writer: GGUFWriter) -> None:
        super().metadata(writer)
        scaling = self.config.get("rope_scaling")
        if not isinstance(scaling, dict):
            return
        where = f"{self.config.path}: rope_scaling"
        if scaling.get("attention_factor") is not None or scaling.get("mscale", 1.0) not in (None, 1, 1.0):
            raise ConvertError(
                f"{where} sets attention_factor or an mscale other than 1, which llama.cpp cannot express"
            )
        for key, add in (
            ("beta_fast", writer.add_rope_scaling_yarn_beta_fast),
            ("beta_slow", writer.add_rope_scaling_yarn_beta_slow),
        ):
            if scaling.get(key) is not None:
                add(float(scaling[key]))
        if scaling.get("mscale") and scaling.get("mscale_all_dim"):
            writer.add_rope_scaling_yarn_log_mul(float(scaling["mscale_all_dim"]))
        beta = scaling.get("llama_4_scaling_beta")
        if beta:
            original = scaling.get("original_max_position_embeddings")
            if not original:
                raise ConvertError(f"{where} has llama_4_scaling_beta but no original_max_position_embeddings")
            writer.add_attn_temperature_scale(float(beta))
            writer.add_attn_temperature_length(int(original))


class ImageWrapped(Llama):
    """A Llama-family text model inside a multimodal checkpoint: the wrapper's prefixes
    removed, the image parts left out and listed."""

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        self.left_out: list[str] = []

    def rename(self, name: str) -> str | None:
        part = image_part(name)
        if part is not None:
            if part not in self.left_out:
                self.left_out.append(part)
            return None
        return super().rename(text_name(name))

    def notes(self) -> list[str]:
        return left_out_note(self.left_out)


class Mistral3Llama(ImageWrapped):
    """Mistral3ForConditionalGeneration around a Mistral text model."""

    names: ClassVar[tuple[str, ...]] = ()


class Mistral3Ministral(ImageWrapped, Ministral3):
    """Mistral3ForConditionalGeneration around a Ministral 3 text model."""

    names: ClassVar[tuple[str, ...]] = ()


class Mistral3(Architecture):
    """``Mistral3ForConditionalGeneration``: which text model it holds decides the converter."""

    names: ClassVar[tuple[str, ...]] = ("Mistral3ForConditionalGeneration",)
    arch = MODEL_ARCH.LLAMA
    covers: ClassVar[str] = "the text model (Mistral: llama; Ministral 3: mistral3); Pixtral tower left out"

    @classmethod
    def variant(cls, config: HFConfig) -> type[Architecture]:
        kind = config.get("model_type", default="mistral")  # the text model's: text_config is merged in
        if kind == "ministral3":
            return Mistral3Ministral
        if kind == "mistral":
            return Mistral3Llama
        raise ConvertError(f"{config.path}: a Mistral 3 around a {kind!r} text model, which mfc does not convert")
