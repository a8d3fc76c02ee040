"""The scheduler and graceful shutdown on a real ``mfc serve`` with the SmolLM2 fixture
built under two names: ``OLLAMA_MAX_LOADED_MODELS=1`` keeps only the latest model
loaded, a full load queue answers 503 with Ollama's text (through the official
client's ``ResponseError``), and SIGTERM during a streamed generation ends the stream
with complete JSON lines, lets a non-streamed request finish, and exits 0."""

from __future__ import annotations

import json
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import ollama
import pytest
from models import REPO, smollm2_gguf
from prometheus_client.parser import text_string_to_metric_families
from serving import running, serving_process

import builder
from builder.serve.scheduler import BUSY
from builder.serve.shutdown import SHUTTING_DOWN
from modelfile.gguf_metadata import read_metadata

FAST = {"num_predict": 8, "temperature": 0, "seed": 7}
LONG = {"model": "first", "prompt": "Count from one to one thousand.", "options": {"num_predict": 4000}}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serve-scheduler")
    shutil.copy(REPO / "examples" / "smollm2" / "Modelfile", folder / "Modelfile")
    (folder / "SmolLM2-135M-Instruct.Q4_1.gguf").symlink_to(smollm2_gguf())
    for name in ("first", "second"):
        builder.build(folder / "Modelfile", name, store=folder / "store")
    return folder / "store"


def expected_size(num_ctx: int) -> int:
    """The GGUF file and an f16 KV cache of ``num_ctx`` positions, from its metadata."""
    meta = read_metadata(smollm2_gguf()).metadata
    arch = meta["general.architecture"]
    head_dim = meta[f"{arch}.embedding_length"] // meta[f"{arch}.attention.head_count"]
    per_position = meta[f"{arch}.block_count"] * meta[f"{arch}.attention.head_count_kv"] * head_dim * 2 * 2
    return smollm2_gguf().stat().st_size + num_ctx * per_position


def loaded(url: str) -> list[str]:
    return [model["name"] for model in httpx.get(url + "/api/ps").json()["models"]]


def gauge(url: str, name: str) -> float:
    for family in text_string_to_metric_families(httpx.get(url + "/metrics").text):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    raise AssertionError(f"{name} is not in /metrics")


def wait_until(check: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.05)


def test_one_model_at_a_time_and_a_full_queue_is_503(store: Path, tmp_path: Path) -> None:
    env = {"OLLAMA_MAX_LOADED_MODELS": "1", "OLLAMA_MAX_QUEUE": "0", "OLLAMA_NUM_PARALLEL": "3"}
    with running(store, tmp_path / "serve.log", env=env) as url:
        client = ollama.Client(host=url)
        client.generate("first", "")
        assert loaded(url) == ["first:latest"]
        # the Modelfile's num_ctx in each of the 3 sequence slots, as Ollama sizes a runner
        assert httpx.get(url + "/api/ps").json()["models"][0]["size"] == expected_size(2048 * 3)
        client.generate("second", "")
        assert loaded(url) == ["second:latest"]  # the limit unloaded the first

        answers: list[Any] = []
        with httpx.stream("POST", url + "/api/generate", json=LONG, timeout=120) as stream:
            lines = stream.iter_lines()
            assert json.loads(next(lines))["done"] is False  # "first" is loaded and busy
            waiting = threading.Thread(
                target=lambda: answers.append(client.generate("second", "Hi", options=FAST)), daemon=True
            )
            waiting.start()  # needs "first" gone: waits in the queue for its stream to end
            wait_until(lambda: gauge(url, "mfc_queue_depth") == 1, "the request for second queues")
            with pytest.raises(ollama.ResponseError) as refused:
                client.generate("first", "Hi", options={**FAST, "num_ctx": 256})  # a reload: queues too
            assert (refused.value.status_code, refused.value.error) == (503, BUSY)
            assert loaded(url) == ["first:latest"]
        waiting.join(120)  # the stream was closed: "first" drains, "second" loads
        assert answers and answers[0].done
        assert loaded(url) == ["second:latest"]
        assert gauge(url, "mfc_queue_depth") == 0


def test_sigterm_ends_streams_cleanly_lets_requests_finish_and_exits_0(store: Path, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    answers: list[httpx.Response] = []
    with serving_process(store, log, env={"MFC_SHUTDOWN_GRACE": "60s"}) as (url, process):
        with httpx.stream("POST", url + "/api/generate", json=LONG, timeout=120) as stream:
            lines = stream.iter_lines()
            seen = [next(lines)]
            assert json.loads(seen[0])["done"] is False
            body = {"model": "second", "prompt": "Hi", "stream": False, "options": {**FAST, "num_predict": 16}}
            other = threading.Thread(
                target=lambda: answers.append(httpx.post(url + "/api/generate", json=body, timeout=120)), daemon=True
            )
            other.start()
            wait_until(lambda: "second:latest" in loaded(url), "the non-streamed request holds its model")
            process.send_signal(signal.SIGTERM)
            seen += list(lines)
        other.join(120)
        code = process.wait(timeout=45)  # less than the grace: the stream did not hold the stop up
    records = [json.loads(line) for line in seen]  # every line is whole JSON
    assert records[-1] == {"error": SHUTTING_DOWN} or records[-1]["done"] is True
    assert all(record.get("done") is False for record in records[:-1])
    assert len(answers) == 1 and answers[0].status_code == 200 and answers[0].json()["done"] is True
    assert code == 0, log.read_text()
