"""One document version as the library sees it: parsed (recovering after syntax
errors) and linted with its configuration.  Computed once per version and shared by
every feature (diagnostics, hover, completion, symbols, tokens)."""

from __future__ import annotations

from dataclasses import dataclass

from builder.lsp.config import Loaded
from builder.lsp.documents import Document
from modelfile.ir import Modelfile
from modelfile.linter import Diagnostic, lint_bytes
from modelfile.parser import parse_recovering


@dataclass(frozen=True)
class Analysis:
    """A document, its parse (None when a syntax error stopped it) and its diagnostics."""

    document: Document
    modelfile: Modelfile | None
    diagnostics: tuple[Diagnostic, ...]


def encoded(text: str) -> bytes:
    """The editor's text as the bytes ``mfc lint`` would read from a saved file (a lone
    surrogate, possible mid-edit in UTF-16 editors, becomes ``?``: one code point for one).

    >>> encoded("a\\ud800b")
    b'a?b'
    """
    return text.encode("utf-8", errors="replace")


def analyse(document: Document, loaded: Loaded) -> Analysis:
    """Lint the document's text exactly as ``mfc lint`` lints the saved file."""
    data = encoded(document.text)
    diagnostics = lint_bytes(data, path=document.path, config=loaded.config)
    modelfile, _, _ = parse_recovering(data, path=document.path)
    return Analysis(document, modelfile, tuple(diagnostics))
