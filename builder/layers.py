"""The bytes of each non-weight layer, as Ollama's create writes them.

Text layers (template, system, license) are the raw UTF-8 text.  Params and messages
are Go JSON (``encoding/json`` of a ``map[string]any`` and of ``[]api.Message``) with a
trailing newline; PARAMETER floats are float32, so ``0.7`` stays ``0.7``.
"""

from __future__ import annotations

import json
from typing import Any

from modelfile.go.encoding_json import Float32, marshal
from modelfile.parameters import TypedValue


def text(value: str) -> bytes:
    return value.encode("utf-8")


def params(values: dict[str, Any]) -> bytes:
    """A params blob: keys sorted, Go's number formatting (float32 for PARAMETER floats)."""
    return (marshal(values) + "\n").encode("utf-8")


def merge_params(inherited: dict[str, Any], new: dict[str, TypedValue | list[str]]) -> dict[str, Any]:
    """Ollama's merge: new keys win, inherited keys stay; a new ``stop`` list replaces the
    old one whole."""
    merged = dict(inherited)
    for key, value in new.items():
        merged[key] = Float32(value) if isinstance(value, float) else value
    return merged


def decode_params(data: bytes) -> dict[str, Any]:
    """An existing params blob, with numbers as Go's ``any`` holds them after decoding."""
    value = json.loads(data)
    if not isinstance(value, dict):
        raise ValueError("params blob is not a JSON object")
    return value


def messages(items: list[tuple[str, str]]) -> bytes:
    """``[]api.Message``: role and content; the optional fields are empty, so omitted."""
    return (marshal([_Message(role, content) for role, content in items]) + "\n").encode("utf-8")


class _Message:
    def __init__(self, role: str, content: str) -> None:
        self.role, self.content = role, content

    def __gojson__(self) -> str:
        return f'{{"role":{marshal(self.role)},"content":{marshal(self.content)}}}'
