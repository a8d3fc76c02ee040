"""Every ``http`` case of ``../shared/vectors/api/routes_generate.json``,
``routes_debug.json`` and ``routes_parse_error.json`` replayed through the real app
(``builder.serve.app``, Starlette's ``TestClient``) with the stand-in backend of
``tests/standin.py`` in place of llama.cpp: it answers what the case's ``runner`` says
and records the prompt it received.  Each case checks everything its ``expect`` states
(status, exact body, fields of the answer, the prompt, counts, ``done_reason``, tool calls,
thinking, whether the model stays loaded); an ``expect`` key this file does not know
fails, so that a new kind of check is noticed.

``SKIPPED`` lists the cases that do not run, each with its reason.  The cases that need
no runner also run against a real ``mfc serve`` in ``test_serve_generate_vectors.py``.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serving import tiny_model
from standin import StandIn
from starlette.testclient import TestClient
from vectors import PINNED, SHARED, find, load_json, vector_params

from builder.serve import app

FILES = ("routes_generate.json", "routes_debug.json", "routes_parse_error.json")

SKIPPED = {
    "routes_generate.json:generate.images_one": (
        "images reach only a vision model's runner: mfc refuses them for a text-only model"
        " (Ollama's 500 'this model is missing data required for image input', test_serve_generate.py)"
        " and builds no model with a projector yet"
    ),
    "routes_generate.json:generate.images_two": "as generate.images_one: needs a vision model",
    "routes_generate.json:generate.image_generation_model": (
        "image-generation models (a manifest with only a config blob, capabilities ['image']):"
        " mfc builds none, and its store reads a model without a model layer as an error"
    ),
}

LLAMA = {"general.architecture": "llama", "llama.context_length": 8192}


def _found(file: str) -> list[dict[str, Any]]:
    """The vectors of ``api/<file>``; none when the file is in neither vector folder."""
    return list(load_json(f"api/{file}")["vectors"]) if find(f"api/{file}") else []


def _cases() -> list[Any]:
    cases = []
    for file in FILES:
        if find(f"api/{file}") is None:
            reason = f"vector api/{file} not found in {SHARED} or {PINNED} (set MFC_VECTORS)"
            cases.append(pytest.param(file, None, id=file, marks=pytest.mark.skip(reason=reason)))
        for case in _found(file):
            ident = f"{file}:{case['id']}"
            marks = [pytest.mark.skip(reason=SKIPPED[ident])] if ident in SKIPPED else []
            cases.append(pytest.param(file, case, id=ident, marks=marks))
    return cases


def test_skips_name_real_cases() -> None:
    idents = {f"{file}:{case['id']}" for file in FILES for case in _found(file)}
    assert set(SKIPPED) <= idents or find("api/routes_generate.json") is None


@pytest.mark.parametrize("file", ["routes_options.json", "routes_parse_error.json", "routes_generate.json"])
def test_pinned_copies_match_shared(file: str) -> None:
    """The copies in fixtures/vectors/api are the shared files, where those are present."""
    shared, pinned = SHARED / "api" / file, PINNED / "api" / file
    if not shared.exists():
        pytest.skip(f"shared api/{file} not found: nothing to compare the pinned copy with")
    assert json.loads(pinned.read_text(encoding="utf-8")) == json.loads(shared.read_text(encoding="utf-8"))


# ---- the models of the fixtures, one store (and app) per fixture ----------------------------


def _modelfile(template: str | None = None, system: str | None = None, parser: str | None = None) -> str:
    lines = []
    if template is not None:
        lines.append(f'TEMPLATE """{template}"""')
    if system is not None:
        lines.append(f'SYSTEM """{system}"""')
    if parser is not None:
        lines.append(f"PARSER {parser}")
    return "".join(f"{line}\n" for line in lines)


def _stores(root: Path) -> dict[str, dict[str, str]]:
    """fixture -> model name -> Modelfile lines (all on the vectors' llama-mini GGUF)."""
    generate = load_json("api/routes_generate.json")["fixtures"]
    debug = load_json("api/routes_debug.json")["fixtures"]
    chat = generate["chat-models"]["models"]
    gen = generate["generate-models"]["models"]
    thinking = generate["thinking-model"]["models"]["test-thinking"]["template"]
    debug_chat = json.loads(debug["test-model-chat"].split("with template ")[1].split("; ")[0])
    system = chat["test-system"]["system"]
    return {
        "chat-models": {
            "test": _modelfile(chat["test"]["template"]),
            "test-system": _modelfile(chat["test"]["template"], system),
        },
        "generate-models": {
            "test": _modelfile(gen["test"]["template"]),
            "test-system": _modelfile(gen["test"]["template"], gen["test-system"]["system"]),
            "test-suffix": _modelfile(gen["test-suffix"]["template"]),
        },
        "thinking-model": {"test-thinking": _modelfile(thinking)},
        "no-template": {"test": ""},
        "none": {},
        "test-model-generate": {"test-model": _modelfile("{{ .Prompt }}")},
        "test-model-chat": {"test-model": _modelfile(debug_chat)},
        "parser": {"parse-wedge": _modelfile(parser="qwen3.5"), "parse-wedge-gen": _modelfile(parser="qwen3.5")},
        "logprob-bytes": {
            "test-logprob-bytes": _modelfile("{{ .Prompt }}"),
            "test-chat-logprob-bytes": _modelfile("{{- range .Messages }}{{ .Role }}: {{ .Content }}\n{{ end }}"),
        },
    }


def _fixture(case: dict[str, Any]) -> str:
    fixture = str(case.get("fixture", ""))
    if fixture.startswith("llama-mini as model test (no template)"):
        return "no-template"
    if fixture.startswith("none"):
        return "none"
    if "parser" in fixture:
        return "parser"
    if "logprob-bytes" in fixture:
        return "logprob-bytes"
    return fixture


class Server:
    """An app on one store with its stand-in backend."""

    def __init__(self, client: TestClient, backend: StandIn) -> None:
        self.client = client
        self.backend = backend


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    root = tmp_path_factory.mktemp("standin-vectors")
    found: dict[str, Server] = {}
    bert = {"general.architecture": "bert", "bert.pooling_type": 0}
    with contextlib.ExitStack() as stack:
        for fixture, models in {**_stores(root), "bert-embed": {}}.items():
            store = root / fixture / "store"
            store.mkdir(parents=True)
            for name, modelfile in models.items():
                tiny_model(root / fixture / name, store, name, modelfile, **LLAMA)
            if fixture == "bert-embed":
                tiny_model(root / fixture / "bert", store, "bert", "", **bert)
            backend = StandIn(context_length=4096)
            client = stack.enter_context(TestClient(app(store=store, loader=backend.loader)))
            found[fixture] = Server(client, backend)
        yield found


# ---- the checks ---------------------------------------------------------------------------


def _objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects of a body: one (``stream: false``) or a line each (NDJSON)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _subset(value: Any, expected: Any) -> bool:
    """``expected`` is in ``value``: dicts as deep subsets, numbers by value, the rest equal."""
    if isinstance(expected, dict):
        return isinstance(value, dict) and all(k in value and _subset(value[k], v) for k, v in expected.items())
    return bool(value == expected)


def _messages(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line["message"] for line in objects if "message" in line]


def _calls(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [call for message in _messages(objects) for call in message.get("tool_calls", ())]


def _check(key: str, expected: Any, objects: list[dict[str, Any]], server: Server, case: dict[str, Any]) -> None:
    last = objects[-1]
    received = server.backend.received
    if key == "json":
        assert _subset(last, expected), last
    elif key in ("status", "body_exact", "content_type"):
        pass  # checked on the response itself
    elif key == "handler_returns":  # the error ended the request and gave the model back
        assert expected is True and set(last) == {"error"} and last["error"]
        server.backend.script = {"content": "again"}
        body = {**case["request"]["body"], "stream": False}
        again = server.client.post(case["request"]["path"], json=body).json()
        answer = again.get("message", again)
        assert (
            again["done"] and answer.get("thinking", "") + answer.get("content", again.get("response", "")) == "again"
        )
    elif key == "prompt":
        assert received and received[-1].prompt == expected
    elif key == "prompt_suffix":
        assert received and received[-1].prompt.endswith(expected)
    elif key == "done":
        assert last["done"] is expected
    elif key == "done_reason":
        assert last["done_reason"] == expected
    elif key == "nonzero":
        assert all(last[field] > 0 for field in expected), {field: last.get(field) for field in expected}
    elif key == "context":
        assert expected == "non-null array" and isinstance(last["context"], list)
        assert last["context"][: len(received[-1].tokens)] == list(received[-1].tokens)
    elif key == "error_contains":
        assert expected in last["error"]
    elif key == "model_loaded":
        loaded = [entry["name"] for entry in server.client.get("/api/ps").json()["models"]]
        assert bool(loaded) is expected, loaded
    elif key == "runner_media":
        assert received[-1].extra.get("images", []) == expected
    elif key.startswith("first_line.message.tool_calls[0]"):
        call = objects[0]["message"]["tool_calls"][0]
        assert call["id"].startswith(expected["id_prefix"]) and call["function"] == expected["function"]
    elif key == "every_tool_call_id_prefix":
        calls = _calls(objects)
        assert calls and all(call["id"].startswith(expected) for call in calls)
    elif key == "done_line.tool_calls_len":
        assert len(_calls(objects)) == expected and len(last["message"].get("tool_calls", ())) == expected
    elif key == "done_line.message.tool_calls[0].function":
        function = dict(last["message"]["tool_calls"][0]["function"])
        function.pop("index", None)
        assert function == expected
    elif key.startswith("message."):
        assert last["message"].get(key.split(".")[1], "") == expected
    elif key.startswith("concat(message."):
        field = key.removeprefix("concat(message.").removesuffix(")")
        assert "".join(message.get(field, "") for message in _messages(objects)) == expected
    elif key == "total_logprobs_over_all_lines":
        assert sum(len(line.get("logprobs", ())) for line in objects) == expected
    elif key == "logprobs_len":
        assert len(last["logprobs"]) == expected
    elif key == "logprobs[0].bytes":
        assert last["logprobs"][0]["bytes"] == expected
    elif key == "logprobs[0].top_logprobs[*].bytes":
        assert [top["bytes"] for top in last["logprobs"][0]["top_logprobs"]] == expected
    else:
        raise AssertionError(f"{case['id']}: expect key {key!r} is not checked here")


@pytest.mark.parametrize(("file", "case"), _cases())
def test_case(servers: dict[str, Server], file: str, case: dict[str, Any]) -> None:
    server = servers[_fixture(case)]
    request, expect = case["request"], case["expect"]
    server.backend.script = case.get("runner", {})
    server.backend.received.clear()
    if "body_raw" in request:
        response = server.client.post(request["path"], content=request["body_raw"].encode())
    else:
        response = server.client.post(request["path"], json=request["body"])
    assert response.status_code == expect["status"], response.text
    if "body_exact" in expect:
        assert response.text == expect["body_exact"]
    if "content_type" in expect:
        assert response.headers["content-type"] == expect["content_type"]
    objects = _objects(response.text)
    if expect["status"] < 400:
        assert all("error" not in line for line in objects), objects
    for key, value in expect.items():
        _check(key, value, objects, server, case)


@pytest.mark.parametrize("when", ["open", "read"])
@pytest.mark.parametrize("stream", [True, False])
def test_runner_error_keeps_its_status(servers: dict[str, Server], when: str, stream: bool) -> None:
    """A backend that fails before any output, whether when the stream is opened or when it
    is first read: the error's status and text, never a 200 with an error line."""
    server = servers["chat-models"]
    server.backend.script, server.backend.when = {"error": {"status": 503, "message": "model is overloaded"}}, when
    try:
        for route, body in (
            ("/api/chat", {"messages": [{"role": "user", "content": "Hi"}]}),
            ("/api/generate", {"prompt": "Hi"}),
        ):
            answer = server.client.post(route, json={"model": "test", "stream": stream, **body})
            assert (answer.status_code, answer.text) == (503, '{"error":"model is overloaded"}')
    finally:
        server.backend.when = "read"


# ---- ../shared/vectors/tools/chat_pipeline.json, end to end through /api/chat -----------------

PIPELINE = "tools/chat_pipeline.json"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("standin-pipeline")
    for name, template in load_json(PIPELINE)["fixtures"]["templates"].items():
        tiny_model(root / name, root / "store", name.replace("_", "-"), _modelfile(template["template"]), **LLAMA)
    backend = StandIn(context_length=4096)
    with TestClient(app(store=root / "store", loader=backend.loader)) as client:
        yield Server(client, backend)


def _parts(message: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
    """A line's message as (content, thinking, calls without their random ids)."""
    calls = [call["function"] for call in message.get("tool_calls", ())]
    return message.get("content", ""), message.get("thinking", ""), calls


@pytest.mark.parametrize("vector", vector_params(PIPELINE))
def test_chat_pipeline_through_the_route(pipeline: Server, vector: dict[str, Any]) -> None:
    """What /api/chat streams for the runner's chunks.  mfc's runner gives the text of the
    last chunk before its ``Done``, so a vector's done line that carries text is the same
    answer as mfc's text line followed by an empty done line: the lines are compared
    without their empty ones, then the last must be the one done line."""
    pipeline.backend.script = {"chunks": vector["runner_chunks"]}
    tools = [
        {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}} for name in vector["tools"]
    ]
    body: dict[str, Any] = {
        "model": vector["template"].replace("_", "-"),
        "messages": [{"role": "user", "content": "What's the weather in Seattle?"}],
        **({"tools": tools} if tools else {}),
        **({"think": vector["think"]} if vector["think"] is not None else {}),
    }
    response = pipeline.client.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    lines = _objects(response.text)
    tail = vector["prompt_tail"].split()
    assert not tail or pipeline.backend.last.prompt.rstrip().endswith(tail[-1])
    got = [_parts(line["message"]) for line in lines]
    expected = [_parts(line) for line in vector["expect_lines"]]
    assert [part for part in got if part != ("", "", [])] == [part for part in expected if part != ("", "", [])]
    assert [line["done"] for line in lines] == [False] * (len(lines) - 1) + [True]
    assert all(
        re.fullmatch(r"call_[a-z0-9]{8}", call["id"])
        for line in lines
        for call in line["message"].get("tool_calls", ())
    )


def test_a_builtin_parser_splits_generate_and_chat(tmp_path: Path) -> None:
    """A model with ``PARSER qwen3-thinking``: the parser's support adds the tools and
    thinking capabilities (``think: true`` is accepted), and its thinking is split off in
    both routes, streamed and not (Ollama's GenerateHandler and ChatHandler both use it)."""
    tiny_model(tmp_path / "m", tmp_path / "store", "q", "PARSER qwen3-thinking\n", **LLAMA)
    backend = StandIn()
    backend.script = {"chunks": [{"content": "<think>hm"}, {"content": "</think>Hi"}, {"content": " there"}]}
    with TestClient(app(store=tmp_path / "store", loader=backend.loader)) as client:
        whole = client.post("/api/generate", json={"model": "q", "prompt": "x", "stream": False}).json()
        assert (whole["response"], whole["thinking"]) == ("Hi there", "hm")
        assert list(whole)[:5] == ["model", "created_at", "response", "thinking", "done"]
        lines = _objects(client.post("/api/generate", json={"model": "q", "prompt": "x"}).text)
        assert "".join(line.get("thinking", "") for line in lines) == "hm"
        assert "".join(line["response"] for line in lines) == "Hi there" and lines[-1]["done"]
        chat = {"model": "q", "messages": [{"role": "user", "content": "x"}], "stream": False}
        answer = client.post("/api/chat", json=chat).json()["message"]
        assert (answer["content"], answer["thinking"]) == ("Hi there", "hm")
        assert client.post("/api/show", json={"model": "q"}).json()["capabilities"] == [
            "completion",
            "tools",
            "thinking",
        ]
        thought = client.post("/api/chat", json={**chat, "think": True}).json()["message"]
        assert (thought["content"], thought["thinking"]) == ("Hi there", "hm")
        raw = client.post("/api/generate", json={"model": "q", "prompt": "x", "raw": True, "stream": False}).json()
        assert raw["response"] == "<think>hm</think>Hi there" and "thinking" not in raw


@pytest.mark.parametrize(
    "vector",
    [
        param
        for param in vector_params("api/routes.json", "function")
        if param.values[0] is None or param.values[0]["id"].startswith("filter_think_tags.")
    ],
)
def test_filter_think_tags_in_the_prompt(tmp_path: Path, vector: dict[str, Any]) -> None:
    """routes.json's ``filter_think_tags`` cases through /api/chat: the prompt the backend
    receives for the case's messages (and the one ``_debug_render_only`` shows) is the
    prompt of the messages the case expects, for a model of the case's family or name."""
    model = vector["model"]
    name = model["name"].rsplit("/", 1)[-1].split(":")[0] if "name" in model else "m"
    architecture = {"general.architecture": model.get("model_family", "llama")}
    template = "{{- range .Messages }}{{ .Role }}: {{ .Content }}\n{{ end }}"
    tiny_model(tmp_path / "m", tmp_path / "store", name, _modelfile(template), **architecture)
    backend = StandIn()
    with TestClient(app(store=tmp_path / "store", loader=backend.loader)) as client:

        def prompt(messages: list[dict[str, Any]]) -> str:
            body = {"model": name, "messages": messages, "stream": False}
            assert client.post("/api/chat", json=body).status_code == 200
            debug = client.post("/api/chat", json={**body, "_debug_render_only": True}).json()
            assert debug["_debug_info"]["rendered_template"] == backend.last.prompt
            return backend.last.prompt

        filtered = prompt(vector["input"])
        assert filtered == prompt(vector["expect"]["messages"])
        pairs = zip(vector["input"], vector["expect"]["messages"], strict=True)
        assert all(given["content"] not in filtered for given, kept in pairs if given != kept)


def test_generate_splits_thinking_as_chat_does(servers: dict[str, Server]) -> None:
    """The thinking-model fixture (a Go template whose prompt ends in ``<think>``) through
    /api/generate: thinking on (asked or by default) splits it off, ``think: false`` and
    raw mode do not."""
    server = servers["thinking-model"]
    server.backend.script = {"content": " Let me think... </think> The answer is 42."}
    body = {"model": "test-thinking", "prompt": "Solve it", "stream": False}
    for think in (True, None):
        asked = {**body, "think": think} if think is not None else body
        answer = server.client.post("/api/generate", json=asked).json()
        assert (answer["thinking"], answer["response"]) == ("Let me think... ", "The answer is 42.")
        assert server.backend.last.prompt.endswith("<think>")
    plain = server.client.post("/api/generate", json={**body, "think": False}).json()
    assert plain["response"] == " Let me think... </think> The answer is 42." and "thinking" not in plain
    raw = server.client.post("/api/generate", json={**body, "raw": True}).json()
    assert raw["response"] == " Let me think... </think> The answer is 42." and "thinking" not in raw
    lines = _objects(server.client.post("/api/generate", json={**body, "stream": True}).text)
    assert "".join(line.get("thinking", "") for line in lines) == "Let me think... "
    assert "".join(line["response"] for line in lines) == "The answer is 42."


def test_keep_alive_zero_closes_the_runner_after_its_answer(servers: dict[str, Server]) -> None:
    server = servers["generate-models"]
    server.backend.script = {"content": "Bye"}
    body = {"model": "test-system", "prompt": "Hello!", "stream": False, "keep_alive": 0}
    assert server.client.post("/api/generate", json=body).json()["response"] == "Bye"
    assert server.backend.closed[-1] == "test-system:latest"
    assert "test-system:latest" not in [entry["name"] for entry in server.client.get("/api/ps").json()["models"]]
