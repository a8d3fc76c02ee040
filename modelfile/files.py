"""Modelfiles on disk: which file names are Modelfiles, and finding them in folders."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

#: Folder names never searched for Modelfiles (folders whose name starts with ``.`` neither).
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".ruff_cache"}
)


def is_modelfile_name(name: str) -> bool:
    """Whether a file name is a Modelfile's: ``Modelfile``, ``*.Modelfile`` or
    ``Modelfile.*``, in any case.

    >>> import modelfile
    >>> [modelfile.is_modelfile_name(n) for n in ("Modelfile", "chat.Modelfile", "Modelfile.dev", "notes.txt")]
    [True, True, True, False]
    """
    lower = name.lower()
    return lower == "modelfile" or lower.endswith(".modelfile") or lower.startswith("modelfile.")


def discover(paths: Iterable[str | os.PathLike[str]] = ()) -> Iterator[str]:
    """The files to check for ``paths`` (default: the current folder), as ``mfc lint``
    and ``mfc fmt`` find them: each path that is not a folder as given (``-``, standard
    input, too), and the Modelfiles inside each folder, searched recursively (hidden
    folders, ``SKIP_DIRS`` and files of other names left out) and sorted.  Each once.

    >>> import modelfile, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("Modelfile", "b/chat.Modelfile", "b/notes.txt", ".git/Modelfile"):
    ...     (folder / name).parent.mkdir(exist_ok=True)
    ...     _ = (folder / name).write_text("FROM llama3.2\\n")
    >>> [Path(p).relative_to(folder).as_posix() for p in modelfile.discover([folder])]
    ['Modelfile', 'b/chat.Modelfile']
    """
    seen: set[str] = set()
    for given in [os.fspath(p) for p in paths] or ["."]:
        if given == "-" or not os.path.isdir(given):
            if given not in seen:
                seen.add(given)
                yield given
            continue
        found: list[str] = []
        for root, dirs, files in os.walk(given):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            found += [os.path.normpath(os.path.join(root, f)) for f in files if is_modelfile_name(f)]
        for path in sorted(found):
            if path not in seen:
                seen.add(path)
                yield path
