"""The builder's errors, under ``modelfile.errors.MfcError``: each is one line that
names the file, model or value at fault."""

from __future__ import annotations

from dataclasses import dataclass

from modelfile.errors import MfcError


@dataclass(frozen=True)
class Location:
    """Where in a Modelfile a build error arose: its path (``<string>`` for text with
    none), and the 1-based line and column of the command (or of the template text)."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


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


class InvalidDigest(StoreError):
    """A blob digest that is not ``sha256:<64 hex>`` (or ``sha256-<64 hex>``): refused
    before any path is built from it."""

    code = "invalid-digest"


class DigestMismatch(StoreError):
    """Uploaded bytes that do not hash to the digest they were sent under; nothing is
    stored.  The text is Ollama's: ``digest mismatch, expected "sha256:A", got "sha256:B"``."""

    code = "digest-mismatch"


class ServeError(MfcError):
    """``mfc serve`` cannot start: its extra is missing, or the address cannot be bound."""

    code = "serve-failed"


class LspError(MfcError):
    """``mfc lsp`` cannot start: its extra is missing, or the TCP port cannot be bound."""

    code = "lsp-failed"


class BuildError(MfcError):
    """A Modelfile that cannot be built (missing weights, bad GGUF, invalid parameter ...).

    ``at`` is the command at fault, where the build knows it: ``str()`` then starts with
    ``path:line:col:`` and ``to_dict()`` carries ``path``, ``line`` and ``column``.

    >>> error = BuildError("invalid int value [big]", at=Location("Modelfile", 2, 1))
    >>> str(error)
    'Modelfile:2:1: invalid int value [big]'
    >>> error.to_dict()
    {'code': 'build-failed', 'message': 'invalid int value [big]', 'path': 'Modelfile', 'line': 2, 'column': 1}
    """

    code = "build-failed"

    def __init__(self, message: str, *, at: Location | None = None) -> None:
        super().__init__(message)
        self.at = at
        self.path = at.path if at else None
        self.line = at.line if at else None
        self.column = at.column if at else None

    def __str__(self) -> str:
        return f"{self.at}: {self.message}" if self.at else self.message

    def to_dict(self) -> dict[str, object]:
        if self.at is None:
            return super().to_dict()
        where = {"path": self.at.path, "line": self.at.line, "column": self.at.column}
        return {"code": self.code, "message": self.message, **where}


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
