"""Where a FROM / ADAPTER / DRAFT value points, resolved as ``ollama create`` does.

Ollama's ``expandPath(path, relativeDir)``: absolute paths (or ones starting with
``/`` or ``\\``) are cleaned; ``~`` and ``~/rest`` use the current user's home,
``~user/rest`` that user's; anything else is joined to the Modelfile's folder (not
the working directory).  For FROM, a path that does not exist is then read as a
model name instead.

What is at a resolved path is found by :func:`probe`, which never raises: a name too
long, a loop of symbolic links, a file where a folder is needed, a named pipe are
answers (with the OS's reason), not exceptions.  :func:`open_regular` opens a path
only when it is a regular file, so nothing ever blocks on a FIFO or reads a device.
"""

from __future__ import annotations

import enum
import errno
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from modelfile.errors import MfcError

HomeLookup = Callable[[str | None], str]  # user name (None: current user) -> home folder

_FILE_SUFFIXES = (".gguf", ".bin", ".safetensors", ".pth", ".pt", ".ggml")


class PathError(MfcError, ValueError):
    """Ollama cannot expand the path (an unknown ``~user``); the text is Ollama's."""

    code = "invalid-path"


def _home(user: str | None) -> str:
    if user is None:
        return os.path.expanduser("~")
    try:
        import pwd  # POSIX only; imported here so that lint runs on Windows
    except ImportError:  # Windows: the profile folder beside the current user's
        home = os.path.expanduser(f"~{user}")
        if home.startswith("~") or not os.path.isdir(home):
            raise PathError(f"failed to find user '{user}': user: unknown user {user}") from None
        return home
    try:
        return pwd.getpwnam(user).pw_dir
    except (KeyError, ValueError):  # ValueError: a NUL in the name
        raise PathError(f"failed to find user '{user}': user: unknown user {user}") from None


def expand_path(path: str, relative_dir: str | os.PathLike[str], *, home: HomeLookup = _home) -> str:
    """Ollama's ``expandPath``: the absolute, cleaned path ``path`` stands for."""
    if os.path.isabs(path) or path.startswith(("/", "\\")):
        return os.path.abspath(path)
    if path.startswith("~"):
        if path == "~" or path.startswith("~/"):
            return os.path.abspath(os.path.join(home(None), path[1:].lstrip("/")))
        user, _, rest = path[1:].partition("/")
        return os.path.abspath(os.path.join(home(user), rest))
    return os.path.abspath(os.path.join(os.fspath(relative_dir), path))


def looks_like_path(value: str) -> bool:
    """True when a FROM value is written as a path rather than a model name."""
    if value.startswith(("/", "./", "../", "~", "\\", ".\\", "..\\")) or value in (".", ".."):
        return True
    if re.match(r"^[A-Za-z]:[\\/]", value):  # C:\models\x.gguf
        return True
    return value.lower().endswith(_FILE_SUFFIXES)


class PathKind(enum.Enum):
    """What :func:`probe` found at a path."""

    FILE = "file"
    FOLDER = "folder"
    SPECIAL = "special file"  # a FIFO, device or socket: never opened
    MISSING = "missing"  # nothing there (ENOENT), a dangling symbolic link included
    UNREADABLE = "unreadable"  # the OS would not say: ``reason`` holds why


@dataclass(frozen=True)
class PathProbe:
    """The answer of :func:`probe`: the path's kind, its size (files), and for a special
    file, an unreadable path or a dangling link, a one-line reason in the OS's words
    (``file name too long``, ``is a named pipe (FIFO), not a regular file``)."""

    path: str
    kind: PathKind
    reason: str | None = None
    size: int = 0

    @property
    def exists(self) -> bool:
        """Something is there (Ollama's ``os.Stat`` would not say "no such file")."""
        return self.kind is not PathKind.MISSING


class NotRegularFile(OSError):
    """:func:`open_regular` was given a folder (``EISDIR``), FIFO, device or socket
    (``EINVAL``); ``strerror`` says which, e.g. "is a named pipe (FIFO), not a regular file"."""

    def __init__(self, mode: int) -> None:
        super().__init__(errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL, _not_regular(mode))


_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def os_reason(error: OSError | ValueError) -> str:
    """An OS error as Go words it, without the path: ``file name too long``,
    ``permission denied``, ``too many levels of symbolic links``.

    >>> os_reason(FileNotFoundError(2, "No such file or directory", "/x"))
    'no such file or directory'
    """
    if isinstance(error, ValueError):  # Python's refusal of a NUL; Go's os.Stat says EINVAL
        return "invalid argument (the path holds a NUL character)"
    text = error.strerror or str(error)
    return text[:1].lower() + text[1:]


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a directory"
    what = next((name for test, name in _SPECIAL if test(mode)), "a special file")
    return f"is {what}, not a regular file"


def probe(path: str | os.PathLike[str]) -> PathProbe:
    """What is at ``path`` (symbolic links followed), found with one ``stat`` and never
    an exception: the safe first look for any path a Modelfile names."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        return PathProbe(name, PathKind.MISSING, _dangling(name))
    except (OSError, ValueError) as error:
        return PathProbe(name, PathKind.UNREADABLE, os_reason(error))
    if stat.S_ISDIR(info.st_mode):
        return PathProbe(name, PathKind.FOLDER)
    if stat.S_ISREG(info.st_mode):
        return PathProbe(name, PathKind.FILE, size=info.st_size)
    return PathProbe(name, PathKind.SPECIAL, _not_regular(info.st_mode))


def _dangling(name: str) -> str | None:
    try:
        return f"a symbolic link to {os.readlink(name)!r}, which does not exist"
    except (OSError, ValueError):
        return None


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for reading in binary mode, only if it is a regular file: a folder,
    FIFO, device or socket raises :class:`NotRegularFile` without being opened (and the
    open itself never blocks, should the file be swapped for a FIFO meanwhile)."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile(info.st_mode)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(mode)
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
