"""Ollama's own route tests (``../shared/vectors/api``) replayed against a real ``mfc
serve`` process: the cases of ``routes.json``, ``routes_list.json`` and
``routes_delete.json`` that the routes served so far can answer.  ``NOT_APPLIED`` lists
every other case of these files and why; a case in neither list fails, so that a new
vector is noticed."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving import running, tiny_model
from vectors import load_json

import builder
from builder.serve.errors import ApiError
from builder.serve.streaming import stream_response

FILES = ("routes.json", "routes_list.json", "routes_delete.json")

#: The cases not replayed here, and why.
NOT_APPLIED = {
    "case_insensitive_names": "replayed against a real registry in test_serve_registry.py",
    "show.projector_info": "mfc build does not store a projector layer yet",
    "show.template_selected": "a GGUF's Jinja chat template as the runtime template: with the renderers",
    "show.copilot_basename_overwrite": "needs create with remote_host and info (remote stubs)",
    "show.copilot_basename_empty_info": "needs create with remote_host (remote stubs)",
    "wait_for_stream.unknown_error": "Go's untyped progress channel: mfc's streams carry only dicts and errors",
    "wait_for_stream.unknown_type": "Go's untyped progress channel: mfc's streams carry only dicts and errors",
    **{
        f"normalize.{i}": "embedding normalisation is llama-cpp-python's, inside Runner.embed (no function to feed):"
        " /api/embed's unit norms are checked in test_serve_embed.py and test_ollama_client.py"
        for i in range(9)
    },
    **{
        f"filter_think_tags.{i}": "runs through /api/chat in test_serve_standin_vectors.py"
        " (and as a function in test_output_vectors.py)"
        for i in range(5)
    },
}

APPLIED = {
    "version",
    "tags.empty",
    "tags.one_model",
    "delete.ok",
    "delete.missing",
    "copy.ok",
    "show.params_and_model_info",
    "method_not_allowed",
    "wait_for_stream.error",
    "wait_for_stream.error_status",
    "wait_for_stream.success",
    "wait_for_stream.last_wins",
    "tags.names_and_capabilities",
    "delete.removes_unshared_blobs",
    "delete.duplicate_layers",
    "delete.cloud_suffix_maps_to_legacy_tag",
    "create.files_nonstream",  # in tests/test_serve_create.py, with routes_create.json
    "v1_models.empty",
    "v1_models.one_model",
    "v1_models.retrieve",
    "v1_models.matches_tags",
}


def vector(file: str, ident: str) -> dict[str, Any]:
    found: dict[str, Any] = next(v for v in load_json(f"api/{file}")["vectors"] if v["id"] == ident)
    return found


def test_every_case_is_applied_or_listed() -> None:
    ids = {v["id"] for file in FILES for v in load_json(f"api/{file}")["vectors"]}
    assert ids - APPLIED - set(NOT_APPLIED) == set()
    assert (APPLIED | set(NOT_APPLIED)) - ids == set()


# ---- one store with the models the cases create ------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vectors")
    store = root / "store"
    tiny_model(
        root / "show",
        store,
        "show-model",
        "PARAMETER seed 42\nPARAMETER top_p 0.9\nPARAMETER stop foo\nPARAMETER stop bar\n",
    )
    for name in ["model_to_delete", "hamshank", "gpt-oss:20b-cloud"] + vector(
        "routes_list.json", "tags.names_and_capabilities"
    )["created_names"]:
        builder.copy_model("show-model", name, store=store)
    return store


@pytest.fixture(scope="module")
def url(store: Path) -> Iterator[str]:
    with running(store, store.parent / "serve.log") as base:
        yield base


def call(url: str, request: dict[str, Any]) -> httpx.Response:
    return httpx.request(request["method"], url + request["path"], json=request.get("body"))


def test_version(url: str) -> None:
    case = vector("routes.json", "version")
    response = call(url, case["request"])
    assert (response.status_code, response.headers["content-type"]) == (
        case["expect"]["status"],
        case["expect"]["content_type"],
    )
    assert response.text == case["expect"]["body_exact_template"].replace("<VERSION>", response.json()["version"])


def test_names_listed(url: str) -> None:
    case = vector("routes_list.json", "tags.names_and_capabilities")
    response = call(url, case["request"])
    assert response.status_code == case["expect"]["status"]
    names = sorted(m["name"] for m in response.json()["models"])
    assert set(case["expect"]["sorted(models[].name)"]) <= set(names)
    for model in response.json()["models"]:
        assert case["expect"]["every_model_capabilities_contains"] in model["capabilities"]


def test_tags_one_model(url: str) -> None:
    case = vector("routes.json", "tags.one_model")
    response = call(url, case["request"])
    assert (response.status_code, response.headers["content-type"]) == (
        case["expect"]["status"],
        case["expect"]["content_type"],
    )
    assert case["expect"]["body_not_contains"] not in response.text


@pytest.mark.parametrize("ident", ["delete.ok", "delete.missing", "delete.cloud_suffix_maps_to_legacy_tag"])
def test_delete(url: str, store: Path, ident: str) -> None:
    case = vector("routes_delete.json" if ident.startswith("delete.cloud") else "routes.json", ident)
    response = call(url, case["request"])
    assert response.status_code == case["expect"]["status"]
    if "error_from_code" in case["expect"]:
        assert response.json() == {"error": case["expect"]["error_from_code"]}
    else:
        assert response.content == b""
        assert builder.show_json("show-model", store=store)  # the blobs other models use stay
    if ident.startswith("delete.cloud"):
        assert "gpt-oss:20b-cloud" not in [m.name for m in builder.list_models(store)]


def test_copy(url: str, store: Path) -> None:
    case = vector("routes.json", "copy.ok")
    response = call(url, case["request"])
    assert (response.status_code, response.content) == (case["expect"]["status_from_code"], b"")
    assert case["expect"]["model_created"] in [m.name for m in builder.list_models(store)]


def test_show(url: str) -> None:
    case = vector("routes.json", "show.params_and_model_info")
    response = call(url, case["request"])
    assert response.status_code == case["expect"]["status_from_code"]
    assert response.headers["content-type"] == case["expect"]["content_type"]
    shown = response.json()
    lines = sorted(" ".join(line.split()) for line in shown["parameters"].splitlines())
    assert lines == case["expect"]["parameters_lines_normalized_sorted"]
    assert shown["model_info"]["general.parameter_count"] == case["expect"]["model_info['general.parameter_count']"]


def test_v1_models_retrieve(url: str) -> None:
    case = vector("routes.json", "v1_models.retrieve")
    response = call(url, case["request"])
    assert (response.status_code, response.headers["content-type"]) == (
        case["expect"]["status"],
        case["expect"]["content_type"],
    )
    assert case["expect"]["json"].items() <= response.json().items()


def test_method_not_allowed(url: str) -> None:
    case = vector("routes.json", "method_not_allowed")
    assert call(url, case["request"]).status_code == case["expect"]["status"]


# ---- stores of their own --------------------------------------------------------------------


def test_tags_empty(tmp_path: Path) -> None:
    case = vector("routes.json", "tags.empty")
    with running(tmp_path / "store", tmp_path / "serve.log") as url:
        response = call(url, case["request"])
    assert (response.status_code, response.headers["content-type"]) == (
        case["expect"]["status"],
        case["expect"]["content_type"],
    )
    assert response.json() == case["expect"]["body_json_exact"]


def test_v1_models_empty_then_one_model(tmp_path: Path) -> None:
    empty, one = vector("routes.json", "v1_models.empty"), vector("routes.json", "v1_models.one_model")
    store = tmp_path / "store"
    with running(store, tmp_path / "serve.log") as url:
        response = call(url, empty["request"])
        assert (response.status_code, response.headers["content-type"]) == (200, empty["expect"]["content_type"])
        assert empty["expect"]["json"].items() <= response.json().items()
        assert len(response.json()["data"]) == empty["expect"]["data_len"]  # [] (Ollama: null)
        tiny_model(tmp_path / "m", store, "test-model")
        response = call(url, one["request"])
    assert (response.status_code, response.headers["content-type"]) == (200, one["expect"]["content_type"])
    data = response.json()["data"]
    assert len(data) == one["expect"]["data_len"]
    assert (data[0]["id"], data[0]["owned_by"]) == (one["expect"]["data[0].id"], one["expect"]["data[0].owned_by"])


def test_v1_models_match_tags(tmp_path: Path) -> None:
    case = vector("routes_list.json", "v1_models.matches_tags")
    store = tmp_path / "store"
    for name, when in (("older-model", 1000), ("newer-model", 2000)):  # 00:16:40 and 00:33:20 of 1970-01-01
        tiny_model(tmp_path / name, store, name)
        os.utime(store / "manifests" / "registry.ollama.ai" / "library" / name / "latest", (when, when))
    with running(store, tmp_path / "serve.log") as url:
        tags, models = (call(url, request).json() for request in case["request"]["sequence"])
    expect = case["expect"]
    assert (len(tags["models"]), len(models["data"])) == (expect["tags_len"], expect["v1_data_len"])
    for tag, model in zip(tags["models"], models["data"], strict=True):
        assert model["id"] == tag["model"]
        assert model["created"] == int(datetime.fromisoformat(tag["modified_at"]).timestamp())
    assert models["data"][0]["id"] == expect["v1_data[0].id"]


def manifests(store: Path) -> list[str]:
    return sorted(str(p.relative_to(store / "manifests")) for p in (store / "manifests").rglob("*") if p.is_file())


def blobs(store: Path) -> list[str]:
    return sorted(p.name for p in (store / "blobs").iterdir())


def test_delete_removes_unshared_blobs(tmp_path: Path) -> None:
    case = vector("routes_delete.json", "delete.removes_unshared_blobs")
    store = tmp_path / "store"
    tiny_model(tmp_path / "a", store, "test")
    tiny_model(tmp_path / "b", store, "test2", 'TEMPLATE "{{ .System }} {{ .Prompt }}"\n')
    first, second = case["request"]["sequence"][2:]
    expect = case["expect"]
    with running(store, tmp_path / "serve.log") as url:
        assert call(url, first).status_code == expect["each_delete_status"]
        assert manifests(store) == expect["after_first_delete"]["manifests"]
        assert len(blobs(store)) == expect["after_first_delete"]["blobs_kept"]
        assert call(url, second).status_code == expect["each_delete_status"]
    assert manifests(store) == expect["after_second_delete"]["manifests"]
    assert blobs(store) == expect["after_second_delete"]["blobs"]


def test_delete_duplicate_layers(tmp_path: Path) -> None:
    case = vector("routes_delete.json", "delete.duplicate_layers")
    store = tmp_path / "store"
    tiny_model(tmp_path / "a", store, "test")
    path = store / "manifests" / "registry.ollama.ai" / "library" / "test" / "latest"
    manifest = json.loads(path.read_bytes())
    manifest["layers"].append(manifest["config"])  # the config blob listed again as a layer
    path.write_text(json.dumps(manifest))
    with running(store, tmp_path / "serve.log") as url:
        assert call(url, case["request"]).status_code == case["expect"]["status"]
    assert manifests(store) == case["expect"]["manifests"]


# ---- stream:false collapse (pull, push, create) ----------------------------------------------


@pytest.mark.parametrize(
    "ident",
    ["wait_for_stream.error", "wait_for_stream.error_status", "wait_for_stream.success", "wait_for_stream.last_wins"],
)
def test_collapse(ident: str) -> None:
    case = vector("routes.json", ident)

    async def messages() -> AsyncIterator[dict[str, Any]]:
        for message in case["internal_messages"]:
            if "error" in message:
                raise ApiError(message.get("status", 500), message["error"])
            yield message

    response = asyncio.run(stream_response(messages(), stream=False))
    assert (response.status_code, bytes(response.body).decode()) == (
        case["expect"]["status"],
        case["expect"]["body_exact"],
    )
