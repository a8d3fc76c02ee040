"""The architectures mfc converts, by Hugging Face class name."""

from __future__ import annotations

from builder.conversion.archs.base import Architecture
from builder.conversion.archs.bert import Bert
from builder.conversion.archs.deepseek import DeepseekV3
from builder.conversion.archs.gemma import Gemma, Gemma2
from builder.conversion.archs.gptoss import GptOss
from builder.conversion.archs.llama import Llama
from builder.conversion.archs.moe import GraniteMoe, Mixtral, Olmoe, Qwen2Moe, Qwen3Moe
from builder.conversion.archs.phi3 import Phi3
from builder.conversion.archs.qwen import Qwen2, Qwen3
from builder.conversion.hfconfig import HFConfig
from builder.errors import ConvertError

ARCHITECTURES: tuple[type[Architecture], ...] = (Llama, Qwen2, Qwen3, Gemma, Gemma2, Phi3, Bert)
ARCHITECTURES += (Mixtral, Qwen2Moe, Qwen3Moe, Olmoe, GraniteMoe, DeepseekV3, GptOss)  # mixtures of experts
BY_NAME = {name: arch for arch in ARCHITECTURES for name in arch.names}


def architecture_for(config: HFConfig) -> type[Architecture]:
    """The converter for config.json's architecture, or an error listing those supported
    (before any tensor is read)."""
    name = config.architecture
    if name not in BY_NAME:
        supported = ", ".join(sorted(BY_NAME))
        raise ConvertError(f"{config.path}: architecture {name} is not supported (mfc converts {supported})")
    return BY_NAME[name]


__all__ = ["ARCHITECTURES", "Architecture", "architecture_for"]
