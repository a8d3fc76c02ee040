"""A build cache in a registry (``mfc build --cache-from REF --cache-to REF``).

What a build derives, a conversion's GGUF and a quantization's result, is keyed (as the
store's own caches are, ``builder/create/derived.py``) by the digests of its inputs and
options.  ``--cache-to`` pushes each new entry as a tag of the repository ``REF``:
``converted-<key>`` or ``quantized-<key>``, a manifest whose config blob names the key and
the result's digest and whose one layer is the result (none when the build kept only a
later quantization of it).  ``--cache-from`` looks a key up there before doing the work
and downloads the result, verified, into the store.  A miss costs one request; a cache
that cannot be reached or refuses the request only costs time: the build goes on and
says so in a warning.

``REF`` is a repository (``host/namespace/name``; a tag is ignored); ``http://host/…``
means plain HTTP.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

from builder.events import Event, Progress
from builder.manifest import CONFIG_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, MODEL, Layer, Manifest
from builder.names import parse_name
from builder.registry.client import RegistryClient
from builder.registry.download import download_blob
from builder.registry.errors import RegistryError
from builder.registry.pull import ACCEPT
from builder.registry.push import CHUNK_SIZE, push_blob, put_manifest
from builder.registry.reference import Reference
from builder.store import Store, digest_of_bytes

CACHE_CONFIG = "application/vnd.mfc.build-cache.config.v1+json"


class RegistryCache:
    """The build cache at ``ref`` (see the module's docstring)."""

    def __init__(self, ref: str) -> None:
        insecure = ref.startswith("http://")
        text = ref.removeprefix("http://").removeprefix("https://")
        self.label = ref
        self.ref = Reference.parse(parse_name(text), insecure=insecure)
        self._client: RegistryClient | None = None

    @property
    def client(self) -> RegistryClient:
        if self._client is None:
            self._client = RegistryClient(self.ref.host)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _entry(self, kind: str, key: str) -> Reference:
        return dataclasses.replace(self.ref, name=dataclasses.replace(self.ref.name, tag=f"{kind}-{key}"))

    def fetch(self, kind: str, key: str, store: Store, report: Progress) -> str | None:
        """The digest the cache holds for ``key`` (its blob downloaded into ``store`` when
        the entry has one), or ``None`` on a miss."""
        entry = self._entry(kind, key)
        scope = entry.scope("pull")
        answer = self.client.request(
            "GET", entry.manifest_url(), scope=scope, headers={"Accept": ACCEPT}, what=f"cache {entry}"
        )
        if answer.status_code == 404:
            return None
        if answer.status_code >= 400:
            raise RegistryError.from_response("build cache", str(entry), answer.status_code, answer.content)
        manifest = Manifest.decode(answer.content, f"cache {entry}")
        config = self.client.request("GET", entry.blob_url(manifest.config.digest), scope=scope, what=f"cache {entry}")
        if config.status_code >= 400 or digest_of_bytes(config.content) != manifest.config.digest:
            raise RegistryError(f"build cache {entry}: its config blob is missing or damaged")
        try:
            record = json.loads(config.content)
            digest = str(record["digest"])
            assert record["kind"] == kind and record["key"] == key
        except (ValueError, KeyError, TypeError, AssertionError):
            raise RegistryError(f"build cache {entry}: not an mfc build cache entry") from None
        for layer in manifest.layers:
            status = f"pulling {layer.digest.removeprefix('sha256:')[:12]} from the build cache"

            def received(done: int, layer: Layer = layer, status: str = status) -> None:
                report(Event(status, layer.size, done, digest=layer.digest))

            download_blob(self.client, entry, store, layer.digest, layer.size, received)
        report(Event(f"using the {kind} result {digest[7:19]} from the build cache {self.label}"))
        return digest

    def publish(self, kind: str, key: str, digest: str, store: Store, report: Progress) -> None:
        """Push the entry ``key`` → ``digest`` (with the blob, when ``store`` has it)."""
        entry = self._entry(kind, key)
        record = json.dumps({"kind": kind, "key": key, "digest": digest}, sort_keys=True).encode()
        with tempfile.TemporaryDirectory(prefix="mfc-cache-") as scratch:
            config_path = Path(scratch) / "config.json"
            config_path.write_bytes(record)
            config = Layer(CACHE_CONFIG, digest_of_bytes(record), len(record))
            blobs = [(config, config_path)]
            layers: tuple[Layer, ...] = ()
            if store.has_blob(digest):
                blob = store.blob_path(digest)
                layers = (Layer(MODEL, digest, blob.stat().st_size),)
                blobs.append((layers[0], blob))
            for layer, path in blobs:
                status = f"pushing {layer.digest.removeprefix('sha256:')[:12]} to the build cache"
                push_blob(self.client, entry, path, layer, status, report, CHUNK_SIZE)
        manifest = Manifest(dataclasses.replace(config, media_type=CONFIG_MEDIA_TYPE), layers)
        put_manifest(self.client, entry, manifest.encode(), MANIFEST_MEDIA_TYPE)
        report(Event(f"saved the {kind} result {digest[7:19]} in the build cache {self.label}"))
