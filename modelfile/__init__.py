"""mfc's Modelfile language: parse, lint and format Ollama Modelfiles.

>>> import modelfile
>>> mf = modelfile.parse("FROM llama3.2\\nPARAMETER temperature 0.7\\n")
>>> mf.ollama_commands()
[('model', 'llama3.2'), ('temperature', '0.7')]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for type checkers; at run time they load on first use
    from modelfile.errors import MfcError, ModelfileError
    from modelfile.formatter import format_modelfile as format  # noqa: A004 - the API's name
    from modelfile.ir import (
        Adapter,
        Command,
        Comment,
        Draft,
        From,
        License,
        Message,
        Modelfile,
        Parameter,
        Parser,
        Quoting,
        Renderer,
        Requires,
        System,
        Template,
        Value,
    )
    from modelfile.linter import Diagnostic, Severity, lint
    from modelfile.parser import parse, parse_file

_EXPORTS = {
    **dict.fromkeys(("MfcError", "ModelfileError"), "modelfile.errors"),
    **dict.fromkeys(
        (
            "Adapter",
            "Command",
            "Comment",
            "Draft",
            "From",
            "License",
            "Message",
            "Modelfile",
            "Parameter",
            "Parser",
            "Quoting",
            "Renderer",
            "Requires",
            "System",
            "Template",
            "Value",
        ),
        "modelfile.ir",
    ),
    **dict.fromkeys(("Diagnostic", "Severity", "lint"), "modelfile.linter"),
    **dict.fromkeys(("parse", "parse_file"), "modelfile.parser"),
}


def __getattr__(name: str) -> Any:
    """``modelfile.parse`` and the rest, imported when first used: ``import builder``
    (whose errors derive from ``modelfile.errors``) need not load the parser and linter."""
    import importlib

    if name == "format":
        return importlib.import_module("modelfile.formatter").format_modelfile
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'modelfile' has no attribute {name!r}")


__all__ = [
    "Adapter",
    "Command",
    "Comment",
    "Diagnostic",
    "Draft",
    "From",
    "License",
    "Message",
    "MfcError",
    "Modelfile",
    "ModelfileError",
    "Parameter",
    "Parser",
    "Quoting",
    "Renderer",
    "Requires",
    "Severity",
    "System",
    "Template",
    "Value",
    "format",
    "lint",
    "parse",
    "parse_file",
]
