"""A Hugging Face folder's ``config.json`` (and the JSON files beside it), with errors
that name the file and the key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import ConvertError


def read_json(path: Path, *, required: bool = True) -> dict[str, Any]:
    """A JSON object from ``path`` ({} for an absent optional file)."""
    if not path.is_file():
        if required:
            raise ConvertError(f"{path}: missing")
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConvertError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise ConvertError(f"{path}: not a JSON object")
    return value


def _rope_v4(values: dict[str, Any]) -> dict[str, Any]:
    """transformers 5 writes ``rope_parameters`` where version 4 wrote ``rope_theta``,
    ``rope_scaling`` and ``partial_rotary_factor``; read either as the latter.  Parameters
    per layer type are the global layers' (the sliding layers' theta is Gemma 3's
    ``rope_local_base_freq``)."""
    parameters = values.get("rope_parameters")
    if not isinstance(parameters, dict):
        return values
    values = dict(values)
    if isinstance(parameters.get("full_attention"), dict):  # per layer type (Gemma 3, OLMo 3)
        local = parameters.get("sliding_attention")
        if isinstance(local, dict) and values.get("rope_local_base_freq") is None:
            values["rope_local_base_freq"] = local.get("rope_theta")
        parameters = parameters["full_attention"]
    for key in ("rope_theta", "partial_rotary_factor"):
        if values.get(key) is None and parameters.get(key) is not None:
            values[key] = parameters[key]
    kind = parameters.get("rope_type", parameters.get("type"))
    if values.get("rope_scaling") is None and kind not in (None, "default"):
        values["rope_scaling"] = parameters
    return values


@dataclass(frozen=True)
class HFConfig:
    path: Path
    values: dict[str, Any]

    @classmethod
    def read(cls, folder: Path) -> HFConfig:
        values = read_json(folder / "config.json")
        text = values.get("text_config")
        if isinstance(text, dict):  # multimodal wrappers keep the language model's settings here
            values = {**values, **text}
        return cls(folder / "config.json", _rope_v4(values))

    @property
    def architecture(self) -> str:
        names = self.values.get("architectures")
        if not isinstance(names, list) or not names or not isinstance(names[0], str):
            raise ConvertError(f"{self.path}: no 'architectures' list (which model class these weights are for)")
        return names[0]

    def get(self, *keys: str, default: Any = None) -> Any:
        """The first of ``keys`` present (not null), else ``default``."""
        for key in keys:
            if self.values.get(key) is not None:
                return self.values[key]
        return default

    def require(self, *keys: str, kind: type = int) -> Any:
        """The first of ``keys`` present, checked to be a ``kind``; an error naming them otherwise."""
        value = self.get(*keys)
        if value is None:
            raise ConvertError(f"{self.path}: missing {' / '.join(repr(k) for k in keys)}")
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ConvertError(f"{self.path}: {keys[0]!r} is {value!r}, not a {kind.__name__}")
        if isinstance(value, int | float) and value <= 0:
            raise ConvertError(f"{self.path}: {keys[0]!r} is {value!r}; it must be positive")
        return value

    def integer(self, *keys: str, default: int | None = None) -> int | None:
        value = self.get(*keys, default=default)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ConvertError(f"{self.path}: {keys[0]!r} is {value!r}, not an integer")
        return value

    def number(self, *keys: str, default: float | None = None) -> float | None:
        value = self.get(*keys, default=default)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise ConvertError(f"{self.path}: {keys[0]!r} is {value!r}, not a number")
        return None if value is None else float(value)
