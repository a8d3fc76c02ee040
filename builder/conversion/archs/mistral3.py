"""Mistral 3: the text weights of ``Mistral3ForConditionalGeneration`` (Mistral Small
3.1/3.2), a Pixtral vision tower beside a Mistral text model (GGUF architecture
``llama``).  The text model is converted and the image parts are left out, with a note.

Ministral 3 (``Ministral3ForCausalLM`` and the text model of the 2512 releases) is
refused: with its YaRN settings (``mscale`` equal to ``mscale_all_dim``) transformers
scales attention by 1, while the llama.cpp of llama-cpp-python 0.3.36 scales q and k by
``1 + 0.1 ln(factor)`` each (measured: logits off by over half their range on a tiny
model), so a converted model would not be the checkpoint.
"""

from __future__ import annotations

from typing import ClassVar

from gguf.constants import MODEL_ARCH

from builder.conversion.archs.base import Architecture
from builder.conversion.archs.llama import Llama
from builder.conversion.archs.multimodal import image_part, left_out_note, text_name
from builder.conversion.checkpoint import Checkpoint
from builder.conversion.hfconfig import HFConfig
from builder.errors import ConvertError

MINISTRAL3 = (
    "Ministral 3 (YaRN with Llama 4 attention scaling) is not converted: the llama.cpp mfc runs "
    "(llama-cpp-python 0.3.36) scales its attention differently from transformers"
)


class ImageWrapped:
    """What a text architecture needs inside a multimodal checkpoint: the wrapper's
    prefixes removed and the image parts left out (and listed)."""

    left_out: list[str]

    def unwrap(self, name: str) -> str | None:
        part = image_part(name)
        if part is not None:
            if part not in self.left_out:
                self.left_out.append(part)
            return None
        return text_name(name)


class Mistral3Llama(ImageWrapped, Llama):
    """Mistral3ForConditionalGeneration around a Mistral text model."""

    names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        self.left_out = []

    def rename(self, name: str) -> str | None:
        unwrapped = self.unwrap(name)
        return None if unwrapped is None else super().rename(unwrapped)

    def notes(self) -> list[str]:
        return left_out_note(self.left_out)


class Ministral3(Architecture):
    names: ClassVar[tuple[str, ...]] = ("Ministral3ForCausalLM",)
    arch = MODEL_ARCH.MISTRAL3

    @classmethod
    def variant(cls, config: HFConfig) -> type[Architecture]:
        raise ConvertError(f"{config.path}: {MINISTRAL3}")


class Mistral3(Architecture):
    """``Mistral3ForConditionalGeneration``: which text model it holds decides the converter."""

    names: ClassVar[tuple[str, ...]] = ("Mistral3ForConditionalGeneration",)
    arch = MODEL_ARCH.LLAMA

    @classmethod
    def variant(cls, config: HFConfig) -> type[Architecture]:
        kind = config.get("model_type", default="mistral")  # the text model's: text_config is merged in
        if kind == "ministral3":
            raise ConvertError(f"{config.path}: {MINISTRAL3}")
        if kind == "mistral":
            return Mistral3Llama
        raise ConvertError(f"{config.path}: a Mistral 3 around a {kind!r} text model, which mfc does not convert")
