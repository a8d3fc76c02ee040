"""The architectures ``convert`` takes, as ``mfc convert --list`` prints them: the GGUF
architecture, the Hugging Face classes that become it, and what the converter does for
them beyond renaming tensors."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from gguf.constants import MODEL_ARCH_NAMES

from builder.conversion.archs import ARCHITECTURES
from builder.conversion.archs.base import Architecture
from builder.conversion.archs.moe import Experts


@dataclass(frozen=True)
class SupportedArchitecture:
    gguf: str  # llama.cpp's architecture name, e.g. qwen3moe
    classes: tuple[str, ...]  # config.json's "architectures" values it converts
    covers: str  # what the conversion handles, in one line
    experts: bool  # a mixture of experts (expert tensors stacked into ffn_*_exps)


def _covers(arch: type[Architecture]) -> str:
    """The class's own ``covers`` line, else the first sentence of its docstring or its module's."""
    if arch.covers:
        return arch.covers
    doc = inspect.getdoc(arch) if arch.__doc__ else inspect.getdoc(inspect.getmodule(arch))
    return " ".join((doc or "").split("\n\n")[0].split()).split(". ")[0].rstrip(".")


def convertible_architectures() -> list[SupportedArchitecture]:
    """Every architecture ``convert`` takes, in the converter's order.

    >>> found = {a.gguf: a for a in convertible_architectures()}
    >>> found["qwen3moe"].classes, found["qwen3moe"].experts
    (('Qwen3MoeForCausalLM',), True)
    >>> "MixtralForCausalLM" in {c for a in found.values() for c in a.classes}
    True
    """
    return [
        SupportedArchitecture(MODEL_ARCH_NAMES[arch.arch], arch.names, _covers(arch), issubclass(arch, Experts))
        for arch in ARCHITECTURES
    ]
