"""The official ``ollama`` Python client against a real ``mfc serve``, every call of
issue 11's acceptance with the sync client (``ollama.Client``) and the async one
(``ollama.AsyncClient``): list, show, ps, generate and chat with and without stream,
``format`` with a JSON schema, options with ``num_ctx`` (seen in ``ps``), embed,
embeddings, copy, delete, create from uploaded blobs (streamed), and the version.

The chat model is the SmolLM2 fixture (``assistant``: examples/smollm2, which sets
``num_ctx 2048``; ``plain``: the same GGUF without it), the embedding model
all-MiniLM-L6-v2 built from its safetensors.  The server runs with
``OLLAMA_CONTEXT_LENGTH=1024``, so the default context of ``plain`` is that.

Each scenario runs once per client: ``Blocking`` awaits the async client's calls on
one event loop of its own (and gathers its async streams into lists), so both run the
same assertions.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import ollama
import pytest
from hf_fixtures import minilm_folder
from models import REPO, smollm2_gguf
from serving import running

import builder
from builder.serve.routes.meta import API_VERSION

GREEDY = {"temperature": 0, "seed": 7, "num_predict": 16}
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
}
MINILM_DIMENSION = 384
CONTEXT_LENGTH = 1024  # the server's OLLAMA_CONTEXT_LENGTH


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ollama-client")
    modelfile = (REPO / "examples" / "smollm2" / "Modelfile").read_text()
    shutil.copy(REPO / "examples" / "smollm2" / "Modelfile", folder / "Modelfile")
    (folder / "SmolLM2-135M-Instruct.Q4_1.gguf").symlink_to(smollm2_gguf())
    builder.build(folder / "Modelfile", "assistant", store=folder / "store")
    plain = "\n".join(line for line in modelfile.splitlines() if not line.startswith("PARAMETER num_ctx"))
    (folder / "Plain").write_text(plain + "\n")
    builder.build(folder / "Plain", "plain", store=folder / "store")
    (folder / "MiniLM").write_text(f"FROM {minilm_folder()}\n")
    builder.build(folder / "MiniLM", "minilm", store=folder / "store")
    return folder / "store"


@pytest.fixture(scope="module")
def url(store: Path) -> Iterator[str]:
    env = {"OLLAMA_CONTEXT_LENGTH": str(CONTEXT_LENGTH)}
    with running(store, store.parent / "serve.log", env=env) as base:
        yield base


class Blocking:
    """``ollama.AsyncClient`` with its calls awaited on an event loop of its own."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = ollama.AsyncClient(host=url)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = self.loop.run_until_complete(method(*args, **kwargs))
            if hasattr(result, "__aiter__"):
                return self.loop.run_until_complete(_gathered(result))
            return result

        return call

    def version(self) -> str:
        response = self.loop.run_until_complete(self.client._client.get("/api/version"))
        return str(response.json()["version"])

    def close(self) -> None:
        self.loop.run_until_complete(self.client._client.aclose())
        self.loop.close()


async def _gathered(stream: AsyncIterator[Any]) -> list[Any]:
    return [part async for part in stream]


class Sync:
    """``ollama.Client`` as it is, with the version read through its own HTTP client."""

    def __init__(self, url: str) -> None:
        self.client = ollama.Client(host=url)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def version(self) -> str:
        return str(self.client._client.get("/api/version").json()["version"])

    def close(self) -> None:
        self.client._client.close()


@pytest.fixture(params=["sync", "async"])
def client(request: pytest.FixtureRequest, url: str) -> Iterator[Any]:
    made = Sync(url) if request.param == "sync" else Blocking(url)
    yield made
    made.close()


@pytest.fixture
def kind(client: Any) -> str:
    return "async" if isinstance(client, Blocking) else "sync"


def _norm(vector: Any) -> float:
    return math.sqrt(sum(value * value for value in vector))


def test_version(client: Any) -> None:
    assert client.version() == API_VERSION


def test_list(client: Any) -> None:
    models = {model.model: model for model in client.list().models}
    assert {"assistant:latest", "plain:latest", "minilm:latest"} <= set(models)
    assistant = models["assistant:latest"]
    assert assistant.size and assistant.size > smollm2_gguf().stat().st_size  # the GGUF and the small layers
    assert assistant.modified_at is not None and assistant.details and assistant.details.family == "llama"
    assert models["minilm:latest"].details.family == "bert"


def test_show(client: Any) -> None:
    shown = client.show("assistant")
    assert shown.modelinfo and shown.modelinfo["general.architecture"] == "llama"
    assert "completion" in (shown.capabilities or []) and "num_ctx" in (shown.parameters or "")
    assert shown.template and "<|im_start|>" in shown.template and shown.modified_at is not None
    embedding = client.show("minilm")
    assert embedding.capabilities == ["embedding"]
    assert embedding.modelinfo and embedding.modelinfo["bert.embedding_length"] == MINILM_DIMENSION
    with pytest.raises(ollama.ResponseError) as missing:
        client.show("no-such-model")
    assert missing.value.status_code == 404


def test_generate_with_and_without_stream(client: Any) -> None:
    whole = client.generate("assistant", "What is the capital of France?", options=GREEDY)
    assert whole.done and whole.done_reason in ("stop", "length") and whole.response.strip()
    assert whole.eval_count and 0 < whole.eval_count <= GREEDY["num_predict"]
    assert whole.prompt_eval_count and whole.context and whole.total_duration
    pieces = list(client.generate("assistant", "What is the capital of France?", options=GREEDY, stream=True))
    assert pieces[-1].done and not any(piece.done for piece in pieces[:-1]) and len(pieces) > 2
    assert "".join(piece.response for piece in pieces) == whole.response  # temperature 0: the same answer
    assert pieces[-1].eval_count == whole.eval_count


def test_chat_with_and_without_stream(client: Any) -> None:
    messages = [{"role": "user", "content": "Name one primary colour."}]
    whole = client.chat("assistant", messages=messages, options=GREEDY)
    assert whole.message.role == "assistant" and (whole.message.content or "").strip() and whole.done
    pieces = list(client.chat("assistant", messages=messages, options=GREEDY, stream=True))
    assert pieces[-1].done and all(piece.message.role == "assistant" for piece in pieces)
    assert "".join(piece.message.content or "" for piece in pieces) == whole.message.content
    follow_up = [
        *messages,
        {"role": "assistant", "content": whole.message.content},
        {"role": "user", "content": "Another?"},
    ]
    again = client.chat("assistant", messages=follow_up, options=GREEDY)
    assert again.prompt_eval_count and whole.prompt_eval_count and again.prompt_eval_count > whole.prompt_eval_count


@pytest.mark.parametrize("route", ["generate", "chat"])
def test_format_with_a_json_schema_validates(client: Any, route: str) -> None:
    question = "Paris: give the city and its population as JSON."
    options = {"num_predict": 64, "temperature": 0, "seed": 7}
    if route == "chat":
        text = client.chat(
            "assistant", messages=[{"role": "user", "content": question}], format=SCHEMA, options=options
        )
        answer = text.message.content or ""
    else:
        answer = client.generate("assistant", question, format=SCHEMA, options=options).response
    jsonschema.validate(json.loads(answer), SCHEMA)


def test_options_num_ctx_and_ps(client: Any) -> None:
    def context_of(name: str) -> int:
        entries = [model for model in client.ps().models if model.model == f"{name}:latest"]
        assert len(entries) == 1 and entries[0].expires_at is not None
        return int(entries[0].context_length or 0)

    client.generate("plain", "Hi", options=GREEDY)
    assert context_of("plain") == CONTEXT_LENGTH  # OLLAMA_CONTEXT_LENGTH: nothing else sets it
    client.generate("assistant", "Hi", options=GREEDY)
    assert context_of("assistant") == 2048  # the model's PARAMETER wins over the variable
    client.chat("assistant", messages=[{"role": "user", "content": "Hi"}], options={**GREEDY, "num_ctx": 512})
    assert context_of("assistant") == 512  # the request's option wins over both (a reload)
    client.generate("assistant", "", keep_alive=0)
    client.generate("plain", "", keep_alive=0)
    assert not {model.model for model in client.ps().models} & {"assistant:latest", "plain:latest"}


def test_embed(client: Any) -> None:
    one = client.embed("minilm", "The sky is blue.")
    assert one.model == "minilm" and len(one.embeddings) == 1 and len(one.embeddings[0]) == MINILM_DIMENSION
    assert abs(_norm(one.embeddings[0]) - 1) < 1e-3 and one.prompt_eval_count
    texts = ["The sky is blue.", "The sky is azure.", "Bananas are yellow."]
    three = client.embed("minilm", texts)
    assert len(three.embeddings) == 3 and all(abs(_norm(vector) - 1) < 1e-3 for vector in three.embeddings)
    same, near, far = (
        sum(a * b for a, b in zip(three.embeddings[0], other, strict=True)) for other in three.embeddings
    )
    assert same == pytest.approx(1, abs=1e-3) and near > far  # cosine similarity orders by meaning


def test_embeddings(client: Any) -> None:
    legacy = client.embeddings("minilm", "The sky is blue.")
    assert len(legacy.embedding) == MINILM_DIMENSION and _norm(legacy.embedding) > 0
    unit = client.embed("minilm", "The sky is blue.").embeddings[0]
    norm = _norm(legacy.embedding)
    assert max(abs(value / norm - other) for value, other in zip(legacy.embedding, unit, strict=True)) < 1e-3


def test_copy_and_delete(client: Any, kind: str) -> None:
    copied = f"copied-{kind}:v1"
    assert client.copy("assistant", copied).status == "success"
    models = {model.model: model.digest for model in client.list().models}
    assert models[copied] == models["assistant:latest"]
    assert client.delete(copied).status == "success"
    assert copied not in {model.model for model in client.list().models}
    with pytest.raises(ollama.ResponseError) as missing:
        client.delete(copied)
    assert (missing.value.status_code, missing.value.error) == (404, f"model '{copied}' not found")
    assert client.show("assistant").modelinfo  # the original and its blobs are untouched


def test_create_from_uploaded_blobs(client: Any, kind: str) -> None:
    digest = client.create_blob(smollm2_gguf())
    assert digest.startswith("sha256:") and len(digest) == 71
    name = f"made-{kind}"
    template = (
        "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n"
    )
    progress = list(
        client.create(
            name,
            files={"model.gguf": digest},
            template=template,
            system="You are a helpful assistant.",
            parameters={"stop": ["<|im_end|>"], "num_ctx": 768},
            stream=True,
        )
    )
    statuses = [part.status for part in progress]
    assert statuses[-1] == "success" and len(statuses) > 2 and "writing manifest" in statuses
    assert f"{name}:latest" in {model.model for model in client.list().models}
    shown = client.show(name)
    assert shown.template == template and "num_ctx" in (shown.parameters or "")
    answer = client.chat(name, messages=[{"role": "user", "content": "Say hello."}], options=GREEDY)
    assert (answer.message.content or "").strip() and answer.done
    entries = [model for model in client.ps().models if model.model == f"{name}:latest"]
    assert entries and entries[0].context_length == 768
    client.generate(name, "", keep_alive=0)
    assert client.delete(name).status == "success"
