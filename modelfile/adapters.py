"""What a GGUF file is to Ollama's create (a model, a LoRA adapter, a projector), and
why an ADAPTER GGUF could never be applied to the FROM model.

Ollama's create sorts a GGUF into a layer by its keys alone: ``general.type`` =
``adapter`` makes an adapter layer, a projector (``general.type`` = ``projector`` or
``mmproj``, the ``clip`` architecture, or vision blocks without text blocks) a projector
layer, anything else a model layer.  It therefore accepts ``ADAPTER ./model.gguf`` (a
whole model) and a LoRA made for another architecture; llama.cpp refuses both when the
model loads.  ``mfc build`` refuses them at build time and ``mfc lint`` warns (MF113),
with the same words.

>>> from modelfile.gguf_metadata import GGUFMetadata
>>> lora = GGUFMetadata("l.gguf", 3, 0, {"general.type": "adapter", "general.architecture": "qwen2"})
>>> adapter_problem(lora, "llama")
'is a LoRA for qwen2; FROM is llama'
>>> adapter_problem(GGUFMetadata("m.gguf", 3, 0, {"general.type": "model"}), "llama")
'is a model (general.type = model), not a LoRA adapter'
"""

from __future__ import annotations

from typing import Literal

from modelfile.gguf_metadata import GGUFMetadata

GGUFKind = Literal["model", "adapter", "projector"]


def gguf_kind(meta: GGUFMetadata) -> GGUFKind:
    """Ollama's reading of a GGUF's keys: a projector (clip/mmproj), a LoRA adapter, else
    a model."""
    kind = meta.metadata.get("general.type")
    vision_only = any(k.endswith("vision.block_count") for k in meta.metadata) and (
        f"{meta.architecture}.block_count" not in meta.metadata
    )
    if kind in ("projector", "mmproj") or meta.architecture == "clip" or vision_only:
        return "projector"
    if kind == "adapter":
        return "adapter"
    return "model"


def adapter_problem(adapter: GGUFMetadata, base_architecture: str | None) -> str | None:
    """Why llama.cpp can never apply the GGUF ``adapter`` as a LoRA on a model of
    ``base_architecture`` (None when that is not known), as words that follow
    ``ADAPTER <path>``; None when nothing is wrong."""
    kind = gguf_kind(adapter)
    if kind != "adapter":
        declared = adapter.metadata.get("general.type")
        why = f"general.type = {declared}" if isinstance(declared, str) else "no general.type = adapter"
        return f"is a {kind} ({why}), not a LoRA adapter"
    architecture = adapter.architecture
    if base_architecture and architecture and architecture != base_architecture:
        return f"is a LoRA for {architecture}; FROM is {base_architecture}"
    return None
