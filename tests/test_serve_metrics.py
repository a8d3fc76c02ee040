"""``GET /metrics``: Prometheus' text format, counting requests by method, route template
and status, their durations, the loaded models, and generate's tokens and time to first
token; against a real ``mfc serve`` process (and a stand-in runner where a generation
is needed), and behind the API key when one is set."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from serving import running, tiny_model
from starlette.testclient import TestClient

from builder.generation import Done, Generation, TextChunk
from builder.serve import app
from builder.serve.models_loaded import LoadedModels

Scrape = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Scrape:
    """Each sample of a scrape by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests_total(scrape: Scrape, method: str, route: str, status: str) -> float:
    key = ("mfc_requests_total", (("method", method), ("route", route), ("status", status)))
    return scrape.get(key, 0.0)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve-metrics")
    tiny_model(root / "m", root / "store", "tiny")
    return root / "store"


def test_metrics_count_requests_by_route_template_and_status(store: Path, tmp_path: Path) -> None:
    with running(store, tmp_path / "log") as url:
        assert httpx.get(url + "/api/tags").status_code == 200
        assert httpx.get(url + "/api/tags").status_code == 200
        assert httpx.post(url + "/api/show", json={"model": "missing"}).status_code == 404
        assert httpx.head(url + "/api/blobs/sha256:" + "0" * 64).status_code == 404
        assert httpx.get(url + "/no/such/path").status_code == 404
        response = httpx.get(url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    scrape = samples(response.text)
    assert requests_total(scrape, "GET", "/api/tags", "200") == 2
    assert requests_total(scrape, "POST", "/api/show", "404") == 1
    assert requests_total(scrape, "HEAD", "/api/blobs/{digest}", "404") == 1  # the template, not the digest
    assert requests_total(scrape, "GET", "other", "404") == 1
    assert not any("/no/such/path" in str(labels) for _, labels in scrape)
    assert scrape[("mfc_request_duration_seconds_count", (("route", "/api/tags"),))] == 2
    assert scrape[("mfc_loaded_models", ())] == 0


def test_metrics_require_the_api_key_when_one_is_set(store: Path, tmp_path: Path) -> None:
    key = "metrics-key"
    with running(store, tmp_path / "log", "--api-key", key, key=key) as url:
        refused = httpx.get(url + "/metrics")
        assert refused.status_code == 401 and "mfc_requests_total" not in refused.text
        allowed = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {key}"})
    assert allowed.status_code == 200
    scrape = samples(allowed.text)
    assert requests_total(scrape, "GET", "/metrics", "401") >= 1  # refusals are counted too


@dataclass
class CountingStream:
    prompt: str = "p"
    request: Any = field(default_factory=lambda: type("R", (), {"tokens": (1, 2)})())

    def __iter__(self) -> Iterator[TextChunk | Done]:
        yield TextChunk("Hi")
        yield Done(Generation(model="m", response="Hi", prompt_eval_count=7, eval_count=3))

    def cancel(self) -> None:
        """Nothing to stop."""


class CountingRunner:
    capabilities = ("completion",)

    def __init__(self, name: str) -> None:
        self.name = name

    def require(self, action: str) -> None:
        """Every action is allowed."""

    def stream(self, messages: Any, **options: Any) -> CountingStream:
        return CountingStream()

    def close(self) -> None:
        """Nothing to free."""


def test_generate_counts_tokens_time_to_first_token_and_the_loaded_model(tmp_path: Path) -> None:
    tiny_model(tmp_path / "m", tmp_path / "store", "m", "", **{"general.architecture": "llama"})
    application = app(store=tmp_path / "store")
    application.state.models = LoadedModels(tmp_path / "store", loader=lambda store, name, o: CountingRunner(name))
    with TestClient(application) as client:
        for stream in (True, False):
            answer = client.post("/api/generate", json={"model": "m", "prompt": "hi", "stream": stream})
            assert answer.status_code == 200
        scrape = samples(client.get("/metrics").text)
    assert scrape[("mfc_tokens_total", (("direction", "in"),))] == 14
    assert scrape[("mfc_tokens_total", (("direction", "out"),))] == 6
    assert scrape[("mfc_time_to_first_token_seconds_count", ())] == 2
    assert scrape[("mfc_loaded_models", ())] == 1
    assert requests_total(scrape, "POST", "/api/generate", "200") == 2


def test_two_apps_in_one_process_keep_their_own_counts(tmp_path: Path) -> None:
    first, second = TestClient(app(store=tmp_path / "a")), TestClient(app(store=tmp_path / "b"))
    first.get("/api/tags")
    assert requests_total(samples(first.get("/metrics").text), "GET", "/api/tags", "200") == 1
    assert requests_total(samples(second.get("/metrics").text), "GET", "/api/tags", "200") == 0
