"""The builder's errors, under ``modelfile.errors.MfcError``: each is one line that
names the file, model or value at fault."""

from __future__ import annotations

from modelfile.errors import MfcError


class ModelNameError(MfcError):
    """A model name Ollama would refuse (``invalid model name``)."""

    code = "invalid-model-name"
    exit_code = 2


class StoreError(MfcError):
    """The store is missing something, or holds something damaged."""

    code = "store-error"


class ModelNotFound(StoreError):
    """No manifest for this name."""

    code = "model-not-found"


class BuildError(MfcError):
    """A Modelfile that cannot be built (missing weights, bad GGUF, invalid parameter ...)."""

    code = "build-failed"


class QuantizeError(MfcError):
    """A quantization that cannot or should not run (checked before the work), or that failed."""

    code = "quantize-failed"


class ConvertError(MfcError):
    """A Hugging Face folder that cannot be converted: the message names the file and what is wrong."""

    code = "convert-failed"


class RunError(MfcError):
    """The model cannot be loaded or run; the message says why (with llama.cpp's reason)."""

    code = "run-failed"


class OptionError(RunError):
    """A run option that is unknown, of the wrong type, or fixed when the model loaded:
    the caller's mistake (a usage error on the command line)."""

    code = "invalid-option"
    exit_code = 2


class CapabilityError(RunError):
    """The model cannot do what was asked (``"NAME" does not support generate``: an
    embedding model asked for text, a text model asked for embeddings)."""

    code = "unsupported-capability"
