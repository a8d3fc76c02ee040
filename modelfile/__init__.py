"""mfc's Modelfile language: parse, lint and format Ollama Modelfiles.

>>> import modelfile
>>> mf = modelfile.parse("FROM llama3.2\\nPARAMETER temperature 0.7\\n")
>>> mf.ollama_commands()
[('model', 'llama3.2'), ('temperature', '0.7')]
"""

from __future__ import annotations

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
