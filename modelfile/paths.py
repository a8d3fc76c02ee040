"""Where a FROM / ADAPTER / DRAFT value points, resolved as ``ollama create`` does.

Ollama's ``expandPath(path, relativeDir)``: absolute paths (or ones starting with
``/`` or ``\\``) are cleaned; ``~`` and ``~/rest`` use the current user's home,
``~user/rest`` that user's; anything else is joined to the Modelfile's folder (not
the working directory).  For FROM, a path that does not exist is then read as a
model name instead.
"""

from __future__ import annotations

import os
import pwd
import re
from collections.abc import Callable

HomeLookup = Callable[[str | None], str]  # user name (None: current user) -> home folder

_FILE_SUFFIXES = (".gguf", ".bin", ".safetensors", ".pth", ".pt", ".ggml")
_BLOB = re.compile(r"(?:^|[/\\])sha256-[0-9a-f]{64}$")


class PathError(ValueError):
    """Ollama cannot expand the path (an unknown ``~user``); the text is Ollama's."""


def _home(user: str | None) -> str:
    if user is None:
        return os.path.expanduser("~")
    try:
        return pwd.getpwnam(user).pw_dir
    except KeyError:
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


def is_blob_path(value: str) -> bool:
    """A path into an Ollama store, as ``ollama show --modelfile`` prints them."""
    return bool(_BLOB.search(value))
