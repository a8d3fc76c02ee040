"""How a sentence-transformers folder pools token embeddings into one vector
(``modules.json`` → the Pooling module's ``config.json``), as a GGUF pooling type."""

from __future__ import annotations

from pathlib import Path

from gguf.constants import PoolingType

from builder.conversion.hfconfig import read_json
from builder.errors import ConvertError

MODES = (
    ("pooling_mode_mean_tokens", PoolingType.MEAN),
    ("pooling_mode_cls_token", PoolingType.CLS),
    ("pooling_mode_lasttoken", PoolingType.LAST),
)


def pooling_type(folder: Path) -> PoolingType | None:
    modules = folder / "modules.json"
    if not modules.is_file():
        return None
    try:
        import json

        entries = json.loads(modules.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConvertError(f"{modules}: not valid JSON ({error})") from None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and str(entry.get("type", "")).endswith("Pooling"):
            config = read_json(folder / str(entry.get("path", "")) / "config.json")
            for key, kind in MODES:
                if config.get(key):
                    return kind
            raise ConvertError(
                f"{folder / str(entry.get('path', ''))}/config.json: a pooling mode mfc does not "
                "know (llama.cpp pools by mean, CLS token or last token)"
            )
    return None
