"""Modelfiles on disk: which file names are Modelfiles, finding them in folders, and
refusing at once what is not text (model weights given where a Modelfile belongs)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from modelfile.errors import NotTextError

#: Folder names never searched for Modelfiles (folders whose name starts with ``.`` neither).
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".ruff_cache"}
)


#: What ``Modelfile.<ext>`` is when its last extension is one of these: source code,
#: documentation, templates, data, weights, archives, backups: never a Modelfile.
#: ``.pre-commit-hooks.yaml``'s ``files:`` pattern lists the same (tests/test_cli_input.py).
NOT_MODELFILE_EXTENSIONS = frozenset(
    (  # noqa: SIM905 - grouped by kind, a line each
        "py pyc pyi pyo ipynb go rs c h cc cpp hpp java kt js mjs ts tsx jsx rb php pl lua sh bash zsh fish ps1 "
        "bat cmd swift scala r jl "  # source code
        "md markdown rst txt adoc org html htm pdf tex "  # documentation
        "j2 jinja jinja2 tmpl tpl gotmpl mustache hbs liquid erb "  # templates
        "json jsonl yaml yml toml ini cfg conf xml csv tsv lock env "  # data and configuration
        "gguf ggml bin safetensors pt pth onnx zip gz tgz bz2 xz zst tar 7z png jpg jpeg gif svg webp ico "
        "bak orig rej swp swo tmp diff patch log"  # backups, patches, logs
    ).split()
)


def is_modelfile_name(name: str) -> bool:
    """Whether a file name is a Modelfile's, in any case: ``Modelfile``,
    ``<name>.Modelfile``, or ``Modelfile.<name>`` unless its last extension says it is
    something else (``NOT_MODELFILE_EXTENSIONS``: ``modelfile.py``, ``Modelfile.md``,
    ``Modelfile.j2`` …).

    >>> import modelfile
    >>> names = ("Modelfile", "chat.Modelfile", "Modelfile.dev", "Modelfile.qwen2.5", "modelfile.py", "notes.txt")
    >>> [modelfile.is_modelfile_name(n) for n in names]
    [True, True, True, True, False, False]
    """
    lower = name.lower()
    if lower == "modelfile" or lower.endswith(".modelfile"):
        return True
    if not lower.startswith("modelfile."):
        return False
    last = lower.rsplit(".", 1)[1]
    return bool(last) and last not in NOT_MODELFILE_EXTENSIONS


#: How much of a file is looked at to tell text from binary data.
TEXT_PROBE = 8192


def check_text(data: bytes, *, path: str | None = None) -> None:
    """Raise ``NotTextError`` (MF000) when ``data`` is not text: GGUF or safetensors
    weights, or anything with a NUL character in its first 8 KB (UTF-16 with a BOM is
    text).  Only the start is looked at, so a large binary file is refused at once.

    >>> import modelfile
    >>> modelfile.check_text(b"FROM llama3.2\\n")
    >>> modelfile.check_text(b"GGUF\\x03\\x00\\x00\\x00", path="model.gguf")
    Traceback (most recent call last):
    modelfile.errors.NotTextError: model.gguf:1:1: MF000 not a text file (GGUF model weights)
    """
    from modelfile.go.decoding import decode
    from modelfile.source import Source

    head = data[:TEXT_PROBE]
    text = decode(head[: len(head) - len(head) % 2] if head.startswith((b"\xff\xfe", b"\xfe\xff")) else head)
    if "\x00" not in text:
        return
    if head.startswith(b"GGUF"):
        raise NotTextError("not a text file (GGUF model weights)", path=path)
    if len(head) > 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < 100_000_000:
        raise NotTextError("not a text file (safetensors weights)", path=path)
    at = Source(text).position(text.index("\x00"))
    raise NotTextError("not a text file (a NUL character)", line=at.line, column=at.column, path=path)


def read_text_file(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes, refusing one that is not text (``check_text``) after reading only
    its first 8 KB, so that a model's weights given as a Modelfile cost nothing.
    Raises ``OSError`` as ``open`` does, and ``NotTextError``.

    >>> import modelfile, tempfile
    >>> from pathlib import Path
    >>> weights = Path(tempfile.mkdtemp()) / "model.gguf"
    >>> _ = weights.write_bytes(b"GGUF\\x03\\x00\\x00\\x00" + bytes(1 << 20))
    >>> modelfile.read_text_file(weights)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    modelfile.errors.NotTextError: ...model.gguf:1:1: MF000 not a text file (GGUF model weights)
    """
    name = os.fspath(path)
    with open(name, "rb") as handle:
        head = handle.read(TEXT_PROBE)
        check_text(head, path=name)
        return head + handle.read()


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
