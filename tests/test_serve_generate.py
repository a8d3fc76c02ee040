"""``/api/generate``, ``/api/chat`` and ``/api/ps`` on a real ``mfc serve`` with the
SmolLM2 fixture model, through the official ``ollama`` client (sync and async) and raw
HTTP (httpx) for what the client does not show: the loaded-model registry (load on first
use, ``keep_alive: 0`` unloads, a load-time option reloads), Ollama's key order, the
load/unload shortcuts, capability errors and a client that goes away mid-stream."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import ollama
import pytest
from models import REPO, smollm2_gguf
from serving import running

import builder

FAST = {"num_predict": 8, "temperature": 0, "seed": 7}
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serve-generate")
    shutil.copy(REPO / "examples" / "smollm2" / "Modelfile", folder / "Modelfile")
    (folder / "SmolLM2-135M-Instruct.Q4_1.gguf").symlink_to(smollm2_gguf())
    builder.build(folder / "Modelfile", "assistant", store=folder / "store")
    return folder / "store"


@pytest.fixture(scope="module")
def url(store: Path) -> Iterator[str]:
    with running(store, store.parent / "serve.log") as base:
        yield base


def _loaded(url: str) -> list[str]:
    return [model["name"] for model in httpx.get(url + "/api/ps").json()["models"]]


def test_generate_with_and_without_stream(url: str) -> None:
    client = ollama.Client(host=url)
    whole = client.generate("assistant", "What is the capital of France?", options=FAST)
    assert whole.done and whole.done_reason in ("stop", "length") and whole.response
    assert whole.eval_count and whole.eval_count <= 8 and whole.context
    pieces = list(client.generate("assistant", "What is the capital of France?", options=FAST, stream=True))
    assert pieces[-1].done and not any(piece.done for piece in pieces[:-1])
    assert "".join(piece.response for piece in pieces) == whole.response  # temperature 0, the same seed


def test_chat_with_and_without_stream(url: str) -> None:
    client = ollama.Client(host=url)
    messages = [{"role": "user", "content": "Say hello."}]
    whole = client.chat("assistant", messages=messages, options=FAST)
    assert whole.message.role == "assistant" and whole.message.content and whole.done
    pieces = list(client.chat("assistant", messages=messages, options=FAST, stream=True))
    assert "".join(piece.message.content for piece in pieces) == whole.message.content


def test_async_client_generate_and_chat(url: str) -> None:
    async def both() -> tuple[str, str]:
        client = ollama.AsyncClient(host=url)
        generated = await client.generate("assistant", "Name a colour.", options=FAST)
        chatted = await client.chat("assistant", messages=[{"role": "user", "content": "Hi"}], options=FAST)
        return generated.response, chatted.message.content or ""

    generated, chatted = asyncio.run(both())
    assert generated and chatted


def test_format_with_a_json_schema_validates(url: str) -> None:
    client = ollama.Client(host=url)
    answer = client.chat(
        "assistant",
        messages=[{"role": "user", "content": "Paris: give the city and its population as JSON."}],
        format=SCHEMA,
        options={"num_predict": 64, "temperature": 0, "seed": 7},
    )
    jsonschema.validate(json.loads(answer.message.content or ""), SCHEMA)


def test_keys_in_ollamas_order(url: str) -> None:
    body = {"model": "assistant", "prompt": "Hi", "stream": False, "options": FAST}
    answer = httpx.post(url + "/api/generate", json=body, timeout=60).json()
    assert list(answer)[:6] == ["model", "created_at", "response", "done", "done_reason", "context"]
    lines = httpx.post(
        url + "/api/chat",
        json={**body, "prompt": None, "stream": True, "messages": [{"role": "user", "content": "Hi"}]},
        timeout=60,
    ).text.splitlines()
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    assert list(first) == ["model", "created_at", "message", "done"]
    assert list(last)[:5] == ["model", "created_at", "message", "done", "done_reason"]
    assert "context" not in last and last["total_duration"] > 0


def test_ps_load_shortcut_keep_alive_zero_and_reload(url: str) -> None:
    client = ollama.Client(host=url)
    client.generate("assistant", "", keep_alive=0)
    assert client.ps().models == []
    loaded = httpx.post(url + "/api/generate", json={"model": "assistant"}).json()
    assert (loaded["done"], loaded["done_reason"], loaded["response"]) == (True, "load", "")
    shown = client.ps().models
    assert [model.model for model in shown] == ["assistant:latest"] and shown[0].context_length == 2048
    client.generate("assistant", "Hi", options={**FAST, "num_ctx": 512})  # a load-time option: reloads
    assert client.ps().models[0].context_length == 512
    client.generate("assistant", "Hi", options={**FAST, "num_ctx": 512}, keep_alive=0)
    assert _loaded(url) == []
    unloaded = httpx.post(url + "/api/chat", json={"model": "assistant", "messages": [], "keep_alive": 0}).json()
    assert unloaded["done_reason"] == "unload" and unloaded["message"] == {"role": "assistant", "content": ""}


def test_errors_before_the_first_line(url: str) -> None:
    def post(route: str, body: dict[str, object]) -> tuple[int, str]:
        response = httpx.post(url + route, json=body, timeout=60)
        return response.status_code, response.json()["error"]

    assert post("/api/generate", {"model": "nope", "prompt": "x"}) == (404, "model 'nope' not found")
    assert post("/api/generate", {"prompt": "x"}) == (404, "model '' not found")
    assert post("/api/chat", {"messages": []}) == (400, "model is required")
    assert post("/api/chat", {"model": "a b"}) == (400, "invalid model name")
    assert post("/api/generate", {"model": "assistant", "prompt": "x", "keep_alive": "300"}) == (
        400,
        'time: missing unit in duration "300"',
    )
    assert post("/api/generate", {"model": "assistant", "prompt": "x", "think": "very"})[0] == 400
    assert post("/api/generate", {"model": "assistant", "prompt": "x", "format": 3}) == (
        500,
        'invalid format: "3"; expected "json" or a valid JSON Schema object',
    )
    assert post("/api/generate", {"model": "assistant", "prompt": "x", "raw": True, "system": "s"}) == (
        400,
        "raw mode does not support template, system, or context",
    )
    assert post("/api/generate", {"model": "assistant", "prompt": "x", "images": ["aGk="]})[0] == 500
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    assert post(
        "/api/chat", {"model": "assistant", "messages": [{"role": "user", "content": "x"}], "tools": tools}
    ) == (
        400,
        "registry.ollama.ai/library/assistant:latest does not support tools",
    )


def test_a_client_that_goes_away_frees_the_model(url: str) -> None:
    body = {"model": "assistant", "prompt": "Count to one hundred.", "options": {"num_predict": 2000}}
    with httpx.stream("POST", url + "/api/generate", json=body, timeout=60) as response:
        first = next(response.iter_lines())
        assert json.loads(first)["done"] is False
    # the cancelled generation gave the model back: the next request is answered at once
    answer = httpx.post(url + "/api/generate", json={**body, "stream": False, "options": FAST}, timeout=20).json()
    assert answer["done"] and answer["eval_count"] <= 8
