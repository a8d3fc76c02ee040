"""The text model inside a multimodal checkpoint (``*ForConditionalGeneration``): its
tensors' names without the wrapper's prefix, and the image parts (vision tower,
projector) recognised so they can be left out and said to be."""

from __future__ import annotations

import re

PARTS = re.compile(r"^(model\.)?(vision_tower|vision_model|multi_modal_projector)\.")


def text_name(name: str) -> str:
    """The text model's tensor name, whichever way the multimodal wrapper nests it
    (``language_model.model.x`` in transformers 4's layout, ``model.language_model.x`` in 5's).

    >>> text_name("language_model.model.layers.0.mlp.up_proj.weight")
    'model.layers.0.mlp.up_proj.weight'
    >>> text_name("model.language_model.norm.weight")
    'model.norm.weight'
    >>> text_name("language_model.lm_head.weight")
    'lm_head.weight'
    """
    for prefix in ("language_model.model.", "model.language_model."):
        if name.startswith(prefix):
            return "model." + name.removeprefix(prefix)
    return name.removeprefix("language_model.")


def image_part(name: str) -> str | None:
    """Which image part a tensor belongs to (None: the text model's).

    >>> image_part("vision_tower.transformer.layers.0.attention.q_proj.weight")
    'vision_tower'
    >>> image_part("model.multi_modal_projector.linear_1.weight")
    'multi_modal_projector'
    >>> image_part("model.layers.0.mlp.up_proj.weight") is None
    True
    """
    found = PARTS.match(name)
    return found.group(2) if found else None


def left_out_note(parts: list[str]) -> list[str]:
    """The note for a conversion that left image parts out.

    >>> left_out_note(["vision_tower"])
    ['left out the vision_tower (1 part(s) of the image model): the GGUF is the text model alone']
    """
    if not parts:
        return []
    return [
        f"left out the {' and '.join(sorted(parts))} ({len(parts)} part(s) of the image model): "
        "the GGUF is the text model alone"
    ]
