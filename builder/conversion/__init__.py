"""Hugging Face safetensors checkpoints to GGUF, without torch or llama.cpp's scripts.

folder → config (hfconfig) → architecture (archs/) → headers (checkpoint)
       → tokenizer (vocab/) → tensor jobs (encode) → GGUF, streamed (stream)
"""

from __future__ import annotations

from builder.errors import ConvertError
from builder.extras import require

# numpy and gguf-py come with the ``convert`` extra: without them, one line naming it
require("convert", "converting Hugging Face checkpoints to GGUF", ConvertError, ("numpy", "gguf"))

from builder.conversion.converter import ConvertResult, convert  # noqa: E402
from builder.conversion.lora import convert_lora  # noqa: E402
from builder.conversion.supported import SupportedArchitecture, convertible_architectures  # noqa: E402

__all__ = ["ConvertResult", "SupportedArchitecture", "convert", "convert_lora", "convertible_architectures"]
