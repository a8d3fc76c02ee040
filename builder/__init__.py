"""mfc's builder: the Ollama-compatible store, ``build``, ``quantize``, running, and the
``mfc`` CLI.

>>> from builder import build
>>> result = build("Modelfile", "mymodel")          # doctest: +SKIP
>>> result.digest                                    # doctest: +SKIP

Names load on first use, so ``import builder`` (and ``mfc lint``) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "build": "builder.create",
    "BuildResult": "builder.create",
    "Event": "builder.events",
    "Store": "builder.store",
    "default_root": "builder.store",
    "verify": "builder.store",
    "parse_name": "builder.names",
    "ModelName": "builder.names",
    "BuildError": "builder.errors",
    "ModelNameError": "builder.errors",
    "ModelNotFound": "builder.errors",
    "StoreError": "builder.errors",
    "show_modelfile": "builder.show",
    "quantize": "builder.quantizer",
    "QuantizeResult": "builder.quantizer",
    "QuantizeError": "builder.errors",
    "convert": "builder.conversion",
    "convert_lora": "builder.conversion",
    "ConvertResult": "builder.conversion",
    "ConvertError": "builder.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'builder' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
