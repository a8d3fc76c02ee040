"""Bad input against a real ``mfc serve`` (tests/test_serve.py checks the basic texts;
this extends them to every route and to what an attacker or a broken client sends):
malformed JSON, wrong types, unknown fields, bodies over the limit (413), unknown
models, names and digests that try to leave the store (``..``, absolute paths, NUL
bytes), 200 concurrent connections, a client that resets its connection mid-stream,
and the server's memory over 1,000 chat requests.  Each answer has Ollama's status and
text; the store is byte for byte unchanged; the server keeps serving; its log holds
no traceback."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from models import REPO, smollm2_gguf
from serving import Served, running, tiny_model

import builder
from builder.serve.encoding import go_quote

LIMIT = 1024 * 1024  # MFC_MAX_BODY for this server: 1 MiB
TOO_LARGE = f"request body too large: the limit is {LIMIT} bytes (MFC_MAX_BODY)"
ROUTES = {
    "/api/generate": "POST",
    "/api/chat": "POST",
    "/api/embed": "POST",
    "/api/embeddings": "POST",
    "/api/show": "POST",
    "/api/copy": "POST",
    "/api/delete": "DELETE",
    "/api/create": "POST",
    "/api/pull": "POST",
    "/api/push": "POST",
}
ONE_TOKEN = {"num_predict": 1, "temperature": 0, "seed": 1}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serve-robustness")
    shutil.copy(REPO / "examples" / "smollm2" / "Modelfile", folder / "Modelfile")
    (folder / "SmolLM2-135M-Instruct.Q4_1.gguf").symlink_to(smollm2_gguf())
    builder.build(folder / "Modelfile", "assistant", store=folder / "store")
    tiny_model(folder / "tiny", folder / "store", "tiny")
    return folder / "store"


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[Served]:
    log = store.parent / "serve.log"
    with running(store, log, env={"MFC_MAX_BODY": "1MiB"}) as url:
        yield url
    assert "Traceback" not in log.read_text(), log.read_text()


def store_hash(store: Path) -> str:
    """Every file and folder under the store (temporary ones too), hashed with its bytes;
    a file over 1 MiB (the model's weights) with its size and modification time."""
    digest = hashlib.sha256()
    for path in sorted(store.rglob("*")):
        digest.update(str(path.relative_to(store)).encode() + b"\0")
        if path.is_symlink() or not path.is_file():
            digest.update(b"link" if path.is_symlink() else b"folder")
            continue
        stat = path.stat()
        digest.update(b"%d %d" % (stat.st_size, stat.st_mtime_ns) if stat.st_size > 2**20 else path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def unchanged(store: Path, server: Served) -> Iterator[None]:
    """The test leaves the store as it was, and the server still answers."""
    before = store_hash(store)
    yield
    assert store_hash(store) == before, "the store changed"
    assert httpx.get(server + "/api/version").status_code == 200


def raw_request(url: str, head: bytes, body: bytes = b"", *, read_all: bool = True) -> tuple[int, bytes]:
    """Send bytes as they are (no client normalising the path) and read the answer:
    its status and body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + body)
        answer = b""
        while read_all or b"\r\n\r\n" not in answer:
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
    header, _, rest = answer.partition(b"\r\n\r\n")
    return int(header.split(b" ", 2)[1]), rest


def error_of(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/json; charset=utf-8", response.text
    return response.status_code, response.json()["error"]


# ---- malformed bodies, wrong types, unknown fields ---------------------------------------------


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", "missing request body"),
        (b"   \n", "missing request body"),
        (b'{"model": "tiny"', "unexpected EOF"),
        (b"\x00{}", "invalid character '\\x00' looking for beginning of value"),
        (b"'model'", 'invalid character "\'" looking for beginning of value'),
        (b"\xff\xfe", "invalid character '\ufffd' looking for beginning of value"),
    ],
    ids=["empty", "blank", "truncated", "nul", "quote", "not-utf8"],
)
def test_malformed_json(server: Served, unchanged: None, route: str, body: bytes, error: str) -> None:
    response = httpx.request(ROUTES[route], server + route, content=body)
    assert error_of(response) == (400, error)


@pytest.mark.parametrize(
    ("route", "body", "struct"),
    [
        ("/api/generate", {"model": "tiny", "stream": "yes"}, "GenerateRequest.stream of type bool"),
        ("/api/generate", {"model": "tiny", "prompt": 1}, "GenerateRequest.prompt of type string"),
        ("/api/chat", {"model": "tiny", "stream": 0}, "ChatRequest.stream of type bool"),
        ("/api/chat", {"model": ["tiny"]}, "ChatRequest.model of type string"),
        ("/api/embed", {"model": "tiny", "truncate": "no"}, "EmbedRequest.truncate of type bool"),
        ("/api/embed", {"model": "tiny", "dimensions": "4"}, "EmbedRequest.dimensions of type int"),
        ("/api/embeddings", {"model": "tiny", "prompt": ["a"]}, "EmbeddingRequest.prompt of type string"),
        ("/api/show", {"model": "tiny", "options": []}, "ShowRequest.options of type map[string]interface {}"),
        ("/api/copy", {"source": 1, "destination": "x"}, "CopyRequest.source of type string"),
        ("/api/delete", {"model": True}, "DeleteRequest.model of type string"),
        ("/api/create", {"model": "x", "stream": "no"}, "CreateRequest.stream of type bool"),
        ("/api/pull", {"model": "x", "insecure": 1}, "PullRequest.insecure of type bool"),
        ("/api/push", {"model": "x", "stream": {}}, "PushRequest.stream of type bool"),
        ("/api/generate", {"model": "assistant", "context": ["a"]}, "GenerateRequest.context of type int"),
        ("/api/generate", {"model": "assistant", "context": [2**63]}, "GenerateRequest.context of type int"),
        ("/api/embed", {"model": "minilm", "dimensions": 10**30}, "EmbedRequest.dimensions of type int"),
        (
            "/api/generate",
            {"model": "assistant", "prompt": "x", "images": [1]},
            "GenerateRequest.images of type []uint8",
        ),
        ("/api/chat", {"model": "assistant", "tools": ["f"]}, "ChatRequest.tools of type api.Tool"),
        ("/api/chat", {"model": "assistant", "messages": [2]}, "ChatRequest.messages of type api.Message"),
        (
            "/api/chat",
            {"model": "assistant", "messages": [{"role": "user", "content": 5}]},
            "ChatRequest.messages.content of type string",
        ),
        (
            "/api/chat",
            {"model": "assistant", "messages": [{"role": "user", "tool_calls": [1]}]},
            "ChatRequest.messages.tool_calls of type api.ToolCall",
        ),
        (
            "/api/chat",
            {"model": "assistant", "messages": [{"role": "user", "tool_calls": [{"function": {"arguments": "{}"}}]}]},
            "ChatRequest.messages.tool_calls.function.arguments of type map[string]interface {}",
        ),
    ],
)
def test_wrong_types(server: Served, unchanged: None, route: str, body: dict[str, Any], struct: str) -> None:
    status, error = error_of(httpx.request(ROUTES[route], server + route, json=body))
    assert status == 400 and error.startswith("json: cannot unmarshal ") and error.endswith(struct), error


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_body_that_is_not_an_object(server: Served, unchanged: None, route: str) -> None:
    status, error = error_of(httpx.request(ROUTES[route], server + route, content=b'"tiny"'))
    assert status == 400 and error.startswith("json: cannot unmarshal string into Go value of type api."), error


def test_unknown_fields_are_ignored(server: Served, unchanged: None) -> None:
    extra = {"bogus": {"deep": [1, None]}, "verbose_mode": True, "": 0}
    shown = httpx.post(server + "/api/show", json={"model": "tiny", **extra})
    assert shown.status_code == 200 and shown.json()["model_info"]["general.architecture"] == "test"
    # the unload shortcut answers without loading the model: the fields changed nothing
    for route in ("/api/generate", "/api/chat"):
        answer = httpx.post(server + route, json={"model": "tiny", "keep_alive": 0, **extra})
        assert answer.status_code == 200 and answer.json()["done_reason"] == "unload"
    copied = httpx.post(server + "/api/copy", json={"source": "nope", "destination": "x", **extra})
    assert error_of(copied) == (404, 'model "nope" not found')


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"[" * 100_000, "invalid character '[' exceeded max depth"),
        (
            b'{"model": "tiny", "format": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
            "invalid character '{' exceeded max depth",
        ),
        (b'{"model": "tiny", "keep_alive": NaN}', "invalid character 'N' looking for beginning of value"),
        (b'{"model": "tiny", "options": {"temperature": -Infinity}}', "invalid character 'I' in numeric literal"),
        (
            b'{"model": "tiny", "keep_alive": 1e999}',
            "json: cannot unmarshal number 1e999 into Go value of type float64",
        ),
    ],
    ids=["deep-array", "deep-object", "nan", "infinity", "overflow"],
)
def test_json_that_go_refuses(server: Served, unchanged: None, body: bytes, error: str) -> None:
    for route in ("/api/generate", "/api/chat", "/api/show"):
        assert error_of(httpx.post(server + route, content=body)) == (400, error)


@pytest.mark.parametrize("options", [{"num_thread": 10**30}, {"num_batch": -1}, {"num_ctx": -(10**30)}])
def test_load_options_llama_cpp_would_abort_on(server: Served, unchanged: None, options: dict[str, int]) -> None:
    """llama.cpp runs in the server's process: numbers it aborts on are a clean 500 (a
    runner that cannot load, as in Ollama), and the model loads again for the next one."""
    chat = {"model": "assistant", "messages": [{"role": "user", "content": "Hi"}], "stream": False}
    status, error = error_of(httpx.post(server + "/api/chat", json={**chat, "options": options}, timeout=60))
    assert status == 500 and error.startswith("cannot load assistant:latest: option ")
    answer = httpx.post(server + "/api/chat", json={**chat, "options": ONE_TOKEN}, timeout=60)
    assert answer.status_code == 200 and answer.json()["done"] is True


@pytest.mark.parametrize(
    ("schema", "error"),
    [
        ({"enum": []}, "invalid format: llama.cpp cannot parse the grammar of this JSON schema"),
        (
            {"type": "object", "properties": {"a": {"type": "string", "enum": []}}, "required": ["a"]},
            "invalid format: llama.cpp cannot parse the grammar of this JSON schema",
        ),
        (
            {"type": "string", "minLength": 10**9},
            "invalid format: the JSON schema asks for 1000000000 repetitions in all, more than 10000 "
            "(llama.cpp's grammar spells out each one)",
        ),
        (
            {"type": "array", "items": {"type": "string", "pattern": "^a{99999}$"}},
            "invalid format: the JSON schema asks for 99999 repetitions in all, more than 10000 "
            "(llama.cpp's grammar spells out each one)",
        ),
    ],
    ids=["empty-enum", "empty-enum-inside", "huge-min-length", "huge-pattern-count"],
)
def test_formats_llama_cpp_cannot_take(server: Served, unchanged: None, schema: dict[str, Any], error: str) -> None:
    """A grammar llama.cpp cannot parse crashed the process, a huge bound took its
    memory: both are Ollama's 500 for a format that cannot be followed."""
    body = {"model": "assistant", "prompt": "x", "format": schema, "options": ONE_TOKEN}
    assert error_of(httpx.post(server + "/api/generate", json=body, timeout=60)) == (500, error)


@pytest.mark.parametrize("depth", [900, 960, 990, 999])
def test_a_format_nested_near_the_decoders_limit(server: Served, unchanged: None, depth: int) -> None:
    """Nested just within what the decoder reads, a format schema is too deep to convert:
    a 400 from the decoder or the 500 of a format that cannot be followed, never a crash."""
    schema = b'{"a": ' * depth + b"1" + b"}" * depth
    body = b'{"model": "assistant", "prompt": "x", "options": {"num_predict": 1}, "format": ' + schema + b"}"
    status, error = error_of(httpx.post(server + "/api/generate", content=body, timeout=60))
    assert (status, error) in (
        (400, "invalid character '{' exceeded max depth"),
        (500, "invalid format: the JSON schema cannot be followed: it nests too deep"),
    ) or (status == 500 and error.startswith("invalid format: the JSON schema cannot be followed: ")), error


def test_a_template_cannot_print_gigabytes(server: Served, unchanged: None) -> None:
    """Go's printf gives up on a width over a million (``%!(NOVERB)``) rather than pad
    to it; so does mfc's, so a request's template cannot make a gigabyte prompt."""
    template = '{{ printf "%0999999999d" 1 }}{{ .Prompt }}'
    body = {"model": "assistant", "prompt": "x", "template": template, "_debug_render_only": True}
    answer = httpx.post(server + "/api/generate", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["_debug_info"]["rendered_template"] == "%!(NOVERB)%!(EXTRA int=1)x"


def test_lone_surrogates_read_as_replacement_characters(server: Served, unchanged: None) -> None:
    """``"\\ud800"`` is valid JSON but no UTF-8 text: Go reads it as U+FFFD, and so does mfc."""
    shown = httpx.post(server + "/api/show", content=b'{"model": "tiny", "system": "a\\ud800b"}')
    assert shown.status_code == 200 and shown.json()["system"] == "a\ufffdb"
    for route, body in (
        ("/api/generate", b'{"model": "assistant", "prompt": "\\udfff", "system": "\\udc00", "stream": false, '),
        (
            "/api/chat",
            b'{"model": "assistant", "messages": [{"role": "user", "content": "\\ud83d"}], "stream": false, ',
        ),
    ):
        answer = httpx.post(server + route, content=body + b'"options": {"num_predict": 1}}', timeout=60)
        assert answer.status_code == 200 and answer.json()["done"] is True, answer.text


# ---- bodies over the limit ------------------------------------------------------------------------


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_body_over_the_limit_is_413(server: Served, unchanged: None, route: str) -> None:
    body = json.dumps({"model": "tiny", "prompt": "x" * LIMIT}).encode()
    assert error_of(httpx.request(ROUTES[route], server + route, content=body)) == (413, TOO_LARGE)


def test_a_chunked_body_over_the_limit_is_413(server: Served, unchanged: None) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"model": "tiny", "prompt": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    response = httpx.post(server + "/api/generate", content=chunks())
    assert "content-length" not in response.request.headers
    assert error_of(response) == (413, TOO_LARGE)


def test_the_413_comes_before_the_body_is_read(server: Served, unchanged: None) -> None:
    """A request announcing 10 GiB, of which nothing is sent, is answered at once."""
    head = b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    status, body = raw_request(server, head + b"Content-Length: 10737418240\r\n\r\n")
    assert (status, json.loads(body)) == (413, {"error": TOO_LARGE})


def test_a_body_under_the_limit_is_read(server: Served, unchanged: None) -> None:
    shown = httpx.post(server + "/api/show", json={"model": "tiny", "system": "z" * (LIMIT - 100)})
    assert shown.status_code == 200 and shown.json()["system"] == "z" * (LIMIT - 100)


def test_blob_uploads_are_not_limited(server: Served, store: Path) -> None:
    data = b"\x01" * (LIMIT * 2)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert httpx.post(f"{server}/api/blobs/{digest}", content=data).status_code == 201
    assert store.joinpath("blobs", digest.replace(":", "-")).read_bytes() == data


# ---- unknown models, invalid names and digests -----------------------------------------------------

HOSTILE_NAMES = ["../../etc/passwd", "/etc/passwd", "a/../../b", "x\x00y", "sha256:../x", "C:\\x", "a/b/c/d", "é"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_invalid_names_never_reach_the_store(server: Served, unchanged: None, name: str) -> None:
    def error(route: str, body: dict[str, Any]) -> tuple[int, str]:
        return error_of(httpx.request(ROUTES[route], server + route, json=body))

    invalid = (400, "invalid model name")
    for route in ("/api/generate", "/api/chat", "/api/embed", "/api/embeddings", "/api/show", "/api/pull"):
        assert error(route, {"model": name, "prompt": "x", "input": "x"}) == invalid, route
    assert error("/api/push", {"model": name}) == invalid
    assert error("/api/create", {"model": name, "from": "tiny"}) == invalid
    assert error("/api/create", {"model": "fine", "from": name}) == invalid
    assert error("/api/delete", {"model": name}) == (400, f"name {go_quote(name)} is invalid")
    assert error("/api/copy", {"source": "tiny", "destination": name}) == (
        400,
        f"destination {go_quote(name)} is invalid",
    )
    assert error("/api/copy", {"source": name, "destination": "x"}) == (400, f"source {go_quote(name)} is invalid")


def test_go_quotes_control_bytes_as_ollama_does(server: Served, unchanged: None) -> None:
    response = httpx.request("DELETE", server + "/api/delete", json={"model": "a\x00b\tc"})
    assert response.content == b'{"error":"name \\"a\\\\x00b\\\\tc\\" is invalid"}'


def test_unknown_models(server: Served, unchanged: None) -> None:
    chat = {"model": "nope", "messages": [{"role": "user", "content": "x"}]}
    assert error_of(httpx.post(server + "/api/chat", json=chat)) == (404, "model 'nope' not found")
    assert error_of(httpx.post(server + "/api/generate", json={"model": "nope:v2", "prompt": "x"})) == (
        404,
        "model 'nope:v2' not found",
    )
    for route in ("/api/embed", "/api/embeddings"):
        response = httpx.post(server + route, json={"model": "nope", "input": "x", "prompt": "x"})
        assert error_of(response) == (404, 'model "nope" not found, try pulling it first')
    assert error_of(httpx.post(server + "/api/show", json={"model": "me/nope:v1"})) == (
        404,
        "model 'me/nope:v1' not found",
    )


@pytest.mark.parametrize(
    ("target", "status", "error"),
    [
        (b"/api/blobs/sha256:../x", 404, None),  # sent as is: a '/' matches no route
        (b"/api/blobs/sha256:..", 400, "invalid digest format"),
        (b"/api/blobs/sha256:%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404, None),
        (b"/api/blobs/%2Fetc%2Fpasswd", 404, None),
        (b"/api/blobs/..%2F..%2F..%2Fetc%2Fpasswd", 404, None),
        (b"/api/blobs/sha256:%00", 400, "invalid digest format"),
        (b"/api/blobs/sha256-" + b"0" * 63 + b"%00", 400, "invalid digest format"),
        (b"/api/blobs/sha256:" + b"0" * 64 + b"%00", 400, "invalid digest format"),
        (b"/api/blobs/C:%5Cwindows", 400, "invalid digest format"),
    ],
)
def test_hostile_digests(server: Served, unchanged: None, target: bytes, status: int, error: str | None) -> None:
    for method in (b"HEAD", b"POST"):
        head = (
            method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nConnection: close\r\n\r\n"
        )
        got, body = raw_request(server, head, b"x")
        if method == b"HEAD":
            assert got == status, target
            continue
        assert got == status, (target, body)
        assert body == (b"404 page not found" if error is None else b'{"error":%s}' % json.dumps(error).encode())


@pytest.mark.parametrize("path", ["/etc/passwd", "../../x.gguf", "a/../../x.gguf", "C:\\x.gguf", "x\x00.gguf"])
def test_create_refuses_file_paths_outside_the_model(server: Served, unchanged: None, store: Path, path: str) -> None:
    digest = "sha256:" + next(p.name for p in (store / "blobs").iterdir()).removeprefix("sha256-")
    files = {"model.safetensors": digest, path: digest}
    response = httpx.post(server + "/api/create", json={"model": "evil", "files": files})
    assert error_of(response) == (400, "file path must be relative")


# ---- many clients at once, a client that goes away, memory ------------------------------------------


def test_200_concurrent_connections(server: Served, unchanged: None) -> None:
    async def one(client: httpx.AsyncClient, index: int) -> None:
        kind = index % 4
        if kind == 0:
            response = await client.get("/api/tags")
            assert response.status_code == 200 and {m["name"] for m in response.json()["models"]} >= {"tiny:latest"}
        elif kind == 1:
            response = await client.post("/api/show", json={"model": "tiny"})
            assert response.status_code == 200 and response.json()["details"]["family"] == "test"
        elif kind == 2:
            response = await client.get("/api/version")
            assert response.status_code == 200 and response.json()["version"]
        else:
            response = await client.post("/api/chat", content=b'{"model": ')
            assert (response.status_code, response.json()) == (400, {"error": "unexpected EOF"})

    async def everyone() -> None:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=server, limits=limits, timeout=60) as client:
            await asyncio.gather(*(one(client, index) for index in range(200)))

    asyncio.run(everyone())


def test_a_client_that_resets_mid_stream(server: Served) -> None:
    """The connection is reset (RST) after the first streamed line: the server goes on
    serving, and the model answers the next request."""
    body = json.dumps({"model": "assistant", "messages": [{"role": "user", "content": "Count to 100."}]}).encode()
    host, port = server.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=60)
    head = f"POST /api/chat HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    sock.sendall(head + body)
    received = b""
    while b"}\n" not in received.partition(b"\r\n\r\n")[2]:
        piece = sock.recv(4096)
        assert piece, "the stream ended before its first line"
        received += piece
    assert b" 200 " in received.split(b"\r\n", 1)[0]
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # with linger 0: a reset
    chat = {"model": "assistant", "messages": [{"role": "user", "content": "Hi"}], "stream": False}
    answer = httpx.post(server + "/api/chat", json={**chat, "options": ONE_TOKEN}, timeout=60)
    assert answer.status_code == 200 and answer.json()["done"] is True
    assert httpx.get(server + "/api/tags").status_code == 200


def resident_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def test_memory_over_1000_chat_requests(server: Served) -> None:
    if not Path(f"/proc/{server.pid}/status").exists():
        pytest.skip("this system has no /proc to read the server's memory from")
    chat = {"model": "assistant", "messages": [{"role": "user", "content": "Hi"}], "stream": False}
    chat["options"] = ONE_TOKEN
    with httpx.Client(base_url=server, timeout=60) as client:

        def ask() -> None:
            response = client.post("/api/chat", json=chat)
            assert response.status_code == 200 and response.json()["done"] is True, response.text

        for _ in range(50):
            ask()
        before = resident_kb(server.pid)
        for _ in range(1000):
            ask()
        after = resident_kb(server.pid)
    print(f"server RSS: {before / 1024:.1f} MB after the warm-up, {after / 1024:.1f} MB after 1,000 requests")
    assert after - before < 30 * 1024, f"RSS grew by {(after - before) / 1024:.1f} MB over 1,000 requests"
