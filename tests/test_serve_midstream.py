"""A failure after the first line of an ``/api/generate`` answer: the stream ends with one
``{"error": …}`` line inside the 200 response (``stream:false``: the error with its
status), as Ollama delivers it.  The runner is a stand-in (``LoadedModels(loader=…)``)
whose stream fails after one chunk; the store holds a tiny model so that the route's
checks run as they do for real models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from serving import tiny_model
from starlette.testclient import TestClient

from builder.errors import RunError
from builder.generation import TextChunk
from builder.serve import app
from builder.serve.models_loaded import LoadedModels


@dataclass
class FailingStream:
    prompt: str = "p"
    cancelled: bool = False
    request: Any = field(default_factory=lambda: type("R", (), {"tokens": (1, 2)})())

    def __iter__(self) -> Iterator[TextChunk]:
        yield TextChunk("Hel")
        raise RunError("llama_decode returned -1")

    def cancel(self) -> None:
        self.cancelled = True


class FailingRunner:
    capabilities = ("completion",)

    def __init__(self, name: str) -> None:
        self.name = name

    def require(self, action: str) -> None:
        """Every action is allowed."""

    def stream(self, messages: Any, **options: Any) -> FailingStream:
        return FailingStream()

    def close(self) -> None:
        """Nothing to free."""


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    tiny_model(tmp_path / "m", tmp_path / "store", "m", "", **{"general.architecture": "llama"})
    application = app(store=tmp_path / "store")
    application.state.models = LoadedModels(tmp_path / "store", loader=lambda store, name, o: FailingRunner(name))
    with TestClient(application) as test_client:
        yield test_client


def test_a_failure_mid_stream_is_a_last_error_line(client: TestClient) -> None:
    response = client.post("/api/generate", json={"model": "m", "prompt": "hi"})
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert response.status_code == 200
    assert lines[0]["response"] == "Hel" and lines[-1] == {"error": "llama_decode returned -1"}
    assert client.get("/api/ps").json()["models"][0]["name"] == "m:latest"  # the model's turn was given back


def test_without_stream_the_failure_is_the_answer(client: TestClient) -> None:
    response = client.post("/api/generate", json={"model": "m", "prompt": "hi", "stream": False})
    assert (response.status_code, response.json()) == (500, {"error": "llama_decode returned -1"})
