"""Manifests and config blobs, encoded byte for byte as Ollama's Go code writes them.

Go's ``json.Encoder.Encode`` on structs: compact, fields in declaration order,
``omitempty`` fields left out when empty, HTML-escaped strings, one trailing newline.
The model's ID is the sha256 of the manifest bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from builder.errors import StoreError
from modelfile.gguf_metadata import FILE_TYPES
from modelfile.go.encoding_json import marshal

MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"

MEDIA_TYPE = "application/vnd.ollama.image."
MODEL = MEDIA_TYPE + "model"
ADAPTER = MEDIA_TYPE + "adapter"
PROJECTOR = MEDIA_TYPE + "projector"
DRAFT = MEDIA_TYPE + "draft"
TEMPLATE = MEDIA_TYPE + "template"
PROMPT = MEDIA_TYPE + "prompt"  # legacy alias of template (read only)
SYSTEM = MEDIA_TYPE + "system"
PARAMS = MEDIA_TYPE + "params"
MESSAGES = MEDIA_TYPE + "messages"
LICENSE = MEDIA_TYPE + "license"


@dataclass(frozen=True)
class Layer:
    """A manifest entry: one blob and what it is."""

    media_type: str
    digest: str  # sha256:<hex>
    size: int
    from_: str = ""
    name: str = ""

    def go_json(self) -> str:
        out = f'{{"mediaType":{marshal(self.media_type)},"digest":{marshal(self.digest)},"size":{self.size}'
        if self.from_:
            out += f',"from":{marshal(self.from_)}'
        if self.name:
            out += f',"name":{marshal(self.name)}'
        return out + "}"

    def to_dict(self) -> dict[str, Any]:
        """The layer as the manifest's JSON holds it."""
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.from_:
            out["from"] = self.from_
        if self.name:
            out["name"] = self.name
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Layer:
        return cls(
            str(data["mediaType"]),
            str(data["digest"]),
            int(data["size"]),
            str(data.get("from", "")),
            str(data.get("name", "")),
        )


@dataclass(frozen=True)
class Manifest:
    """A Docker schema-2 manifest of an Ollama model."""

    config: Layer
    layers: tuple[Layer, ...]
    schema_version: int = 2
    media_type: str = MANIFEST_MEDIA_TYPE

    def encode(self) -> bytes:
        layers = ",".join(layer.go_json() for layer in self.layers)
        text = (
            f'{{"schemaVersion":{self.schema_version},"mediaType":{marshal(self.media_type)},'
            f'"config":{self.config.go_json()},"layers":[{layers}]}}\n'
        )
        return text.encode("utf-8")

    @classmethod
    def decode(cls, data: bytes, where: str) -> Manifest:
        """Read a manifest in any formatting (pulled manifests keep the registry's bytes)."""
        try:
            raw = json.loads(data)
            return cls(
                Layer.from_json(raw["config"]),
                tuple(Layer.from_json(layer) for layer in raw.get("layers") or []),
                int(raw.get("schemaVersion", 2)),
                str(raw.get("mediaType", MANIFEST_MEDIA_TYPE)),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise StoreError(f"{where}: not a valid manifest ({error})") from None

    def layers_of(self, media_type: str) -> list[Layer]:
        return [layer for layer in self.layers if layer.media_type == media_type]

    @property
    def size(self) -> int:
        return self.config.size + sum(layer.size for layer in self.layers)


@dataclass(frozen=True)
class Config:
    """The config blob (``types/model/config.go`` ``ConfigV2``), fields in Go's order."""

    model_format: str = "gguf"
    model_family: str = ""
    model_families: tuple[str, ...] | None = None
    model_type: str = ""
    file_type: str = ""
    renderer: str = ""
    parser: str = ""
    requires: str = ""
    capabilities: tuple[str, ...] = ()
    architecture: str = "amd64"
    os: str = "linux"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # fields mfc does not write

    def encode(self) -> bytes:
        parts = [
            f'"model_format":{marshal(self.model_format)}',
            f'"model_family":{marshal(self.model_family)}',
            f'"model_families":{marshal(None if self.model_families is None else list(self.model_families))}',
            f'"model_type":{marshal(self.model_type)}',
            f'"file_type":{marshal(self.file_type)}',
        ]
        for key in ("renderer", "parser", "requires"):
            value = getattr(self, key)
            if value:
                parts.append(f'"{key}":{marshal(value)}')
        if self.capabilities:
            parts.append(f'"capabilities":{marshal(list(self.capabilities))}')
        parts += [f'"architecture":{marshal(self.architecture)}', f'"os":{marshal(self.os)}']
        return ("{" + ",".join(parts) + "}\n").encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> Config:
        try:
            raw = json.loads(data)
        except ValueError as error:
            raise StoreError(f"config blob is not valid JSON: {error}") from None
        if not isinstance(raw, dict):
            raise StoreError("config blob is not a JSON object")
        families = raw.get("model_families")
        return cls(
            model_format=raw.get("model_format", "gguf") or "gguf",
            model_family=raw.get("model_family", ""),
            model_families=tuple(families) if families is not None else None,
            model_type=raw.get("model_type", ""),
            file_type=raw.get("file_type", ""),
            renderer=raw.get("renderer", ""),
            parser=raw.get("parser", ""),
            requires=raw.get("requires", ""),
            capabilities=tuple(raw.get("capabilities") or ()),
            architecture=raw.get("architecture", "amd64"),
            os=raw.get("os", "linux"),
            extra={k: v for k, v in raw.items() if k not in _CONFIG_KEYS},
        )


_CONFIG_KEYS = {
    "model_format",
    "model_family",
    "model_families",
    "model_type",
    "file_type",
    "renderer",
    "parser",
    "requires",
    "capabilities",
    "architecture",
    "os",
}


def file_type_name(value: int | None) -> str:
    """``general.file_type`` as Ollama's config blob names it: ``KV.FileType()`` reads 0
    (and a missing key) as unknown, so F32 GGUFs say "unknown" too."""
    return FILE_TYPES.get(value, "unknown") if value else "unknown"
