"""``push``: a model from the store to a registry.

Each blob (layers, then the config) is checked with ``HEAD``; one the registry lacks is
mounted from the repository it came from when that is on the same registry (the
layer's ``from``), else uploaded: in one ``PUT`` when small, in ``PATCH`` chunks when
large.  The manifest goes last, as the store's exact bytes, so a failed push never
leaves a manifest pointing at missing blobs, and the model ID is the same after a
round trip (Ollama re-encodes the manifest, which changes it).

Statuses are Ollama's: ``retrieving manifest``, ``pushing <12 hex>`` with a byte count
per blob, ``pushing manifest``, ``success``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from builder.errors import StoreError
from builder.events import Event, Progress
from builder.manifest import Layer
from builder.names import parse_name
from builder.registry.blob_sources import BlobSources
from builder.registry.client import RegistryClient
from builder.registry.errors import RegistryError
from builder.registry.oci import MODEL_CONFIG, OCI_MANIFEST, oci_form
from builder.registry.reference import Reference
from builder.store import StoreLike, as_store, digest_of_bytes

#: Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size.
CHUNK_SIZE = 64 * 2**20
READ = 2**20


@dataclass(frozen=True)
class PushResult:
    """What a push did: the name and ID, the blobs uploaded, mounted or already there."""

    name: str
    digest: str
    uploaded: tuple[str, ...]
    mounted: tuple[str, ...]
    present: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "digest": self.digest,
            "uploaded": list(self.uploaded),
            "mounted": list(self.mounted),
            "present": list(self.present),
        }


def _ignore(event: Event) -> None:
    """No progress wanted."""


def push(
    name: str,
    *,
    store: StoreLike = None,
    insecure: bool = False,
    progress: Progress | None = None,
    client: RegistryClient | None = None,
    chunk_size: int = CHUNK_SIZE,
    format: str = "ollama",  # noqa: A002 - the CLI's --format
) -> PushResult:
    """Push the stored model ``name`` (``host/namespace/model:tag``) to its registry:
    ``format="ollama"`` as Ollama pushes it (Docker schema 2), ``"oci"`` as an OCI
    artifact (``oci.py``) that OCI-only registries and tools accept."""
    if format not in ("ollama", "oci"):
        raise RegistryError(f"unknown push format {format!r}: use ollama or oci")
    ref = Reference.parse(name, insecure=insecure)
    the_store = as_store(store)
    report = progress or _ignore
    report(Event("retrieving manifest"))
    model = the_store.find(ref.name)
    data = model.path.read_bytes()
    for layer in (*model.manifest.layers, model.manifest.config):
        if not the_store.has_blob(layer.digest):
            raise StoreError(f"{ref.name.display()}: blob {layer.digest} is missing from the store (run mfc verify)")
    own = client is None
    registry = client or RegistryClient(ref.host)
    outcome: dict[str, list[str]] = {"uploaded": [], "mounted": [], "present": []}
    blobs = [(layer, the_store.blob_path(layer.digest)) for layer in (*model.manifest.layers, model.manifest.config)]
    sent, media_type = data, model.manifest.media_type
    scratch = tempfile.TemporaryDirectory(prefix="mfc-push-")  # the OCI form's config: not stored
    if format == "oci":
        config = json.loads(the_store.read_blob(model.manifest.config.digest))
        sent, modelpack = oci_form(data, config if isinstance(config, dict) else {}, ref.name.display())
        extra = Path(scratch.name) / "modelpack-config.json"
        extra.write_bytes(modelpack)
        blobs.append((Layer(MODEL_CONFIG, digest_of_bytes(modelpack), len(modelpack)), extra))
        media_type = OCI_MANIFEST
    known = BlobSources(the_store)
    try:
        for layer, path in blobs:
            status = f"pushing {layer.digest.removeprefix('sha256:')[:12]}"
            places = known.repositories(layer.digest, ref.host)
            how = push_blob(registry, ref, path, layer, status, report, chunk_size, places)
            outcome[how].append(layer.digest)
            known.note(layer.digest, ref.host, ref.repository)
        report(Event("pushing manifest"))
        put_manifest(registry, ref, sent, media_type)
        known.save()
        report(Event("success"))
    finally:
        scratch.cleanup()
        if own:
            registry.close()
    return PushResult(
        ref.name.display(),
        hashlib.sha256(data).hexdigest(),
        tuple(outcome["uploaded"]),
        tuple(outcome["mounted"]),
        tuple(outcome["present"]),
    )


def push_blob(
    registry: RegistryClient,
    ref: Reference,
    path: Path,
    layer: Layer,
    status: str,
    report: Progress,
    chunk: int,
    mount_from: Sequence[str] = (),
) -> str:
    """Put one blob in the registry (unless it is there): mounted from the first of the
    repositories ``mount_from`` (or the layer's ``from``) on the same registry that holds
    it, else uploaded.  How: ``present``, ``mounted`` or ``uploaded``."""
    scope = ref.scope("pull", "push")
    what = f"blob {layer.digest}"
    head = registry.request("HEAD", ref.blob_url(layer.digest), scope=scope, what=what)
    if head.status_code == 200:
        report(Event(status, layer.size, layer.size, digest=layer.digest))
        return "present"
    if head.status_code != 404:
        raise RegistryError.from_response("push blob", f"{ref} {layer.digest}", head.status_code, head.content)
    params: dict[str, str] = {}
    candidates = [repository for repository in (*mount_from, _mount_source(ref, layer)) if repository]
    source = next((repository for repository in candidates if repository != ref.repository), "")
    if source:
        params = {"mount": layer.digest, "from": source}
    url = str(httpx.URL(ref.uploads_url()).copy_merge_params(params))
    started = registry.request("POST", url, scope=scope, what=what)
    if started.status_code == 201 and source:
        report(Event(status, layer.size, layer.size, digest=layer.digest))
        return "mounted"
    if started.status_code != 202:
        raise RegistryError.from_response("push blob", f"{ref} {layer.digest}", started.status_code, started.content)
    location = _location(started, ref, layer)

    def sent(done: int) -> None:
        report(Event(status, layer.size, done, digest=layer.digest))

    if layer.size <= chunk:
        _put_blob(registry, ref, layer, location, path, 0, layer.size, sent)
    else:
        offset = 0
        while offset < layer.size:
            end = min(offset + chunk, layer.size)
            body = _reader(path, offset, end, sent)
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{offset}-{end - 1}",
                "Content-Length": str(end - offset),
            }
            answer = registry.request("PATCH", location, scope=scope, headers=headers, body=body, what=what)
            if answer.status_code != 202:
                raise RegistryError.from_response(
                    "push blob", f"{ref} {layer.digest}", answer.status_code, answer.content
                )
            location = _location(answer, ref, layer)
            offset = end
        _put_blob(registry, ref, layer, location, path, layer.size, layer.size, sent)
    report(Event(status, layer.size, layer.size, digest=layer.digest))
    return "uploaded"


def _put_blob(
    registry: RegistryClient,
    ref: Reference,
    layer: Layer,
    location: str,
    path: Path,
    start: int,
    end: int,
    sent: Callable[[int], None],
) -> None:
    url = str(httpx.URL(location).copy_merge_params({"digest": layer.digest}))
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(end - start)}
    body = _reader(path, start, end, sent)
    answer = registry.request(
        "PUT", url, scope=ref.scope("pull", "push"), headers=headers, body=body, what=f"blob {layer.digest}"
    )
    if answer.status_code not in (201, 204):
        raise RegistryError.from_response("push blob", f"{ref} {layer.digest}", answer.status_code, answer.content)


def _reader(path: Path, start: int, end: int, sent: Callable[[int], None]) -> Callable[[], Iterator[bytes]]:
    """A body factory: the bytes ``start:end`` of ``path``, read as they are sent."""

    def body() -> Iterator[bytes]:
        with path.open("rb") as file:
            file.seek(start)
            position = start
            while position < end:
                block = file.read(min(READ, end - position))
                if not block:
                    raise RegistryError(f"{path}: the blob is shorter than its manifest says")
                position += len(block)
                yield block
                sent(position)

    return body


def _location(answer: httpx.Response, ref: Reference, layer: Layer) -> str:
    location = answer.headers.get("docker-upload-location") or answer.headers.get("location")
    if not location:
        raise RegistryError(f"push blob: {ref} {layer.digest}: the registry gave no upload location")
    return str(answer.url.join(location))


def _mount_source(ref: Reference, layer: Layer) -> str:
    """The repository on this registry that the layer came from (``""``: none)."""
    if not layer.from_:
        return ""
    try:
        source = parse_name(layer.from_)
    except ValueError:
        return ""
    if source.host != ref.host:
        return ""
    repository = f"{source.namespace}/{source.model}"
    return "" if repository == ref.repository else repository


def put_manifest(registry: RegistryClient, ref: Reference, data: bytes, media_type: str) -> None:
    headers = {"Content-Type": media_type}
    answer = registry.request(
        "PUT",
        ref.manifest_url(),
        scope=ref.scope("pull", "push"),
        headers=headers,
        body=lambda: data,
        what=f"manifest {ref}",
    )
    if answer.status_code not in (200, 201):
        raise RegistryError.from_response("push manifest", str(ref), answer.status_code, answer.content)
    sent = answer.headers.get("docker-content-digest", "")
    expected = "sha256:" + hashlib.sha256(data).hexdigest()
    if sent and sent != expected:
        raise RegistryError(f"push manifest: {ref}: the registry stored {sent}, mfc sent {expected}")
