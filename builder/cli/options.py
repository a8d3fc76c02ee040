"""Options and helpers shared by several commands, defined once."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

JSON_OUTPUT = "mfc.json"  # ctx.meta key: the command prints JSON, so its errors are JSON too


def json_requested(args: list[str]) -> bool:
    """Whether a command line asks for ``--json`` (before any ``--``): its errors are
    then JSON, even those found before the option is read."""
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """Note ``--json`` where the group's error handler finds it."""
    if value:
        ctx.meta[JSON_OUTPUT] = True
    return value


json_option = click.option(
    "--json", "as_json", is_flag=True, callback=remember_json, help="Print machine-readable JSON."
)


STDIN = "-"


def read_input(path: str, *, text: bool = False) -> bytes:
    """A file's bytes, or standard input's for ``-``; with ``text``, a file that is not
    text is refused after its first 8 KB (``modelfile.read_text_file``)."""
    if path == STDIN:
        return read_stdin()
    if text:
        from modelfile import read_text_file

        return read_text_file(path)
    return Path(path).read_bytes()


def read_stdin() -> bytes:
    """All of standard input; when the process has none (``<&-``), a usage error."""
    if sys.stdin is None:
        from modelfile.errors import StdinClosedError

        raise StdinClosedError("standard input is closed: give a file instead of -")
    return sys.stdin.buffer.read()


def stdin_is_terminal() -> bool:
    """Whether standard input is a terminal (not when it is closed)."""
    return sys.stdin is not None and sys.stdin.isatty()


def piped_text() -> str:
    """What was piped to standard input: "" on a terminal or when it is closed."""
    if sys.stdin is None or sys.stdin.isatty():
        return ""
    return sys.stdin.read()


def read_argument(path: str, param_hint: str, *, text: bool = False) -> bytes:
    """``read_input`` for a command-line argument: an unreadable file is a usage error."""
    try:
        return read_input(path, text=text)
    except OSError as error:
        raise click.BadParameter(f"cannot read {path}: {error.strerror}", param_hint=param_hint) from None


def display_name(path: str, stdin_filename: str | None = None) -> str:
    """How messages name a path: ``-`` is ``--stdin-filename``'s name, else ``<stdin>``."""
    return (stdin_filename or "<stdin>") if path == STDIN else path


stdin_filename_option = click.option(
    "--stdin-filename",
    metavar="PATH",
    help="Read standard input (as -), naming it PATH in messages; relative paths and configuration are "
    "found from PATH's folder.",
)


def input_paths(
    paths: tuple[str, ...], stdin_filename: str | None = None, *, stdin_used: bool = False, dash: str = "-"
) -> tuple[str, ...]:
    """What a command reads, by the one rule for every command: ``-`` is standard input,
    ``--stdin-filename`` implies it, no argument means ``./Modelfile``, and data piped to a
    command that would not read it is an error (``dash``: how the command spells ``-``)."""
    from modelfile.errors import InputError

    if stdin_filename is not None and STDIN not in paths:
        if paths:
            raise InputError(f"--stdin-filename reads standard input: give {dash} or no file, not {paths[0]}")
        paths = (STDIN,)
    if STDIN not in paths and not stdin_used:
        refuse_ignored_stdin(dash)
    if not paths and not os.path.exists("Modelfile"):
        raise InputError(f"no ./Modelfile here: name a file (or a folder to search), or {dash} for standard input")
    return paths or ("Modelfile",)


def input_path(path: str | None, stdin_filename: str | None = None, **rule: Any) -> str:
    """``input_paths`` for a command that reads one file."""
    return input_paths((path,) if path else (), stdin_filename, **rule)[0]


def refuse_ignored_stdin(dash: str = "-") -> None:
    """Data piped to a command that reads files is a usage error, rather than ignored."""
    if stdin_has_data():
        from modelfile.errors import StdinIgnoredError

        raise StdinIgnoredError(f"standard input would be ignored: pass {dash} to read it")


def stdin_has_data() -> bool:
    """Whether standard input holds data (a pipe or file that is not empty), without
    waiting: a terminal, a closed input or a pipe nobody has written to yet hold none."""
    stream = sys.stdin
    if stream is None or stream.isatty():
        return False
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # not a file: a test's stream in memory
        return _peek(getattr(stream, "buffer", stream))
    return _fd_has_data(fd)


def _peek(buffer: Any) -> bool:
    """Whether a seekable stream has a byte left, leaving it where it was."""
    if not buffer.seekable():
        return False
    at = buffer.tell()
    found = buffer.read(1)
    buffer.seek(at)
    return bool(found)


def _fd_has_data(fd: int) -> bool:
    """Read one byte without blocking (the command will not read standard input, so
    taking it is harmless); nothing is there yet, or at the end, is no data."""
    try:
        blocking = os.get_blocking(fd)
        os.set_blocking(fd, False)
    except (AttributeError, OSError):  # cannot be asked without waiting (Windows before 3.12)
        return False
    try:
        return bool(os.read(fd, 1))
    except OSError:  # BlockingIOError: an open pipe with nothing written
        return False
    finally:
        os.set_blocking(fd, blocking)


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
    import builder

    return builder.Store(builder.default_root(root))


def report_error(error: Any, *, as_json: bool = False) -> None:
    """An ``MfcError`` as the user sees it: its rendering on standard error, or
    ``{"ok": false, "error": {...}}`` on standard output with ``--json``."""
    if as_json:
        echo_json({"ok": False, "error": error.to_dict()})
        return
    text = error.render()
    click.echo(text if _located(error) else f"error: {text}", err=True)


def _located(error: Any) -> bool:
    """Errors that start with their own location (``file:line:col: CODE …``)."""
    return getattr(error, "line", None) is not None and getattr(error, "column", None) is not None


def closed_stdout() -> None:
    """Standard output's reader has gone (``mfc rule | head -1``): point it at the null
    device, so that the writes and the flush still to come fail no more."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file: a test's stream in memory
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)
