"""The open Modelfiles, kept in step with the editor by incremental changes.

Each change replaces an LSP range (UTF-16 columns, ``positions``) by new text, or the
whole text when it has no range; every version is a new frozen ``Document``.

>>> docs = Documents()
>>> _ = docs.open("file:///m/Modelfile", 1, "FROM a\\n")
>>> docs.change("file:///m/Modelfile", 2, [((0, 5), (0, 6), "llama3.2")]).text
'FROM llama3.2\\n'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from builder.lsp.positions import Lines
from modelfile.files import is_modelfile_name

#: A change: (start, end) as (line, UTF-16 character), or None for the whole text; new text.
Change = tuple[tuple[int, int], tuple[int, int], str] | tuple[None, None, str]


@dataclass(frozen=True, eq=False)
class Document:
    """One version of an open document."""

    uri: str
    version: int
    text: str
    lines: Lines = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", Lines(self.text))

    @property
    def path(self) -> str | None:
        """The file's path for ``file:`` URIs (where relative FROM paths and the lint
        configuration are looked up), else None."""
        return path_of(self.uri)

    def applied(self, version: int, changes: Iterable[Change]) -> Document:
        text = self.text
        for start, end, new in changes:
            if start is None or end is None:
                text = new
                continue
            lines = Lines(text)
            first, last = lines.offset(*start), lines.offset(*end)
            text = text[:first] + new + text[max(first, last) :]
        return Document(self.uri, version, text)


def path_of(uri: str) -> str | None:
    """``file:///a/b%20c`` -> ``/a/b c``; None for other schemes.

    >>> path_of("file:///tmp/a%20b/Modelfile"), path_of("untitled:1")
    ('/tmp/a b/Modelfile', None)
    """
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if os.name == "nt" and path.startswith("/") and path[2:3] == ":":
        path = path[1:]
    return path


def is_modelfile(uri: str, language_id: str = "") -> bool:
    """Whether the server handles this document: language id ``modelfile`` or a
    Modelfile's name (``Modelfile``, ``*.Modelfile``, ``Modelfile.*`` but not ``.py`` …).

    >>> is_modelfile("file:///x/Modelfile.llama"), is_modelfile("file:///x/a.py")
    (True, False)
    """
    if language_id.lower() == "modelfile":
        return True
    name = unquote(urlparse(uri).path).rsplit("/", 1)[-1]
    return is_modelfile_name(name)


class Documents:
    """The open documents by URI."""

    def __init__(self) -> None:
        self._open: dict[str, Document] = {}

    def open(self, uri: str, version: int, text: str) -> Document:
        self._open[uri] = Document(uri, version, text)
        return self._open[uri]

    def change(self, uri: str, version: int, changes: Iterable[Change]) -> Document:
        self._open[uri] = self._open[uri].applied(version, changes)
        return self._open[uri]

    def close(self, uri: str) -> None:
        self._open.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        return self._open.get(uri)

    def all(self) -> list[Document]:
        return list(self._open.values())
