"""Hugging Face safetensors checkpoints to GGUF, without torch or llama.cpp's scripts.

folder → config (hfconfig) → architecture (archs/) → headers (checkpoint)
       → tokenizer (vocab/) → tensor jobs (encode) → GGUF, streamed (stream)
"""

from __future__ import annotations

from builder.conversion.converter import ConvertResult, convert
from builder.conversion.lora import convert_lora

__all__ = ["ConvertResult", "convert", "convert_lora"]
