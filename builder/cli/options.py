"""Options and helpers shared by several commands, defined once."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")

#: Folder names never searched for Modelfiles.
SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".ruff_cache",
}


def is_modelfile_name(name: str) -> bool:
    """``Modelfile``, ``*.Modelfile``, ``Modelfile.*`` (any case)."""
    lower = name.lower()
    return lower == "modelfile" or lower.endswith(".modelfile") or lower.startswith("modelfile.")


def discover(paths: tuple[str, ...]) -> Iterator[str]:
    """Files named on the command line, and Modelfiles found in folders, sorted, once each."""
    seen: set[str] = set()
    for given in paths or (".",):
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


def read_input(path: str) -> bytes:
    """A file's bytes, or standard input's for ``-``."""
    if path == "-":
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


def read_argument(path: str, param_hint: str) -> bytes:
    """``read_input`` for a command-line argument: an unreadable file is a usage error."""
    try:
        return read_input(path)
    except OSError as error:
        raise click.BadParameter(f"cannot read {path}: {error.strerror}", param_hint=param_hint) from None


def display_name(path: str) -> str:
    """How messages name a path (``<stdin>`` for ``-``)."""
    return "<stdin>" if path == "-" else path


def write_through(text: str) -> None:
    """Streamed model output: written as it comes, not line-buffered."""
    sys.stdout.write(text)
    sys.stdout.flush()


def echo_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


store_option = click.option(
    "--store",
    "store_root",
    metavar="DIR",
    help="The model store (default: $MFC_MODELS, else $OLLAMA_MODELS, else ~/.ollama/models).",
)


def open_store(root: str | None) -> Any:
    """The store ``--store`` names (or the default one)."""
    from builder.store import Store, default_root

    return Store(default_root(root))


def fail(message: str, *, as_json: bool = False, code: int = 1, **fields: Any) -> NoReturn:
    """Report an error in one line (a JSON record with ``--json``) and exit with ``code``."""
    if as_json:
        echo_json({"ok": False, "error": {"message": message, **fields}})
    else:
        click.echo(f"error: {message}", err=True)
    sys.exit(code)
