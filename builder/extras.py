"""mfc's optional parts (``pip install 'mfc[convert]'``, ``'mfc[run]'``): the language
and the store need neither, so a command that needs a missing one says which extra to
install, in one line, instead of failing on an import."""

from __future__ import annotations

import importlib

from modelfile.errors import MfcError

EXTRAS = {
    "convert": ("numpy", "gguf", "tokenizers", "sentencepiece"),  # Hugging Face checkpoints -> GGUF
    "run": ("llama_cpp", "gguf", "numpy"),  # running, embedding, quantizing
    "serve": ("starlette", "uvicorn", "prometheus_client"),  # mfc serve
    "lsp": ("pygls", "lsprotocol"),  # mfc lsp
}


def missing(extra: str, purpose: str, module: str) -> str:
    """The message for ``purpose`` lacking ``module``, naming the extra that installs it."""
    return f"{purpose} needs the {module} package: pip install 'mfc[{extra}]'"


def require(extra: str, purpose: str, error: type[MfcError], modules: tuple[str, ...] | None = None) -> None:
    """Import ``modules`` (default: all of ``extra``'s), raising ``error`` with the
    extra's name for the first one that cannot be imported."""
    for module in modules if modules is not None else EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            raise error(missing(extra, purpose, module)) from None
