"""The Lark grammars shipped in ``grammar/`` (inside the wheel as ``modelfile/grammar``),
loaded once.

Building a grammar's LALR tables takes Lark about a tenth of a second per grammar, more
than the rest of ``mfc lint``'s work on a file; so the tables are kept in the user's
cache folder (``$XDG_CACHE_HOME/mfc``, else ``~/.cache/mfc``; ``%LOCALAPPDATA%\\mfc`` on
Windows) under a name that changes with the grammar, the options, Lark's and Python's
versions.  A missing, unreadable or stale file is rebuilt; an unwritable folder only
costs the time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import lark
from lark import Lark


def grammar_text(name: str = "modelfile.lark") -> str:
    """The text of one of the grammars shipped in ``grammar/``.  The package is installed
    as files (setuptools package data), so a path beside this module finds it;
    ``importlib.resources`` would load zipfile and more on every start."""
    return Path(__file__).with_name("grammar").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The Modelfile grammar's LALR parser (contextual lexer), built on first use."""
    return lalr_parser("modelfile.lark", lexer="contextual", maybe_placeholders=False)


def lalr_parser(name: str, **options: Any) -> Lark:
    """An LALR parser for ``grammar/<name>`` with Lark ``options``, its tables read from
    the cache folder when they were built before."""
    text = grammar_text(name)
    key = "\0".join((text, repr(sorted(options.items())), lark.__version__, sys.version))
    folder = cache_folder()
    path = folder / f"{Path(name).stem}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.lark" if folder else None
    if path is not None:
        try:
            with path.open("rb") as handle:
                loaded: Lark = Lark.load(handle)
            return loaded
        except Exception:  # noqa: BLE001 - missing, damaged or from another Lark: rebuilt
            pass
    parser = Lark(text, parser="lalr", **options)
    if path is not None:
        _save(parser, path)
    return parser


def cache_folder() -> Path | None:
    """Where mfc keeps what it can rebuild (None when no home folder is known)."""
    base = os.environ.get("XDG_CACHE_HOME") or (os.environ.get("LOCALAPPDATA") if os.name == "nt" else None)
    if base and os.path.isabs(base):
        return Path(base) / "mfc"
    try:
        return Path.home() / ".cache" / "mfc"
    except RuntimeError:  # no home folder
        return None


def _save(parser: Lark, path: Path) -> None:
    """Write the tables under a temporary name and rename: a concurrent ``mfc`` never
    reads half a file."""
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with temp.open("wb") as handle:
            parser.save(handle)
        os.replace(temp, path)
    except OSError:  # a read-only or full disk: only the time is lost
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
