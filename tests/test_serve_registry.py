"""``/api/pull`` and ``/api/push`` in a real ``mfc serve``, through the official ``ollama``
client, against a real registry: a model pushed from one server's store and pulled into
another's keeps its ID; names match without regard to case (Ollama's
TestManifestCaseSensitivity, ``case_insensitive_names`` in routes.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import ollama
import pytest
from registries import Registry, registry
from serving import running, tiny_model

import builder


@pytest.fixture(scope="module")
def plain_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with registry(tmp_path_factory.mktemp("serve-registry")) as started:
        yield started


def test_push_then_pull_through_the_ollama_client(tmp_path: Path, plain_registry: Registry) -> None:
    name = f"{plain_registry.host}/team/served:v1"
    digest = tiny_model(tmp_path / "src", tmp_path / "a", name, "SYSTEM served\n")
    (tmp_path / "b").mkdir()
    with running(tmp_path / "a", tmp_path / "a.log") as first, running(tmp_path / "b", tmp_path / "b.log") as second:
        statuses = [part.status for part in ollama.Client(host=first).push(name, insecure=True, stream=True)]
        assert statuses[0] == "retrieving manifest" and statuses[-2:] == ["pushing manifest", "success"]
        assert any(status.startswith("pushing ") and status != "pushing manifest" for status in statuses)

        pulled = list(ollama.Client(host=second).pull(name, insecure=True, stream=True))
        assert pulled[0].status == "pulling manifest" and pulled[-1].status == "success"
        blob_lines = [part for part in pulled if part.digest]
        assert blob_lines and all(part.total for part in blob_lines)
        listed = {model.model: model.digest for model in ollama.Client(host=second).list().models}
        assert listed == {name: digest}

        again = httpx.post(f"{second}/api/pull", json={"model": name, "insecure": True, "stream": False})
        assert again.status_code == 200 and again.json() == {"status": "success"}


def test_names_match_without_regard_to_case(tmp_path: Path, plain_registry: Registry) -> None:
    """Create, pull, copy and push with re-cased names: one manifest, the first casing kept."""
    host = plain_registry.host
    stable = f"{host}/Example-NS/Model:Tag"
    tiny_model(tmp_path / "src", tmp_path / "store", stable)
    store = builder.Store(tmp_path / "store")
    with running(tmp_path / "store", tmp_path / "serve.log") as url:

        def post(path: str, body: dict[str, object]) -> httpx.Response:
            return httpx.post(url + path, json={**body, "stream": False}, timeout=60)

        config = json.loads(store.read_blob(store.find(stable).manifest.config.digest))
        assert config["model_format"] == "gguf"
        recased = f"{host}/example-ns/MODEL:tag"
        created = post("/api/create", {"model": recased, "from": stable})
        assert created.status_code == 200, created.text
        assert post("/api/push", {"model": f"{host}/EXAMPLE-NS/model:TAG", "insecure": True}).status_code == 200
        assert post("/api/pull", {"model": f"{host}/example-ns/model:TAG", "insecure": True}).status_code == 200
        copied = httpx.post(url + "/api/copy", json={"source": f"{host}/EXAMPLE-ns/mODEL:tAG", "destination": recased})
        assert copied.status_code == 200
        pushed = httpx.post(url + "/api/push", json={"model": f"{host}/example-NS/Model:tag", "insecure": True})
        assert pushed.status_code == 200 and '"status":"success"' in pushed.text.replace(" ", "")

    manifests = [path for path in (tmp_path / "store" / "manifests").rglob("*") if path.is_file()]
    assert len(manifests) == 1
    assert manifests[0].relative_to(tmp_path / "store" / "manifests").parts == (host, "Example-NS", "Model", "Tag")
