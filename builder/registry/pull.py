"""``pull``: a model from a registry into the store.

The manifest is fetched first (Docker schema 2, or the OCI form of ``oci.py``, from
which the Ollama manifest is taken), then each blob
the store lacks (layers, then the config) is downloaded and verified
(``download.py``); the manifest is written last, as the registry's exact bytes (so the
model ID is the registry's manifest digest), under the store's lock.  Until then nothing
of the pull is visible as a model; blobs already in the store are not fetched again.

Statuses are Ollama's: ``pulling manifest``, ``pulling <12 hex>`` with a byte count per
blob, ``verifying sha256 digest``, ``writing manifest``, ``success``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from builder.events import Event, Progress
from builder.manifest import Layer, Manifest
from builder.registry.blob_sources import BlobSources
from builder.registry.client import RegistryClient
from builder.registry.download import download_blob
from builder.registry.errors import RegistryError
from builder.registry.oci import OCI_MANIFEST, is_oci, ollama_form
from builder.registry.reference import Reference
from builder.store import Store, StoreLike, as_store

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ACCEPT = f"{DOCKER_MANIFEST}, {OCI_MANIFEST}"


@dataclass(frozen=True)
class PullResult:
    """What a pull did: the model's name and ID, the blobs downloaded and those the
    store already had."""

    name: str
    digest: str  # sha256 hex of the manifest bytes: the model's ID
    downloaded: tuple[str, ...]
    reused: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "digest": self.digest,
            "downloaded": list(self.downloaded),
            "reused": list(self.reused),
        }


def _ignore(event: Event) -> None:
    """No progress wanted."""


def pull(
    name: str,
    *,
    store: StoreLike = None,
    insecure: bool = False,
    progress: Progress | None = None,
    client: RegistryClient | None = None,
) -> PullResult:
    """Pull ``name`` (``host/namespace/model:tag``) into ``store``.

    >>> pull("127.0.0.1:9/library/nothing", insecure=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    builder.registry.errors.RegistryError: manifest 127.0.0.1:9/library/nothing:latest: cannot reach 127.0.0.1:9: ...
    """
    ref = Reference.parse(name, insecure=insecure)
    the_store = as_store(store)
    report = progress or _ignore
    report(Event("pulling manifest"))
    own = client is None
    registry = client or RegistryClient(ref.host)
    try:
        data = _manifest(registry, ref)
        manifest = Manifest.decode(data, f"manifest {ref}")
        downloaded: list[str] = []
        reused: list[str] = []
        known = BlobSources(the_store)
        for layer in (*manifest.layers, manifest.config):
            status = f"pulling {layer.digest.removeprefix('sha256:')[:12]}"
            if _fetch(registry, ref, the_store, layer, status, report):
                downloaded.append(layer.digest)
            else:
                reused.append(layer.digest)
            known.note(layer.digest, ref.host, ref.repository)
        report(Event("verifying sha256 digest"))
        report(Event("writing manifest"))
        with the_store.locked():
            stored = the_store.resolve(ref.name)  # a name already stored keeps its case
            digest = the_store.write_manifest_bytes(stored, data)
            known.save()
        report(Event("success"))
    finally:
        if own:
            registry.close()
    return PullResult(stored.display(), digest, tuple(downloaded), tuple(reused))


def _manifest(registry: RegistryClient, ref: Reference) -> bytes:
    what = f"manifest {ref}"
    answer = registry.request("GET", ref.manifest_url(), scope=ref.scope("pull"), headers={"Accept": ACCEPT}, what=what)
    if answer.status_code == 404:
        raise RegistryError.from_response("pull model manifest", str(ref), 404, answer.content)
    if answer.status_code >= 400:
        raise RegistryError.from_response("pull model manifest", str(ref), answer.status_code, answer.content)
    data = answer.content
    sent = answer.headers.get("docker-content-digest", "")
    found = "sha256:" + hashlib.sha256(data).hexdigest()
    if sent.startswith("sha256:") and sent != found:
        raise RegistryError(
            f"pull model manifest: {ref}: the registry says its digest is {sent}, its bytes hash to {found}"
        )
    kind = answer.headers.get("content-type", "").split(";")[0].strip()
    if kind and kind not in (DOCKER_MANIFEST, OCI_MANIFEST, "application/json"):
        raise RegistryError(f"pull model manifest: {ref}: {kind} is not a model manifest")
    if is_oci(kind if kind != "application/json" else "", data):
        return ollama_form(data, str(ref))  # the Ollama manifest it carries (oci.py)
    return data


def _fetch(registry: RegistryClient, ref: Reference, store: Store, layer: Layer, status: str, report: Progress) -> bool:
    if store.has_blob(layer.digest):
        report(Event(status, layer.size, layer.size, digest=layer.digest))
        return False

    def received(done: int) -> None:
        report(Event(status, layer.size, done, digest=layer.digest))

    return download_blob(registry, ref, store, layer.digest, layer.size, received)
