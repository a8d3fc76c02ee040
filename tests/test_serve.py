"""``mfc serve`` as applications meet it: a real server process on loopback, driven by
the official ``ollama`` client (sync and async) and by raw HTTP (httpx) for the routes
and errors the client does not reach.  The store is built here from tiny GGUF files."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import ollama
import pytest
from click.testing import CliRunner
from serving import running, tiny_model

import builder
from builder.cli.main import cli


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve")
    store = root / "store"
    tiny_model(root / "show", store, "show-model", "PARAMETER seed 42\nSYSTEM Be brief.\n")
    for name in ("to-copy", "to-delete", "to-delete-async", "to-copy-async"):
        builder.copy_model("show-model", name, store=store)
    return store


@pytest.fixture(scope="module")
def url(store: Path) -> Iterator[str]:
    with running(store, store.parent / "serve.log") as base:
        yield base


# ---- the official ollama client -----------------------------------------------------------


def test_client_list_show_ps(url: str) -> None:
    client = ollama.Client(host=url)
    names = [model.model for model in client.list().models]
    assert "show-model:latest" in names
    shown = client.show("show-model")
    assert shown.modelinfo is not None and shown.modelinfo["general.architecture"] == "test"
    assert "seed" in (shown.parameters or "") and shown.modified_at is not None
    assert client.ps().models == []


def test_client_copy_and_delete(url: str, store: Path) -> None:
    client = ollama.Client(host=url)
    assert client.copy("to-copy", "copied:v1").status == "success"
    assert builder.show_json("copied:v1", store=store)["digest"] == builder.show_json("to-copy", store=store)["digest"]
    assert client.delete("to-delete").status == "success"
    with pytest.raises(ollama.ResponseError) as missing:
        client.delete("to-delete")
    assert (missing.value.status_code, missing.value.error) == (404, "model 'to-delete' not found")


def test_async_client(url: str) -> None:
    async def calls() -> None:
        client = ollama.AsyncClient(host=url)
        assert "show-model:latest" in [m.model for m in (await client.list()).models]
        assert (await client.show("show-model")).modelinfo is not None
        assert (await client.ps()).models == []
        assert (await client.copy("to-copy-async", "copied-async")).status == "success"
        assert (await client.delete("to-delete-async")).status == "success"
        with pytest.raises(ollama.ResponseError) as missing:
            await client.show("nope")
        assert missing.value.status_code == 404

    asyncio.run(calls())


def test_client_create_blob(url: str, tmp_path: Path, store: Path) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(b"some weights")
    digest = ollama.Client(host=url).create_blob(path)
    assert store.joinpath("blobs", digest.replace(":", "-")).read_bytes() == b"some weights"


# ---- raw HTTP --------------------------------------------------------------------------------


def test_liveness_and_version(url: str) -> None:
    root = httpx.get(url + "/")
    assert (root.status_code, root.text, root.headers["content-type"]) == (
        200,
        "Ollama is running",
        "text/plain; charset=utf-8",
    )
    assert httpx.head(url + "/").status_code == 200
    version = httpx.get(url + "/api/version")
    assert version.headers["content-type"] == "application/json; charset=utf-8"
    assert version.content == b'{"version":"%s"}' % version.json()["version"].encode()
    assert httpx.head(url + "/api/tags").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("POST", "/api/show", b"", 400, "missing request body"),
        ("POST", "/api/show", b"{", 400, "unexpected EOF"),
        ("POST", "/api/show", b"nope", 400, "invalid character 'n' looking for beginning of value"),
        ("POST", "/api/show", b"[1]", 400, "json: cannot unmarshal array into Go value of type api.ShowRequest"),
        (
            "POST",
            "/api/show",
            b'{"model": "show-model", "verbose": "yes"}',
            400,
            "json: cannot unmarshal string into Go struct field ShowRequest.verbose of type bool",
        ),
        ("POST", "/api/show", b"{}", 400, "model is required"),
        ("POST", "/api/show", b"null", 400, "model is required"),
        ("POST", "/api/show", b'{"model": "bad name!"}', 400, "invalid model name"),
        ("POST", "/api/show", b'{"model": "Nope"}', 404, "model 'Nope:latest' not found"),
        ("DELETE", "/api/delete", b'{"model": ""}', 400, "model is required"),
        ("DELETE", "/api/delete", b'{"model": "a:b:c"}', 400, 'name "a:b:c" is invalid'),
        ("DELETE", "/api/delete", b'{"name": "missing"}', 404, "model 'missing' not found"),
        ("POST", "/api/copy", b'{"destination": "x"}', 400, 'source "" is invalid'),
        ("POST", "/api/copy", b'{"source": "show-model", "destination": "bad/"}', 400, 'destination "bad/" is invalid'),
        ("POST", "/api/copy", b'{"source": "missing", "destination": "x"}', 404, 'model "missing" not found'),
        ("POST", "/api/pull", b'{"model": ""}', 400, "invalid model name"),
        ("POST", "/api/push", b"{}", 400, "model is required"),
        ("HEAD", "/api/blobs/sha256:" + "0" * 64, b"", 404, None),
        ("POST", "/api/blobs/sha256:abc", b"x", 400, "invalid digest format"),
        ("POST", "/api/blobs/sha256:%2e%2e", b"x", 400, "invalid digest format"),
        ("POST", "/api/blobs/..%2F..%2Fetc", b"x", 404, None),  # no route: never a path in the store
    ],
)
def test_errors(url: str, store: Path, method: str, path: str, body: bytes, status: int, error: str | None) -> None:
    before = sorted(p.name for p in store.rglob("*"))
    response = httpx.request(method, url + path, content=body)
    assert response.status_code == status
    if error is not None:
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.content == b'{"error":%s}' % json.dumps(error).encode()
    assert sorted(p.name for p in store.rglob("*")) == before  # the store is unchanged


def test_unknown_fields_ignored(url: str) -> None:
    response = httpx.post(url + "/api/show", json={"model": "show-model", "whatever": [1], "system": None})
    assert response.status_code == 200
    assert list(response.json())[:5] == ["license", "modelfile", "parameters", "template", "system"]


def test_show_verbose_and_system(url: str) -> None:
    shown = httpx.post(url + "/api/show", json={"name": "show-model", "verbose": True, "system": "Other."}).json()
    assert shown["system"] == "Other." and shown["model_info"]["general.parameter_count"] == 0


def test_unknown_route_and_method(url: str) -> None:
    assert (httpx.get(url + "/api/nothing").status_code, httpx.get(url + "/api/nothing").text) == (
        404,
        "404 page not found",
    )
    wrong = httpx.get(url + "/api/show")
    assert (wrong.status_code, wrong.text) == (405, "405 method not allowed")


def test_blob_upload(url: str, store: Path) -> None:
    data = b"a blob" * 10000
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert httpx.head(f"{url}/api/blobs/{digest}").status_code == 404
    assert httpx.post(f"{url}/api/blobs/{digest}", content=data).status_code == 201
    assert httpx.post(f"{url}/api/blobs/{digest}", content=data).status_code == 200
    assert httpx.head(f"{url}/api/blobs/{digest}").status_code == 200
    assert store.joinpath("blobs", digest.replace(":", "-")).read_bytes() == data


def test_blob_mismatch_stores_nothing(url: str, store: Path) -> None:
    claimed = "sha256:" + hashlib.sha256(b"claimed").hexdigest()
    before = sorted(p.name for p in (store / "blobs").iterdir())
    response = httpx.post(f"{url}/api/blobs/{claimed}", content=b"sent")
    got = "sha256:" + hashlib.sha256(b"sent").hexdigest()
    assert response.status_code == 400
    assert response.json() == {"error": f'digest mismatch, expected "{claimed}", got "{got}"'}
    assert sorted(p.name for p in (store / "blobs").iterdir()) == before  # no blob, no temporary file


def test_pull_and_push_report_a_registry_that_does_not_answer(url: str) -> None:
    """Errors after the first status are the stream's last line (200), or the status
    with stream false; the round trips through a real registry are in test_serve_registry.py."""
    nowhere = {"model": "127.0.0.1:9/library/x", "insecure": True}
    streamed = httpx.post(url + "/api/pull", json=nowhere)
    assert streamed.status_code == 200 and streamed.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert lines[0] == {"status": "pulling manifest"}
    assert lines[-1]["error"].startswith("manifest 127.0.0.1:9/library/x:latest: cannot reach 127.0.0.1:9")
    collapsed = httpx.post(url + "/api/pull", json={**nowhere, "stream": False})
    assert collapsed.status_code == 500 and collapsed.headers["content-type"] == "application/json"
    with pytest.raises(ollama.ResponseError):
        ollama.Client(host=url).pull("127.0.0.1:9/library/x", insecure=True)
    missing = httpx.post(url + "/api/push", json={"model": "me/x", "stream": False})
    assert missing.status_code == 404


def test_log_line_per_request(url: str, store: Path) -> None:
    httpx.get(url + "/api/ps")
    log = (store.parent / "serve.log").read_text()
    assert any(line.split()[2:5] == ["GET", "/api/ps", "200"] and line.endswith("ms") for line in log.splitlines())


# ---- the command ---------------------------------------------------------------------------


def test_serve_help_states_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and "Exit status: 0" in result.output


def test_serve_on_a_taken_port_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--store", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: cannot listen on 127.0.0.1:{port}: ") and result.output.count("\n") == 1


def test_serve_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    for module in [m for m in sys.modules if m == "builder.serve" or m.startswith("builder.serve.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # an import of it fails
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 1
    assert result.output == "error: mfc serve needs the uvicorn package: pip install 'mfc[serve]'\n"


def test_upload_cut_short_leaves_nothing(url: str, store: Path) -> None:
    import socket
    import time

    digest = "sha256:" + hashlib.sha256(b"never sent in full").hexdigest()
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        head = f"POST /api/blobs/{digest} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1000000\r\n\r\n"
        sock.sendall(head.encode() + b"x" * 100000)
        time.sleep(0.2)  # the server has started writing the upload
    deadline = time.monotonic() + 5
    while any(p.name.startswith("sha256-mfc-upload-") for p in (store / "blobs").iterdir()):
        assert time.monotonic() < deadline, "the temporary file of an abandoned upload was left in the store"
        time.sleep(0.05)
    assert not (store / "blobs" / digest.replace(":", "-")).exists()
    assert httpx.get(url + "/").text == "Ollama is running"  # and the server goes on serving
    assert "Traceback" not in (store.parent / "serve.log").read_text()
