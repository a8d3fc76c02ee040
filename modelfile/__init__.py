"""mfc's Modelfile language: parse, lint, fix and format Ollama Modelfiles.

>>> import modelfile
>>> mf = modelfile.parse("FROM llama3.2\\nPARAMETER temperature 0.7\\n")
>>> mf.ollama_commands()
[('model', 'llama3.2'), ('temperature', '0.7')]
>>> [(d.line, d.code) for d in modelfile.lint_bytes(b"FROM llama3.2\\nPARAMETER temprature 0.7\\n")]
[(2, 'MF201')]
>>> modelfile.format_bytes(b"from llama3.2\\n").data
b'FROM llama3.2\\n'

Go chat templates are ``modelfile.template``; the errors, ``modelfile.errors``; lint
configuration, rules and report formats, ``modelfile.linter`` and ``modelfile.linter.report``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for type checkers; at run time they load on first use
    from modelfile.errors import EncodingError, MfcError, ModelfileError
    from modelfile.files import check_text, discover, is_modelfile_name, read_text_file
    from modelfile.formatter import FormatResult, format_bytes, format_file
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
    from modelfile.linter import Diagnostic, Severity, lint, lint_bytes
    from modelfile.linter.fixes import FixResult, fix, fix_file
    from modelfile.parser import parse, parse_file

_EXPORTS = {
    **dict.fromkeys(("EncodingError", "MfcError", "ModelfileError"), "modelfile.errors"),
    **dict.fromkeys(("check_text", "discover", "is_modelfile_name", "read_text_file"), "modelfile.files"),
    **dict.fromkeys(("FormatResult", "format_bytes", "format_file"), "modelfile.formatter"),
    **dict.fromkeys(("FixResult", "fix", "fix_file"), "modelfile.linter.fixes"),
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
    **dict.fromkeys(("Diagnostic", "Severity", "lint", "lint_bytes"), "modelfile.linter"),
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
    "EncodingError",
    "FixResult",
    "FormatResult",
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
    "check_text",
    "discover",
    "fix",
    "fix_file",
    "format",
    "format_bytes",
    "format_file",
    "is_modelfile_name",
    "lint",
    "lint_bytes",
    "parse",
    "parse_file",
    "read_text_file",
]
