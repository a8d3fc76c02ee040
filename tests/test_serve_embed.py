"""``/api/embed`` and the legacy ``/api/embeddings`` on a real ``mfc serve``, with
all-MiniLM-L6-v2 built from its safetensors (as tests/test_run.py builds it), through
the official ``ollama`` client (sync and async) and raw HTTP for the errors."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import ollama
import pytest
from hf_fixtures import minilm_folder
from serving import running

import builder


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serve-embed")
    (folder / "Modelfile").write_text(f"FROM {minilm_folder()}\n")
    builder.build(folder / "Modelfile", "minilm", store=folder / "store")
    return folder / "store"


@pytest.fixture(scope="module")
def url(store: Path) -> Iterator[str]:
    with running(store, store.parent / "serve.log") as base:
        yield base


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(value * value for value in vector))


def test_embed_a_string_and_a_list(url: str) -> None:
    client = ollama.Client(host=url)
    one = client.embed("minilm", "The sky is blue.")
    assert one.model == "minilm" and len(one.embeddings) == 1 and len(one.embeddings[0]) == 384
    assert abs(_norm(list(one.embeddings[0])) - 1) < 1e-3 and one.prompt_eval_count
    two = client.embed("minilm", ["The sky is blue.", "Grass is green."])
    assert len(two.embeddings) == 2
    assert max(abs(a - b) for a, b in zip(two.embeddings[0], one.embeddings[0], strict=True)) < 1e-4
    short = client.embed("minilm", "The sky is blue.", dimensions=16)
    assert len(short.embeddings[0]) == 16 and abs(_norm(list(short.embeddings[0])) - 1) < 1e-3


def test_legacy_embeddings_are_not_normalised(url: str) -> None:
    client = ollama.Client(host=url)
    legacy = client.embeddings("minilm", "The sky is blue.")
    assert len(legacy.embedding) == 384 and abs(_norm(list(legacy.embedding)) - 1) > 1e-2
    assert httpx.post(url + "/api/embeddings", json={"model": "minilm", "prompt": ""}).json() == {"embedding": []}


def test_async_client_embed(url: str) -> None:
    async def run() -> int:
        answer = await ollama.AsyncClient(host=url).embed("minilm", ["a", "b", "c"])
        return len(answer.embeddings)

    assert asyncio.run(run()) == 3


def test_empty_input_loads_and_keep_alive_zero_unloads(url: str) -> None:
    answer = httpx.post(url + "/api/embed", json={"model": "minilm", "input": []}).json()
    assert answer == {"model": "minilm", "embeddings": []}
    assert [model["name"] for model in httpx.get(url + "/api/ps").json()["models"]] == ["minilm:latest"]
    httpx.post(url + "/api/embed", json={"model": "minilm", "input": "x", "keep_alive": 0})
    assert httpx.get(url + "/api/ps").json() == {"models": []}


def test_errors(url: str) -> None:
    def post(route: str, body: dict[str, object]) -> tuple[int, str]:
        response = httpx.post(url + route, json=body, timeout=60)
        return response.status_code, response.json()["error"]

    assert post("/api/embed", {"model": "minilm", "input": 3}) == (400, "invalid input type")
    assert post("/api/embed", {"model": "minilm", "input": ["a", 1]}) == (400, "invalid input type")
    assert post("/api/embed", {"input": "a"}) == (404, "model '' not found")
    assert post("/api/embed", {"model": "nope", "input": "a"}) == (404, 'model "nope" not found, try pulling it first')
    assert post("/api/embeddings", {"prompt": "a"}) == (400, "model is required")
    assert post("/api/embeddings", {"model": "nope", "prompt": "a"}) == (
        404,
        'model "nope" not found, try pulling it first',
    )
    long = "word " * 2000
    assert post("/api/embed", {"model": "minilm", "input": long, "truncate": False}) == (
        400,
        "the input length exceeds the context length",
    )
