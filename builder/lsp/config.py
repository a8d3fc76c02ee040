"""The lint configuration of a document: ``[tool.mfc.lint]`` of the nearest
``pyproject.toml`` with a ``[tool.mfc]`` table, as ``mfc lint`` finds it, read again
whenever one of the ``pyproject.toml`` files on the way up changes, appears or goes
(their sizes and modification times are checked on each lint, so an edit is picked up
with or without the editor's file-change notification)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from modelfile.linter import ConfigError, LintConfig
from modelfile.linter.config import parse_config

#: The pyproject.toml files from a folder upwards, each with (mtime_ns, size).
Stamps = tuple[tuple[Path, int, int], ...]


@dataclass(frozen=True)
class Loaded:
    """A configuration (the defaults when there is none, or when the file is broken:
    ``error`` says why) and the stamps of the files it was read from."""

    config: LintConfig
    stamps: Stamps
    error: ConfigError | None = None


class Configs:
    """Configurations by folder, each checked against its files before use."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, Loaded] = {}

    def for_document(self, path: str | None) -> Loaded:
        """The configuration for a document at ``path`` (None: the working folder's)."""
        folder = Path(path).resolve().parent if path else Path.cwd()
        stamps = _stamps(folder)
        cached = self._by_folder.get(folder)
        if cached is not None and cached.stamps == stamps:
            return cached
        loaded = _load(stamps)
        self._by_folder[folder] = loaded
        return loaded

    def forget(self) -> None:
        """Drop every cached configuration (a watched pyproject.toml changed)."""
        self._by_folder.clear()


def _stamps(folder: Path) -> Stamps:
    found = []
    for candidate in (folder, *folder.parents):
        try:
            info = (candidate / "pyproject.toml").stat()
        except OSError:
            continue
        found.append((candidate / "pyproject.toml", info.st_mtime_ns, info.st_size))
    return tuple(found)


def _load(stamps: Stamps) -> Loaded:
    """The first file with a ``[tool.mfc]`` table decides, as for ``find_config``."""
    for path, _, _ in stamps:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            table = data.get("tool", {}).get("mfc")
            if table is not None:
                return Loaded(parse_config(table.get("lint", {}), str(path)), stamps)
        except (OSError, tomllib.TOMLDecodeError) as error:
            return Loaded(LintConfig(), stamps, ConfigError(f"{path}: cannot read: {error}"))
        except ConfigError as error:
            return Loaded(LintConfig(), stamps, error)
    return Loaded(LintConfig(), stamps)
