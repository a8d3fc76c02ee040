"""The OpenAI layer (``/v1``) through the official ``openai`` client (sync and async)
against a real ``mfc serve``: the SmolLM2 fixture as the chat model (``assistant``,
from examples/smollm2), a model on the same weights whose template supports tools
(``toolsy``, below), and all-MiniLM-L6-v2 built from its safetensors (``minilm``).
Raw HTTP (httpx) checks what the client hides: content types, the SSE frames, the
error objects.  A failure in the middle of a stream is replayed with a stand-in runner
(the app served by uvicorn in this process), since a real model does not fail on cue."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import openai
import pytest
import uvicorn
from hf_fixtures import minilm_folder
from models import REPO, smollm2_gguf
from serving import free_port, running, tiny_model

import builder
from builder.errors import RunError
from builder.generation import TextChunk
from builder.manifest import Config
from builder.serve import app
from builder.serve.models_loaded import LoadedModels

#: A ChatML template with tools, in the shape of Qwen 2.5's: the tools in the system
#: turn, calls as ``<tool_call>{…}</tool_call>``, results as ``tool`` turns.  Two worked
#: examples make the 135M model call the tool when asked, and answer from its result.
TOOLS_TEMPLATE = """{{- if .Tools }}<|im_start|>system
You are a helpful assistant with tools. To use a tool, reply with <tool_call>{"name": ..., "arguments": {...}}</tool_call>.
<tools>
{{- range .Tools }}
{{ json . }}
{{- end }}
</tools><|im_end|>
<|im_start|>user
What is the weather in Tokyo?<|im_end|>
<|im_start|>assistant
<tool_call>{"name": "get_weather", "arguments": {"city": "Tokyo"}}</tool_call><|im_end|>
<|im_start|>tool
{"city": "Tokyo", "temperature": 18}<|im_end|>
<|im_start|>assistant
It is 18 degrees in Tokyo.<|im_end|>
<|im_start|>user
What is the weather in Berlin?<|im_end|>
<|im_start|>assistant
<tool_call>{"name": "get_weather", "arguments": {"city": "Berlin"}}</tool_call><|im_end|>
<|im_start|>tool
{"city": "Berlin", "temperature": 12}<|im_end|>
<|im_start|>assistant
It is 12 degrees in Berlin.<|im_end|>
{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "assistant" }}<|im_start|>assistant
{{ if .ToolCalls }}{{ range .ToolCalls }}<tool_call>{"name": "{{ .Function.Name }}", "arguments": {{ json .Function.Arguments }}}</tool_call>{{ end }}{{ else }}{{ .Content }}{{ end }}{{ if not $last }}<|im_end|>
{{ end }}
{{- else }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}
{{- if and (ne .Role "assistant") $last }}<|im_start|>assistant
{{ end }}
{{- end }}"""

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
}
HELLO = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("openai")
    store = folder / "store"
    shutil.copy(REPO / "examples" / "smollm2" / "Modelfile", folder / "Modelfile")
    (folder / "SmolLM2-135M-Instruct.Q4_1.gguf").symlink_to(smollm2_gguf())
    builder.build(folder / "Modelfile", "assistant", store=store)
    tools = folder / "tools"
    tools.mkdir()
    (tools / "model.gguf").symlink_to(smollm2_gguf())
    (tools / "Modelfile").write_text(
        f'FROM ./model.gguf\nTEMPLATE """{TOOLS_TEMPLATE}"""\nPARAMETER stop <|im_start|>\nPARAMETER stop <|im_end|>\n'
    )
    builder.build(tools / "Modelfile", "toolsy", store=store)
    embed = folder / "embed"
    embed.mkdir()
    (embed / "Modelfile").write_text(f"FROM {minilm_folder()}\n")
    builder.build(embed / "Modelfile", "minilm", store=store)
    return store


@pytest.fixture(scope="module")
def url(store: Path) -> Iterator[str]:
    with running(store, store.parent / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key="ollama", max_retries=0, timeout=300)


# ---- models ----------------------------------------------------------------------------------


def test_models_list_and_retrieve(client: openai.OpenAI, url: str) -> None:
    listed = client.models.list().data
    tags = httpx.get(url + "/api/tags").json()["models"]
    assert [model.id for model in listed] == [tag["model"] for tag in tags]  # same order as /api/tags
    assert {model.id for model in listed} == {"assistant:latest", "toolsy:latest", "minilm:latest"}
    assert all(model.object == "model" and model.owned_by == "library" and model.created > 0 for model in listed)
    one = client.models.retrieve("assistant")
    assert (one.id, one.object, one.owned_by) == ("assistant", "model", "library")
    assert one.created == next(model.created for model in listed if model.id == "assistant:latest")
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("nope")
    assert missing.value.body == {
        "message": "model 'nope:latest' not found",
        "type": "not_found_error",
        "param": None,
        "code": None,
    }


def test_models_of_an_empty_store(tmp_path: Path) -> None:
    with running(tmp_path / "store", tmp_path / "serve.log") as base:
        raw = httpx.get(base + "/v1/models")
        listed = openai.OpenAI(base_url=base + "/v1", api_key="x").models.list()
    assert (raw.headers["content-type"], raw.json()) == ("application/json", {"object": "list", "data": []})
    assert listed.data == []


# ---- chat completions ----------------------------------------------------------------------


def test_chat_with_and_without_stream_and_usage(client: openai.OpenAI) -> None:
    options: dict[str, Any] = {"temperature": 0, "seed": 7, "max_tokens": 12}
    whole = client.chat.completions.create(model="assistant", messages=HELLO, **options)
    choice = whole.choices[0]
    assert whole.object == "chat.completion" and whole.id.startswith("chatcmpl-") and whole.model == "assistant"
    assert choice.message.role == "assistant" and choice.message.content and choice.finish_reason in ("stop", "length")
    assert whole.usage and whole.usage.completion_tokens <= 12 and whole.usage.prompt_tokens > 10
    assert whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens
    chunks = list(
        client.chat.completions.create(
            model="assistant",
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
            **options,
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(chunk.choices[0].delta.role is None for chunk in chunks[1:] if chunk.choices)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == choice.message.content  # temperature 0, the same seed
    *content, finish, last = chunks
    assert finish.choices[0].finish_reason == choice.finish_reason and finish.choices[0].delta.content is None
    assert all(chunk.choices[0].finish_reason is None for chunk in content)
    assert last.choices == [] and last.usage == whole.usage
    assert len({chunk.id for chunk in chunks}) == 1 and len({chunk.created for chunk in chunks}) == 1


def test_stream_frames_on_the_wire(url: str) -> None:
    body = {"model": "assistant", "messages": HELLO, "stream": True, "max_tokens": 3, "temperature": 0}
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=300) as response:
        assert response.headers["content-type"] == "text/event-stream"
        raw = b"".join(response.iter_bytes())
    events = raw.split(b"\n\n")
    assert events[-1] == b"" and events[-2] == b"data: [DONE]"
    assert all(event.startswith(b"data: {") for event in events[:-2])
    finish = json.loads(events[-3][len(b"data: ") :])
    assert finish["choices"] == [{"index": 0, "delta": {}, "finish_reason": "length"}]


def test_a_client_that_goes_away_frees_the_model(url: str) -> None:
    ask = [{"role": "user", "content": "Count to one hundred."}]
    body = {"model": "assistant", "messages": ask, "stream": True, "max_tokens": 2000}
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=60) as response:
        first = next(response.iter_lines())
        assert json.loads(first.removeprefix("data: "))["choices"][0]["delta"]["role"] == "assistant"
    # the cancelled generation gave the model back: the next request is answered at once
    again = httpx.post(url + "/v1/chat/completions", json={**body, "stream": False, "max_tokens": 4}, timeout=20)
    assert again.json()["usage"]["completion_tokens"] <= 4


def test_max_tokens_and_max_completion_tokens_end_with_length(client: openai.OpenAI) -> None:
    ask = [{"role": "user", "content": "Count from one to fifty, in words."}]
    for limit in ({"max_tokens": 4}, {"max_completion_tokens": 4}):
        answer = client.chat.completions.create(model="assistant", messages=ask, temperature=0, **limit)
        assert answer.choices[0].finish_reason == "length"
        assert answer.usage and answer.usage.completion_tokens == 4


def test_seed_makes_sampling_reproducible(client: openai.OpenAI) -> None:
    ask = [{"role": "user", "content": "Write a short poem about the sea."}]

    def sample(seed: int) -> str:
        answer = client.chat.completions.create(model="assistant", messages=ask, seed=seed, max_tokens=16)
        return answer.choices[0].message.content or ""

    first = sample(123)
    assert first and sample(123) == first  # temperature 1.0 (OpenAI's default): only the seed fixes it
    assert sample(456) != first


def test_stop_ends_before_the_stop_text(client: openai.OpenAI) -> None:
    options: dict[str, Any] = {"temperature": 0, "seed": 7, "max_tokens": 24}
    ask = [{"role": "user", "content": "Describe the sky in one sentence."}]
    free = client.chat.completions.create(model="assistant", messages=ask, **options).choices[0].message.content
    words = (free or "").split()
    assert len(words) > 3
    stop = " " + words[2]
    cut = client.chat.completions.create(model="assistant", messages=ask, stop=[stop], **options).choices[0]
    assert cut.finish_reason == "stop" and cut.message.content == (free or "")[: (free or "").index(stop)]


def test_response_format_json_schema_validates(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model="assistant",
        messages=[{"role": "user", "content": "Paris: give the city and its population as JSON."}],
        response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA, "strict": True}},
        temperature=0,
        max_tokens=64,
    )
    jsonschema.validate(json.loads(answer.choices[0].message.content or ""), SCHEMA)


def test_tool_call_round_trip(client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.chat.completions.create(model="toolsy", messages=messages, tools=TOOLS, temperature=0)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content == ""
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_weather" and call.id
    assert json.loads(call.function.arguments) == {"city": "Paris"}

    streamed = list(
        client.chat.completions.create(model="toolsy", messages=messages, tools=TOOLS, temperature=0, stream=True)
    )
    deltas = [chunk.choices[0].delta.tool_calls for chunk in streamed if chunk.choices[0].delta.tool_calls]
    assert len(deltas) == 1 and deltas[0][0].index == 0 and deltas[0][0].function is not None
    assert json.loads(deltas[0][0].function.arguments or "") == {"city": "Paris"}
    assert streamed[-1].choices[0].finish_reason == "tool_calls"

    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append(
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"city": "Paris", "temperature": 21})}
    )
    second = client.chat.completions.create(
        model="toolsy", messages=messages, tools=TOOLS, temperature=0, max_tokens=32
    )
    answer = second.choices[0]
    assert answer.finish_reason == "stop" and not answer.message.tool_calls
    assert "21" in (answer.message.content or "") and "Paris" in (answer.message.content or "")


def test_async_client(url: str) -> None:
    async def ask() -> tuple[str, int]:
        client = openai.AsyncOpenAI(base_url=url + "/v1", api_key="ollama", max_retries=0, timeout=300)
        answer = await client.chat.completions.create(model="assistant", messages=HELLO, temperature=0, max_tokens=6)
        chunks = [
            chunk
            async for chunk in await client.completions.create(
                model="assistant", prompt="The sky is", max_tokens=4, temperature=0, stream=True
            )
        ]
        return answer.choices[0].message.content or "", len(chunks)

    content, chunks = asyncio.run(ask())
    assert content and chunks >= 2


# ---- completions and embeddings --------------------------------------------------------------


def test_completions_with_and_without_stream(client: openai.OpenAI) -> None:
    options: dict[str, Any] = {"temperature": 0, "seed": 3, "max_tokens": 6}
    whole = client.completions.create(model="assistant", prompt="The capital of France is", **options)
    assert whole.object == "text_completion" and whole.id.startswith("cmpl-") and whole.choices[0].text
    assert whole.usage and whole.usage.completion_tokens <= 6 and whole.choices[0].finish_reason in ("stop", "length")
    chunks = list(
        client.completions.create(
            model="assistant",
            prompt="The capital of France is",
            stream=True,
            stream_options={"include_usage": True},
            **options,
        )
    )
    assert "".join(chunk.choices[0].text for chunk in chunks if chunk.choices) == whole.choices[0].text
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert chunks[-2].choices[0].finish_reason == whole.choices[0].finish_reason


def test_embeddings_float_and_base64(client: openai.OpenAI) -> None:
    texts = ["The sky is blue.", "Grass is green."]
    floats = client.embeddings.create(model="minilm", input=texts, encoding_format="float")
    assert floats.model == "minilm" and [item.index for item in floats.data] == [0, 1]
    assert all(len(item.embedding) == 384 for item in floats.data)
    assert floats.usage.prompt_tokens > 0 and floats.usage.total_tokens == floats.usage.prompt_tokens
    encoded = client.embeddings.create(model="minilm", input=texts, encoding_format="base64")
    for as_float, as_base64 in zip(floats.data, encoded.data, strict=True):
        raw = base64.b64decode(str(as_base64.embedding))
        decoded = struct.unpack(f"<{len(raw) // 4}f", raw)
        assert decoded == pytest.approx(as_float.embedding, abs=1e-6)
    one = client.embeddings.create(model="minilm", input="The sky is blue.", encoding_format="float")
    default = client.embeddings.create(model="minilm", input="The sky is blue.")  # the client asks for base64
    assert default.data[0].embedding == pytest.approx(one.data[0].embedding, abs=1e-6)


# ---- errors ----------------------------------------------------------------------------------


def test_errors_through_the_client(client: openai.OpenAI, url: str) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="nope", messages=HELLO)
    assert missing.value.status_code == 404 and missing.value.body == {
        "message": "model 'nope' not found",
        "type": "not_found_error",
        "param": None,
        "code": None,
    }
    with pytest.raises(openai.BadRequestError) as empty:
        client.chat.completions.create(model="assistant", messages=[])
    assert empty.value.message.endswith("[] is too short - 'messages'")
    with pytest.raises(openai.BadRequestError) as no_tools:
        client.chat.completions.create(model="assistant", messages=HELLO, tools=TOOLS)
    assert isinstance(no_tools.value.body, dict)
    assert no_tools.value.body["message"] == "registry.ollama.ai/library/assistant:latest does not support tools"
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="nope", input="x")
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model="minilm", prompt="x")  # an embedding model does not generate
    raw = httpx.post(url + "/v1/embeddings", json={"model": "minilm", "input": "x", "encoding_format": "hex"})
    assert (raw.status_code, raw.headers["content-type"]) == (400, "application/json")
    assert raw.json()["error"] == {
        "message": "Invalid value for 'encoding_format' = hex. Supported values: ['float', 'base64'].",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert httpx.post(url + "/v1/chat/completions", content=b"").json()["error"]["message"] == "missing request body"


# ---- a failure in the middle of a stream -------------------------------------------------------


class _FailingStream:
    prompt = "p"

    def __iter__(self) -> Iterator[TextChunk]:
        yield TextChunk("Hel")
        raise RunError("llama_decode returned -1")

    def cancel(self) -> None:
        """Nothing to stop."""


class _FailingRunner:
    capabilities = ("completion",)
    view = type("View", (), {"template": None, "config": Config()})()

    def require(self, action: str) -> None:
        """Every action is allowed."""

    def stream(self, messages: Any, **options: Any) -> _FailingStream:
        return _FailingStream()

    def close(self) -> None:
        """Nothing to free."""


@pytest.fixture
def failing_url(tmp_path: Path) -> Iterator[str]:
    tiny_model(tmp_path / "m", tmp_path / "store", "m", "", **{"general.architecture": "llama"})
    application = app(store=tmp_path / "store")
    application.state.models = LoadedModels(tmp_path / "store", loader=lambda store, name, o: _FailingRunner())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_a_failure_mid_stream_is_an_error_event(failing_url: str) -> None:
    body = {"model": "m", "messages": HELLO, "stream": True}
    events = httpx.post(failing_url + "/v1/chat/completions", json=body).text.split("\n\n")
    assert json.loads(events[0].removeprefix("data: "))["choices"][0]["delta"] == {
        "role": "assistant",
        "content": "Hel",
    }
    assert json.loads(events[1].removeprefix("data: ")) == {
        "error": {"message": "llama_decode returned -1", "type": "api_error", "param": None, "code": None}
    }
    assert events[2:] == ["data: [DONE]", ""]
    client = openai.OpenAI(base_url=failing_url + "/v1", api_key="x", max_retries=0)
    stream = client.chat.completions.create(model="m", messages=HELLO, stream=True)
    with pytest.raises(openai.APIError, match="llama_decode returned -1"):
        for _ in stream:
            pass
    whole = httpx.post(failing_url + "/v1/chat/completions", json={**body, "stream": False})
    assert (whole.status_code, whole.json()["error"]["message"]) == (500, "llama_decode returned -1")
