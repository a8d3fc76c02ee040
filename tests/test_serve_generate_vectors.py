"""Ollama's ``routes_debug.json`` and ``routes_generate.json`` cases replayed through
httpx against a real ``mfc serve``, with the models their fixtures create built from
tiny GGUF files (no tensors: nothing here runs a model).  ``APPLIED`` are the cases
answered before a model would run (request checks, capability errors, the unload
shortcut, ``_debug_render_only``); ``NOT_APPLIED`` lists every other case and why (most
define the runner's output: they run with the stand-in runner of ``tests/standin.py`` in
``test_serve_standin_vectors.py``, which replays every case of these files)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from serving import running, tiny_model
from vectors import load_json

FILES = ("routes_debug.json", "routes_generate.json")

STAND_IN = "the runner's output is defined by the case: runs with the stand-in in test_serve_standin_vectors.py"
NOT_APPLIED = {
    **{
        f"{kind}.{case}.{mode}": STAND_IN
        for kind, case in (("generate", "debug_render_only_disabled"), ("chat", "chat_debug_render_only_disabled"))
        for mode in ("stream", "nostream")
    },
    **{
        ident: STAND_IN
        for ident in (
            "chat.think_false_on_non_thinking_model",
            "chat.load",
            "generate.load",
            "chat.messages",
            "chat.model_system",
            "chat.request_system",
            "chat.interleaved_system",
            "chat.tools_single_chunk",
            "chat.tools_streaming",
            "generate.prompt",
            "generate.model_system",
            "generate.request_system",
            "generate.request_template",
            "generate.suffix",
            "generate.no_suffix",
            "generate.raw",
            "generate.images_one",
            "generate.images_two",
            "generate.images_none",
            "chat.think_prompt_ends_in_tag.basic_thinking_response",
            "chat.think_prompt_ends_in_tag.thinking_with_multiple_sentences",
            "chat.think_prompt_ends_in_tag.no_thinking_content",
            "chat.think_streaming",
        )
    },
    "chat.runner_status_error_nonstream": "a runner error carrying a status (503): runs in test_serve_standin_vectors.py",
    "chat.runner_status_error_stream": "a runner error carrying a status (429): runs in test_serve_standin_vectors.py",
    "generate.runner_status_error_nonstream": "a runner error carrying a status (503): runs in test_serve_standin_vectors.py",
    "generate.runner_status_error_stream": "a runner error carrying a status (429): runs in test_serve_standin_vectors.py",
    "chat.tools_logprobs": "the runner's logprobs are defined by the case: runs in test_serve_standin_vectors.py",
    "generate.logprob_bytes": "the runner's logprobs are defined by the case: runs in test_serve_standin_vectors.py",
    "chat.logprob_bytes": "the runner's logprobs are defined by the case: runs in test_serve_standin_vectors.py",
    "generate.image_generation_model": "image-generation models: mfc builds no model with the image capability",
}


def _cases(file: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = load_json(f"api/{file}")["vectors"]
    return found


def _applied() -> list[Any]:
    return [
        pytest.param(file, case, id=case["id"])
        for file in FILES
        for case in _cases(file)
        if case["id"] not in NOT_APPLIED
    ]


def test_every_case_is_applied_or_listed() -> None:
    ids = {case["id"] for file in FILES for case in _cases(file)}
    assert set(NOT_APPLIED) <= ids


def _fixture(file: str, case: dict[str, Any]) -> str:
    """Which server answers the case: its fixture's models."""
    if file == "routes_debug.json":
        return str(case["fixture"])
    return "generate"


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("generate-vectors")
    debug = load_json("api/routes_debug.json")["fixtures"]
    fixtures = load_json("api/routes_generate.json")["fixtures"]
    chat_template = json.loads(debug["test-model-chat"].split("with template ")[1].split("; ")[0])
    generate_template = fixtures["generate-models"]["models"]["test"]["template"]
    llama = {"general.architecture": "llama", "llama.context_length": 8192}
    stores = {name: root / name for name in ("test-model-generate", "test-model-chat", "generate")}
    tiny_model(root / "g", stores["test-model-generate"], "test-model", 'TEMPLATE "{{ .Prompt }}"\n', **llama)
    tiny_model(root / "c", stores["test-model-chat"], "test-model", f'TEMPLATE """{chat_template}"""\n', **llama)
    tiny_model(root / "t", stores["generate"], "test", f'TEMPLATE """{generate_template}"""\n', **llama)
    tiny_model(root / "b", stores["generate"], "bert", "", **{"general.architecture": "bert", "bert.pooling_type": 0})
    with (
        running(stores["test-model-generate"], root / "g.log") as g,
        running(stores["test-model-chat"], root / "c.log") as c,
        running(stores["generate"], root / "t.log") as t,
    ):
        yield {"test-model-generate": g, "test-model-chat": c, "generate": t}


@pytest.mark.parametrize(("file", "case"), _applied())
def test_case(urls: dict[str, str], file: str, case: dict[str, Any]) -> None:
    request, expect = case["request"], case["expect"]
    url = urls[_fixture(file, case)] + request["path"]
    if "body_raw" in request:
        response = httpx.post(url, content=request["body_raw"].encode(), timeout=30)
    else:
        response = httpx.post(url, json=request["body"], timeout=30)
    assert response.status_code == expect["status"], response.text
    if "body_exact" in expect:
        assert response.text == expect["body_exact"]
    answer = json.loads(response.text.splitlines()[0])
    for key, value in expect.get("json", {}).items():
        assert answer[key] == value, key
    if expect.get("model_loaded") is False:
        assert httpx.get(urls[_fixture(file, case)] + "/api/ps").json() == {"models": []}
