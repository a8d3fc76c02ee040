"""One document version as the library sees it: parsed (recovering after syntax
errors) and linted with its configuration.  Computed once per version and shared by
every feature (diagnostics, hover, completion, symbols, tokens)."""

from __future__ import annotations

from dataclasses import dataclass

from builder.lsp.config import Loaded
from builder.lsp.documents import Document
from modelfile.ir import Modelfile
from modelfile.linter import Diagnostic
from modelfile.linter.engine import lint_parsed


@dataclass(frozen=True)
class Analysis:
    """A document, its diagnostics and the parse they came from (None when a syntax
    error stopped it)."""

    document: Document
    diagnostics: tuple[Diagnostic, ...]
    modelfile: Modelfile | None


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
    diagnostics, modelfile = lint_parsed(data, path=document.path, config=loaded.config)
    return Analysis(document, tuple(diagnostics), modelfile)
