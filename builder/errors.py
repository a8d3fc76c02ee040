"""The builder's errors, under ``modelfile.errors.MfcError``: each is one line that
names the file, model or value at fault."""

from __future__ import annotations

from modelfile.errors import MfcError


class ModelNameError(MfcError):
    """A model name Ollama would refuse (``invalid model name``)."""


class StoreError(MfcError):
    """The store is missing something, or holds something damaged."""


class ModelNotFound(StoreError):
    """No manifest for this name."""


class BuildError(MfcError):
    """A Modelfile that cannot be built (missing weights, bad GGUF, invalid parameter ...)."""


class QuantizeError(MfcError):
    """A quantization that cannot or should not run (checked before the work), or that failed."""


class ConvertError(MfcError):
    """A Hugging Face folder that cannot be converted: the message names the file and what is wrong."""
