"""``POST /api/create`` on a real ``mfc serve`` process: Ollama's own cases
(``routes_create.json``, through httpx), the official ``ollama`` client's ``create``
(files from ``create_blob``, ``from``, streamed and not), the same model ID as ``mfc
build`` of the equivalent Modelfile, and bad requests that leave the store as it was."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import ollama
import pytest
from click.testing import CliRunner
from ggufs import write_gguf
from serving import running
from test_build import CHATML_JINJA
from vectors import load_json

import builder
from builder.cli.main import cli
from builder.events import Event, Progress
from builder.serve.streaming import progress_lines

#: The cases of routes_create.json not replayed, and why.
NOT_APPLIED = {
    "create.remote_and_show": "remote (cloud) stub models: mfc has no cloud, and refuses remote_host (400)",
    "create.from_cloud_suffix": "a :cloud source makes a remote stub: mfc has no cloud (the name is refused, 400)",
}


def vectors() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = load_json("api/routes_create.json")["vectors"]
    return found


def test_every_case_is_applied_or_listed() -> None:
    ids = {v["id"] for v in vectors()}
    assert set(NOT_APPLIED) <= ids
    assert len(ids - set(NOT_APPLIED)) == 12


# ---- a server, and the test GGUF uploaded ------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("create") / "store"


@pytest.fixture(scope="module")
def url(store: Path) -> Iterator[str]:
    with running(store, store.parent / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def test_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The vectors' fixture ``gguf-test-arch``: only ``general.architecture=test``."""
    path = tmp_path_factory.mktemp("gguf") / "test.gguf"
    write_gguf(path, {"general.architecture": "test"})
    return path


@pytest.fixture(scope="module")
def digest(url: str, test_gguf: Path) -> str:
    uploaded = ollama.Client(host=url).create_blob(test_gguf)
    assert uploaded == "sha256:89a2116c3a82d6a97f59f748d86ed4417214353fd178ee54df418fde32495fad"
    return uploaded


def filled(value: Any, digest: str) -> Any:
    """The vector's body with ``<digest>`` replaced by the uploaded blob's."""
    return json.loads(json.dumps(value).replace("<digest>", digest))


def post(url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(url + "/api/create", json=body, timeout=60)


def manifest(store: Path, name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((store / "manifests/registry.ollama.ai/library" / name / "latest").read_text())
    return found


def files_of(store: Path) -> dict[str, bytes]:
    """Every file of the store (the lock file aside), with its bytes."""
    return {
        str(p.relative_to(store)): p.read_bytes()
        for p in sorted(store.rglob("*"))
        if p.is_file() and p.name != ".mfc.lock"
    }


# ---- routes_create.json ------------------------------------------------------------------------

ERRORS = [
    "create.invalid_info.string_field",
    "create.invalid_info.fractional_integer_field",
    "create.empty_file_digest",
    "create.empty_adapter_digest",
    "create.bad_template.incomplete_template",
    "create.bad_template.template_with_unclosed_if",
    "create.bad_template.template_with_undefined_function",
    "create.remote_rejects_draft",
]


def case(ident: str) -> dict[str, Any]:
    return next(v for v in vectors() if v["id"] == ident)


@pytest.mark.parametrize("ident", ERRORS)
def test_vector_errors(url: str, store: Path, digest: str, ident: str) -> None:
    vector, before = case(ident), files_of(store)
    response = post(url, filled(vector["request"]["body"], digest))
    expect = vector["expect"]
    assert response.status_code == expect["status"]
    error = response.json()["error"]
    assert expect.get("error_contains", "") in error
    assert error.startswith(expect.get("error_prefix_from_code", ""))
    assert error == expect.get("error_from_code", error) == expect.get("body_json", {"error": error})["error"]
    assert files_of(store) == before


def test_vector_from_files(url: str, store: Path, digest: str) -> None:
    vector = case("create.from_files")
    response = post(url, filled(vector["request"]["body"], digest))
    assert (response.status_code, response.json()) == (200, {"status": "success"})
    assert (store / vector["expect"]["manifest"]).is_file()
    for blob in vector["expect"]["blobs"]:
        assert (store / "blobs" / blob.split()[0]).is_file()
    assert manifest(store, "test")["config"]["digest"] == "sha256:" + vector["expect"]["blobs"][0][7:71]


@pytest.mark.parametrize("ident", ["create.template_system", "create.licenses"])
def test_vector_blob_texts(url: str, store: Path, digest: str, ident: str) -> None:
    vector = case(ident)
    response = post(url, filled(vector["request"]["body"], digest))
    assert response.status_code == vector["expect"]["status"]
    for blob, text in vector["expect"]["blob_texts"].items():
        assert (store / "blobs" / blob).read_text() == text


def test_vector_merge_parameters(url: str, store: Path, digest: str) -> None:
    vector = case("create.merge_parameters")
    steps = vector["request"]["sequence"]
    for index, step in enumerate(steps, start=1):
        assert post(url, filled(step["body"], digest)).json() == {"status": "success"}
        if index >= 2:
            params = next(
                layer for layer in manifest(store, "test2")["layers"] if layer["mediaType"].endswith("params")
            )
            blob = (store / "blobs" / params["digest"].replace(":", "-")).read_text()
            assert blob == vector["expect"][f"test2_params_after_step{index}"] + "\n"


def test_routes_files_nonstream(url: str, store: Path, tmp_path: Path) -> None:
    """routes.json ``create.files_nonstream``: an empty GGUF (no keys at all)."""
    vector = next(v for v in load_json("api/routes.json")["vectors"] if v["id"] == "create.files_nonstream")
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + bytes(16))
    uploaded = ollama.Client(host=url).create_blob(empty)
    response = post(url, filled(vector["request"]["body"], uploaded))
    assert (response.status_code, response.headers["content-type"]) == (200, vector["expect"]["content_type"])
    assert response.json() == {"status": "success"}
    assert vector["expect"]["model_created"] in [m.model for m in ollama.Client(host=url).list().models]


# ---- the ollama client ------------------------------------------------------------------------


def test_client_create_streamed(url: str, store: Path, test_gguf: Path) -> None:
    client = ollama.Client(host=url)
    uploaded = client.create_blob(test_gguf)
    statuses = [p.status for p in client.create("streamed", files={"test.gguf": uploaded}, system="Hi.", stream=True)]
    assert statuses[0] == "parsing GGUF" and statuses[-2:] == ["writing manifest", "success"]
    assert builder.show_text("streamed", "system", store=store) == "Hi."


def test_client_create_from(url: str, store: Path, digest: str) -> None:
    client = ollama.Client(host=url)
    assert client.create("base-model", files={"test.gguf": digest}).status == "success"
    done = client.create(
        "derived",
        from_="base-model",
        system="You are terse.",
        template="{{ .System }} {{ .Prompt }}",
        parameters={"temperature": 0.7, "num_ctx": 4096, "stop": ["User:"]},
        license="MIT",
        messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}],
    )
    assert done.status == "success"
    shown = client.show("derived")
    assert (shown.template, shown.license) == ("{{ .System }} {{ .Prompt }}", "MIT")
    assert "temperature" in (shown.parameters or "") and "num_ctx" in (shown.parameters or "")
    assert builder.show_text("derived", "system", store=store) == "You are terse."
    assert [m["content"] for m in builder.show_json("derived", store=store)["messages"]] == ["Hi", "Hello."]
    with pytest.raises(ollama.ResponseError) as refused:
        client.create("other", from_="base-model", parameters={"temperature": "hot"})
    assert (refused.value.status_code, refused.value.error) == (400, "invalid float value [hot]")


def test_async_client_create_streamed(url: str, store: Path, test_gguf: Path) -> None:
    async def calls() -> list[str]:
        client = ollama.AsyncClient(host=url)
        uploaded = await client.create_blob(test_gguf)
        stream = await client.create("async-made", files={"test.gguf": uploaded}, parameters={"seed": 42}, stream=True)
        return [part.status or "" async for part in stream]

    assert asyncio.run(calls())[-1] == "success"
    assert builder.show_text("async-made", "parameters", store=store).split() == ["seed", "42"]


def test_builds_run_off_the_event_loop() -> None:
    """The build blocks its worker thread, not the loop: the loop releases it."""
    release = threading.Event()

    def work(progress: Progress) -> None:
        progress(Event("parsing GGUF"))
        assert release.wait(timeout=10), "the event loop was blocked"
        progress(Event("success"))

    async def run() -> list[dict[str, object]]:
        lines = progress_lines(work)
        first = await anext(lines)
        await asyncio.sleep(0.01)  # the loop is free while the build waits
        release.set()
        return [first] + [line async for line in lines]

    assert asyncio.run(run()) == [{"status": "parsing GGUF"}, {"status": "success"}]


# ---- the same model as mfc build --------------------------------------------------------------

EQUIVALENT = {
    "system": "You are terse.",
    "parameters": {"temperature": 0.7, "top_k": 10, "stop": ["User:", "<|im_end|>"], "use_mmap": False},
    "license": ["MIT", "Apache-2.0"],
    "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}],
}
MODELFILE = """FROM ./chat.gguf
SYSTEM You are terse.
PARAMETER temperature 0.7
PARAMETER top_k 10
PARAMETER stop User:
PARAMETER stop <|im_end|>
PARAMETER use_mmap false
LICENSE MIT
LICENSE Apache-2.0
MESSAGE user Hi
MESSAGE assistant Hello.
"""


def mfc_build(folder: Path, name: str, store: Path) -> str:
    result = CliRunner().invoke(cli, ["build", "-f", str(folder / "Modelfile"), name, "--store", str(store), "--json"])
    assert result.exit_code == 0, result.output
    digest: str = json.loads(result.output)["digest"]
    return digest


def test_same_model_as_mfc_build(url: str, store: Path, tmp_path: Path) -> None:
    """A GGUF whose chat template is autodetected (chatml), with every other field."""
    write_gguf(tmp_path / "chat.gguf", {"general.architecture": "llama", "tokenizer.chat_template": CHATML_JINJA})
    (tmp_path / "Modelfile").write_text(MODELFILE, encoding="utf-8")
    uploaded = ollama.Client(host=url).create_blob(tmp_path / "chat.gguf")
    statuses = [
        json.loads(line)["status"]
        for line in post(url, {"model": "same", "files": {"chat.gguf": uploaded}, **EQUIVALENT}).text.splitlines()
    ]
    assert "using autodetected template chatml" in statuses and statuses[-1] == "success"
    built = mfc_build(tmp_path, "same", tmp_path / "other-store")
    assert builder.show_json("same", store=store)["digest"] == built
    assert (store / "manifests/registry.ollama.ai/library/same/latest").read_bytes() == (
        tmp_path / "other-store/manifests/registry.ollama.ai/library/same/latest"
    ).read_bytes()


def test_same_model_from_safetensors(url: str, store: Path, tmp_path: Path) -> None:
    """A Hugging Face folder's files uploaded one by one and converted by the server."""
    from hf_fixtures import tiny_model

    folder = tiny_model("llama", tmp_path / "converted", tokenizer="spm")  # named as the model: general.name
    client = ollama.Client(host=url)
    files = {p.relative_to(folder).as_posix(): client.create_blob(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    assert client.create("converted", files=files, system="Hi.").status == "success"
    (tmp_path / "Modelfile").write_text("FROM ./converted\nSYSTEM Hi.\n", encoding="utf-8")
    assert (
        mfc_build(tmp_path, "converted", tmp_path / "other-store")
        == builder.show_json("converted", store=store)["digest"]
    )
    assert not list((store / ".mfc" / "tmp").glob("create-*"))  # the links to the uploads are gone


# ---- bad input ---------------------------------------------------------------------------------

BAD: list[tuple[dict[str, Any], int, str]] = [
    ({"model": "x"}, 400, "neither 'from' or 'files' was specified"),
    ({"model": "bad name!", "files": {"a.gguf": "DIGEST"}}, 400, "invalid model name"),
    ({"files": {"a.gguf": "DIGEST"}}, 400, "invalid model name"),
    ({"model": "x", "files": {"../a.gguf": "DIGEST"}}, 400, "file path must be relative"),
    ({"model": "x", "files": {"a.gguf": "sha256:12"}}, 400, "invalid digest format"),
    ({"model": "x", "files": {"a.gguf": "sha256:" + "0" * 64}}, 400, f'blob "sha256:{"0" * 64}" not found'),
    ({"model": "x", "files": {"a.gguf": "NOTGGUF"}}, 400, "supplied file was not in GGUF format"),
    ({"model": "x", "files": {"a.gguf": "DIGEST"}, "parameters": {"top_k": 1.5}}, 400, "invalid int value [1.5]"),
    (
        {"model": "x", "files": {"a.gguf": "DIGEST"}, "parameters": {"temprature": 1}},
        400,
        "unknown parameter 'temprature'",
    ),
    ({"model": "x", "files": {"a.gguf": "DIGEST"}, "template": "{{ .Prompt", "stream": True}, 400, "template error: "),
    (
        {"model": "x", "files": {"a.gguf": "DIGEST"}, "stream": "yes"},
        400,
        "json: cannot unmarshal string into Go struct field CreateRequest.stream of type bool",
    ),
    (
        {"model": "x", "files": {"a.gguf": "DIGEST"}, "adapters": {"a.gguf": "DIGEST", "b.gguf": "DIGEST"}},
        400,
        "only one adapter is currently supported",
    ),
    (
        {"model": "x", "from": "no-such-model", "stream": False},
        500,
        "FROM no-such-model: model 'no-such-model:latest' not found",
    ),
    ({"model": "x", "files": {"a.gguf": "DIGEST"}, "quantize": "q9_z", "stream": False}, 500, ""),
]


@pytest.mark.parametrize(("body", "status", "error"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_leaves_the_store_unchanged(
    url: str, store: Path, digest: str, body: dict[str, Any], status: int, error: str
) -> None:
    not_gguf = b"plain text, not a GGUF"
    httpx.post(f"{url}/api/blobs/sha256:{hashlib.sha256(not_gguf).hexdigest()}", content=not_gguf)
    body = json.loads(
        json.dumps(body).replace("DIGEST", digest).replace("NOTGGUF", "sha256:" + hashlib.sha256(not_gguf).hexdigest())
    )
    before = files_of(store)
    response = post(url, body)
    assert response.status_code == status, response.text
    assert response.json()["error"].startswith(error)
    assert files_of(store) == before


def test_streamed_error_after_the_first_line(url: str, store: Path, digest: str) -> None:
    """An error once statuses were streamed is the last line of a 200 response."""
    before = files_of(store)
    response = post(url, {"model": "x", "files": {"a.gguf": digest}, "adapters": {"b.gguf": digest}})
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert response.status_code == 200 and lines[0] == {"status": "parsing GGUF"} and "error" in lines[-1]
    assert files_of(store) == before


def test_client_gone_mid_stream(url: str, store: Path, digest: str) -> None:
    """A client that leaves after the first status: the server keeps serving, and the
    store holds no half-made model."""
    body = {"model": "left-behind", "files": {"test.gguf": digest}, "system": "Bye."}
    with httpx.stream("POST", url + "/api/create", json=body, timeout=60) as response:
        assert json.loads(next(response.iter_lines())) == {"status": "parsing GGUF"}
    assert httpx.get(url + "/").text == "Ollama is running"
    assert builder.verify(store) == []


def test_adapter_from_an_uploaded_gguf(url: str, store: Path, test_gguf: Path, tmp_path: Path) -> None:
    """``adapters``: a GGUF LoRA becomes the adapter layer, as ``ADAPTER ./lora.gguf`` does."""
    write_gguf(tmp_path / "lora.gguf", {"general.architecture": "test", "general.type": "adapter"})
    client = ollama.Client(host=url)
    files = {"test.gguf": client.create_blob(test_gguf)}
    assert (
        client.create(
            "with-lora", files=files, adapters={"lora.gguf": client.create_blob(tmp_path / "lora.gguf")}
        ).status
        == "success"
    )
    (tmp_path / "test.gguf").write_bytes(test_gguf.read_bytes())
    (tmp_path / "Modelfile").write_text("FROM ./test.gguf\nADAPTER ./lora.gguf\n", encoding="utf-8")
    assert (
        mfc_build(tmp_path, "with-lora", tmp_path / "other-store")
        == builder.show_json("with-lora", store=store)["digest"]
    )
    media = [layer["mediaType"].rsplit(".", 1)[1] for layer in manifest(store, "with-lora")["layers"]]
    assert media == ["model", "adapter"]
