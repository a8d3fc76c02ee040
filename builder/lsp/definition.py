"""Go to definition: a FROM/ADAPTER/DRAFT path opens the file (a folder: its first
weights file, else the folder); a store model opens its ``mfc show --modelfile`` text,
written to a read-only file of a cache folder so that every editor can show it."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from lsprotocol import types

from builder.lsp.locate import locate
from builder.lsp.targets import resolve
from builder.show import show_modelfile
from builder.store import Store
from modelfile.errors import MfcError
from modelfile.ir import Modelfile

_START = types.Range(types.Position(0, 0), types.Position(0, 0))


def cache_folder() -> Path:
    """Where the read-only Modelfiles of store models are written."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "mfc" / "lsp"


def definition(
    text: str, modelfile: Modelfile | None, offset: int, base: Path, store: Store | None
) -> types.Location | None:
    place = locate(text, modelfile, offset)
    if place.kind != "value" or place.keyword not in ("FROM", "ADAPTER", "DRAFT"):
        return None
    if place.command is not None:
        value = place.command.value.text
    else:
        line = re.compile(r"[^\r\n]*").match(text, place.word_start)
        value = place.word + (line.group(0) if line else "")
    target = resolve(value.strip(), base, store if place.keyword != "ADAPTER" else None)
    if target.kind == "file" and target.path is not None:
        return types.Location(target.path.as_uri(), _START)
    if target.kind == "folder" and target.path is not None:
        return types.Location(_first_weights(target.path).as_uri(), _START)
    if target.kind == "model" and target.model is not None and store is not None:
        return _model_document(target.model, store)
    return None


def _first_weights(folder: Path) -> Path:
    for pattern in ("*.safetensors", "*.gguf", "*.bin", "*.json"):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return folder


def _model_document(name: str, store: Store) -> types.Location | None:
    try:
        text = show_modelfile(name, store=store)
    except MfcError:
        return None
    path = cache_folder() / (re.sub(r"[^A-Za-z0-9._-]+", "_", name) + ".Modelfile")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    path.write_text(text, encoding="utf-8")
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return types.Location(path.as_uri(), _START)
