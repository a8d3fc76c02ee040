"""Parallel requests through a real ``mfc serve`` on the SmolLM2 fixture: four streaming
chats at once all complete with the answers they get alone, on one loaded model; a
client that goes away mid-stream frees its slot for the next request (one slot:
``OLLAMA_NUM_PARALLEL=1``); ``logprobs`` reach the NDJSON lines in Ollama's shape."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from models import smollm2_gguf
from serving import running

import builder

GREEDY = {"temperature": 0, "num_predict": 24}
QUESTIONS = (
    "What is the capital of France?",
    "What is 2+2?",
    "Name three colors.",
    "Why is the sky blue?",
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serve-batching")
    (folder / "Modelfile").write_text(f"FROM {smollm2_gguf()}\nPARAMETER num_ctx 2048\n")
    builder.build(folder / "Modelfile", "smol", store=folder / "store")
    return folder / "store"


@pytest.fixture(scope="module")
def url(store: Path) -> Iterator[str]:
    with running(store, store.parent / "serve.log", env={"OLLAMA_NUM_PARALLEL": "4"}) as base:
        yield base


def _chat_stream(url: str, question: str, **extra: Any) -> list[dict[str, Any]]:
    body = {"model": "smol", "messages": [{"role": "user", "content": question}], "options": GREEDY, **extra}
    with httpx.stream("POST", url + "/api/chat", json=body, timeout=300) as response:
        assert response.status_code == 200
        return [json.loads(line) for line in response.iter_lines()]


def _content(lines: list[dict[str, Any]]) -> str:
    return "".join(line["message"]["content"] for line in lines)


def test_four_streaming_chats_at_once_complete_on_one_model(url: str) -> None:
    alone = [_content(_chat_stream(url, question)) for question in QUESTIONS]
    assert "Paris" in alone[0]
    results: dict[int, list[dict[str, Any]]] = {}
    loaded: list[list[str]] = []

    def ask(index: int) -> None:
        results[index] = _chat_stream(url, QUESTIONS[index])

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    loaded.append([entry["name"] for entry in httpx.get(url + "/api/ps", timeout=30).json()["models"]])
    for thread in threads:
        thread.join(timeout=300)
    assert len(results) == 4
    for index, lines in results.items():
        assert lines[-1]["done"] is True and lines[-1]["done_reason"] in ("stop", "length")
        assert all(line["done"] is False for line in lines[:-1]) and len(lines) > 2  # streamed
        assert _content(lines) == alone[index]
    loaded.append([entry["name"] for entry in httpx.get(url + "/api/ps", timeout=30).json()["models"]])
    assert loaded == [["smol:latest"], ["smol:latest"]]


def test_logprobs_ride_on_the_lines_in_ollamas_shape(url: str) -> None:
    lines = _chat_stream(url, QUESTIONS[0], logprobs=True, top_logprobs=2)
    text_lines = [line for line in lines if line["message"]["content"]]
    assert text_lines and all("logprobs" in line for line in text_lines)
    assert list(text_lines[0]) == ["model", "created_at", "message", "done", "logprobs"]
    entry = text_lines[0]["logprobs"][0]
    assert list(entry) == ["token", "logprob", "bytes", "top_logprobs"]
    assert entry["bytes"] == list(entry["token"].encode()) and len(entry["top_logprobs"]) == 2
    assert entry["top_logprobs"][0]["token"] == entry["token"]  # greedy
    body = {"model": "smol", "prompt": QUESTIONS[0], "options": GREEDY, "stream": False, "logprobs": True}
    answer = httpx.post(url + "/api/generate", json=body, timeout=300).json()
    assert "".join(item["token"] for item in answer["logprobs"]) == answer["response"]
    assert list(answer)[-1] == "logprobs" and "top_logprobs" not in answer["logprobs"][0]
    assert answer["eval_count"] in (len(answer["logprobs"]), len(answer["logprobs"]) + 1)  # + end of generation
    plain = httpx.post(url + "/api/generate", json={**body, "logprobs": False}, timeout=300).json()
    assert "logprobs" not in plain


def test_a_client_that_goes_away_frees_the_only_slot(store: Path) -> None:
    with running(store, store.parent / "one.log", env={"OLLAMA_NUM_PARALLEL": "1"}) as base:
        long = {
            "model": "smol",
            "prompt": "Count from 1 to 1000, separated by commas.",
            "options": {"temperature": 0, "num_predict": 1500},
        }
        with httpx.stream("POST", base + "/api/generate", json=long, timeout=300) as response:
            lines = response.iter_lines()
            seen = [json.loads(next(lines)) for _ in range(6)]
        assert all(line["done"] is False for line in seen)
        first = _parse_time(seen[0]["created_at"])
        per_token = (_parse_time(seen[-1]["created_at"]) - first) / 5
        short = {"model": "smol", "prompt": "What is 2+2?", "options": {"temperature": 0, "num_predict": 3}}
        answer = httpx.post(base + "/api/generate", json={**short, "stream": False}, timeout=300).json()
    assert answer["done"] is True and answer["eval_count"] == 3
    # Had the first request kept the only slot, this one would have waited for ~1,400
    # more tokens; it waited for the slot less than 100 tokens' time.
    waited = answer["prompt_eval_duration"] / 1e9
    assert waited < 100 * max(per_token, 0.001)


def _parse_time(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
