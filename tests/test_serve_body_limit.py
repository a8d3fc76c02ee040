"""The request body limit (``BodyLimit``, ``MFC_MAX_BODY``) in the application, without
a server process (tests/test_serve_robustness.py sends the same to a real one): the
413 by ``Content-Length`` and while a chunked body streams in, the error shapes of
both APIs, the blob-upload exemption, a client gone before its body came, and the
variable's parsing."""

from __future__ import annotations

import asyncio
import hashlib
import json
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from builder.serve.body_limit import BodyLimit
from builder.serve.config import DEFAULT_MAX_BODY, ServerConfig
from builder.serve.factory import app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(app(store=tempfile.mkdtemp(), max_body=100))


def test_a_declared_length_over_the_limit(client: TestClient) -> None:
    response = client.post("/api/show", content=b"{" + b" " * 200 + b"}")
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"error": "request body too large: the limit is 100 bytes (MFC_MAX_BODY)"}


def test_a_chunked_body_over_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"model": "'
        yield b"m" * 95
        yield b'"}'

    response = client.post("/api/show", content=chunks())
    assert (response.status_code, response.json()["error"][:26]) == (413, "request body too large: th")


def test_a_body_at_the_limit_reaches_the_route(client: TestClient) -> None:
    body = json.dumps({"model": "nope", "system": ""}).encode()
    body = body[:-1] + b" " * (100 - len(body)) + b"}"
    assert len(body) == 100
    assert client.post("/api/show", content=body).json() == {"error": "model 'nope:latest' not found"}


def test_openai_routes_get_openais_error_shape(client: TestClient) -> None:
    response = client.post("/v1/chat/completions", content=b"x" * 101)
    assert response.status_code == 413
    assert response.json()["error"] == {
        "message": "request body too large: the limit is 100 bytes (MFC_MAX_BODY)",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_blob_uploads_are_exempt(client: TestClient) -> None:
    data = b"b" * 1000
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert client.post(f"/api/blobs/{digest}", content=data).status_code == 201


def test_no_limit() -> None:
    unlimited = TestClient(app(store=tempfile.mkdtemp(), max_body=0))
    body = json.dumps({"model": "nope", "system": "s" * (DEFAULT_MAX_BODY // 8)}).encode()
    assert unlimited.post("/api/show", content=body).status_code == 404


def test_a_client_gone_before_its_body_came() -> None:
    """The route sees the disconnect (Starlette's ClientDisconnect), not a 413 or a hang."""
    seen: list[Any] = []

    async def route(scope: Any, receive: Any, send: Any) -> None:
        seen.append(await receive())

    async def run() -> None:
        messages = [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]

        async def receive() -> dict[str, Any]:
            return messages.pop(0)

        async def send(message: Any) -> None:
            raise AssertionError(f"nothing is sent: {message}")

        scope = {"type": "http", "method": "POST", "path": "/api/chat", "headers": []}
        await BodyLimit(route, limit=10)(scope, receive, send)

    asyncio.run(run())
    assert seen == [{"type": "http.request", "body": b"{", "more_body": True}]


@pytest.mark.parametrize(
    ("value", "limit", "warned"),
    [
        ("", DEFAULT_MAX_BODY, False),
        ("1048576", 1048576, False),
        ("64MiB", 64 * 2**20, False),
        ('"2 kb"', 2000, False),
        ("0", 0, False),
        ("lots", DEFAULT_MAX_BODY, True),
        ("-1", DEFAULT_MAX_BODY, True),
    ],
)
def test_mfc_max_body(value: str, limit: int, warned: bool) -> None:
    config = ServerConfig.from_env({"MFC_MAX_BODY": value})
    assert config.max_body == limit
    assert any("MFC_MAX_BODY" in warning for warning in config.warnings) == warned
