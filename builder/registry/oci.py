"""The OCI form of a model (``mfc push --format oci``): an OCI image manifest with a
CNCF ModelPack artifact type, which OCI-only registries, ``oras`` and ``skopeo`` accept,
and from which mfc rebuilds the Ollama manifest byte for byte.

* ``artifactType`` ``application/vnd.cncf.model.manifest.v1+json``; config
  ``application/vnd.cncf.model.config.v1+json`` (ModelPack's: architecture, format,
  quantization, and the weights' digests);
* one layer per Ollama layer, under ModelPack's media types (GGUF weights, adapters and
  projectors as ``weight``; template, system prompt, parameters and messages as
  ``weight.config``; the license as ``doc``), each annotated with its file name
  (``org.cncf.model.filepath``) and its Ollama media type (``org.ollama.image.mediatype``);
  the Ollama config blob is a layer too;
* the Ollama manifest itself, as it is stored, in the ``org.ollama.manifest``
  annotation: a pull checks that every blob it names is a layer, downloads them, and
  writes it, so the model ID is the same in both forms.

>>> from builder.manifest import Layer, Manifest, MODEL, CONFIG_MEDIA_TYPE
>>> ollama = Manifest(Layer(CONFIG_MEDIA_TYPE, "sha256:" + "c" * 64, 10), (Layer(MODEL, "sha256:" + "a" * 64, 99),))
>>> manifest, config = oci_form(ollama.encode(), {"model_family": "llama", "file_type": "Q4_0"}, "m:latest")
>>> data = json.loads(manifest)
>>> data["artifactType"], [layer["mediaType"].removeprefix(WEIGHT[:-6]) for layer in data["layers"]]
('application/vnd.cncf.model.manifest.v1+json', ['v1.raw', 'config.v1.raw'])
>>> ollama_form(manifest, "m") == ollama.encode()
True
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from builder.manifest import ADAPTER, DRAFT, LICENSE, MESSAGES, MODEL, PARAMS, PROJECTOR, SYSTEM, TEMPLATE, Manifest
from builder.registry.errors import RegistryError

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
ARTIFACT_TYPE = "application/vnd.cncf.model.manifest.v1+json"
MODEL_CONFIG = "application/vnd.cncf.model.config.v1+json"
WEIGHT = "application/vnd.cncf.model.weight.v1.raw"
WEIGHT_CONFIG = "application/vnd.cncf.model.weight.config.v1.raw"
DOC = "application/vnd.cncf.model.doc.v1.raw"

FILEPATH = "org.cncf.model.filepath"
OLLAMA_MEDIA_TYPE = "org.ollama.image.mediatype"
OLLAMA_MANIFEST = "org.ollama.manifest"

#: Ollama's layer → (ModelPack media type, file name).
_KINDS = {
    MODEL: (WEIGHT, "model.gguf"),
    ADAPTER: (WEIGHT, "adapter.gguf"),
    PROJECTOR: (WEIGHT, "projector.gguf"),
    DRAFT: (WEIGHT, "draft.gguf"),
    TEMPLATE: (WEIGHT_CONFIG, "template"),
    SYSTEM: (WEIGHT_CONFIG, "system"),
    PARAMS: (WEIGHT_CONFIG, "params.json"),
    MESSAGES: (WEIGHT_CONFIG, "messages.json"),
    LICENSE: (DOC, "LICENSE"),
}


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def oci_form(ollama_bytes: bytes, ollama_config: dict[str, Any], name: str) -> tuple[bytes, bytes]:
    """The OCI manifest and the ModelPack config blob for the Ollama manifest
    ``ollama_bytes`` (whose config blob holds ``ollama_config``).  Deterministic: the
    same model always gives the same bytes."""
    manifest = Manifest.decode(ollama_bytes, name)
    layers: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for layer in manifest.layers:
        kind, filename = _KINDS.get(layer.media_type, (WEIGHT_CONFIG, layer.media_type.rsplit(".", 1)[-1]))
        seen[filename] = seen.get(filename, 0) + 1
        if seen[filename] > 1:
            filename = f"{seen[filename]}-{filename}"
        annotations = {FILEPATH: filename, OLLAMA_MEDIA_TYPE: layer.media_type}
        layers.append({"mediaType": kind, "digest": layer.digest, "size": layer.size, "annotations": annotations})
    config_layer = manifest.config
    layers.append(
        {
            "mediaType": WEIGHT_CONFIG,
            "digest": config_layer.digest,
            "size": config_layer.size,
            "annotations": {FILEPATH: "ollama-config.json", OLLAMA_MEDIA_TYPE: config_layer.media_type},
        }
    )
    weights = [layer.digest for layer in manifest.layers if _KINDS.get(layer.media_type, ("",))[0] == WEIGHT]
    modelpack = _compact(
        {
            "descriptor": {"name": name},
            "config": {
                "architecture": str(ollama_config.get("model_family") or ""),
                "format": str(ollama_config.get("model_format") or "gguf"),
                "quantization": str(ollama_config.get("file_type") or ""),
            },
            "modelfs": {"type": "layers", "diffIds": weights},
        }
    )
    oci = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": ARTIFACT_TYPE,
        "config": {
            "mediaType": MODEL_CONFIG,
            "digest": "sha256:" + hashlib.sha256(modelpack).hexdigest(),
            "size": len(modelpack),
        },
        "layers": layers,
        "annotations": {OLLAMA_MANIFEST: ollama_bytes.decode("utf-8")},
    }
    return _compact(oci), modelpack


def ollama_form(oci_bytes: bytes, where: str) -> bytes:
    """The Ollama manifest an OCI manifest carries, checked: every blob it names must be
    one of the OCI manifest's layers (which the pull verifies)."""
    try:
        oci = json.loads(oci_bytes)
        carried = oci.get("annotations", {}).get(OLLAMA_MANIFEST)
        layers = {(layer["digest"], int(layer["size"])) for layer in oci.get("layers") or []}
    except (ValueError, AttributeError, KeyError, TypeError):
        raise RegistryError(f"pull model manifest: {where}: not a valid OCI manifest") from None
    if not isinstance(carried, str):
        raise RegistryError(
            f"pull model manifest: {where}: an OCI artifact ({oci.get('artifactType') or 'no artifact type'}) "
            "that carries no Ollama manifest (pushed by another tool): mfc pulls models pushed by mfc or Ollama"
        )
    data = carried.encode("utf-8")
    manifest = Manifest.decode(data, where)
    for layer in (*manifest.layers, manifest.config):
        if (layer.digest, layer.size) not in layers:
            raise RegistryError(
                f"pull model manifest: {where}: blob {layer.digest} is not one of the manifest's layers"
            )
    return data


def is_oci(media_type: str, data: bytes) -> bool:
    """Whether a pulled manifest is in the OCI form (by its content type, else its body)."""
    if media_type:
        return media_type == OCI_MANIFEST
    try:
        return bool(json.loads(data).get("mediaType") == OCI_MANIFEST)
    except (ValueError, AttributeError):
        return False
