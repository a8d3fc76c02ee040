"""``BuildResult``: what ``build`` made (or, for a dry run, would make)."""

from __future__ import annotations

from dataclasses import dataclass

from builder.manifest import Layer


@dataclass(frozen=True)
class BuildResult:
    """The model's name as stored, its ID (the manifest's sha256; empty when a dry run
    cannot know it), its layers and config, the warnings, and the built-in template
    autodetected from the GGUF, if the model has it (None when a TEMPLATE replaced it)."""

    name: str
    digest: str  # sha256 hex of the manifest: the model's ID
    layers: tuple[Layer, ...]
    config: Layer
    warnings: tuple[str, ...] = ()
    template: str | None = None  # the built-in template autodetected from the GGUF, if the model has it
    written: bool = True  # False for a dry run

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "digest": self.digest,
            "config": self.config.to_dict(),
            "layers": [layer.to_dict() for layer in self.layers],
            "warnings": list(self.warnings),
            "template": self.template,
            "written": self.written,
        }
