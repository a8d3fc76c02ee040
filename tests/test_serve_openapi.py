"""``GET /openapi.json``: a valid OpenAPI 3.1 document (openapi-spec-validator) that
describes every route the app registers with its methods, and nothing the app does
not route; request schemas made from the server's own decoding shapes."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import Any

import pytest
from openapi_spec_validator import validate
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from builder.serve import decoding
from builder.serve.decoding import Shape
from builder.serve.factory import app
from builder.serve.openapi import document
from builder.serve.openapi.shapes import shape_schema

METHODS = {"get", "head", "post", "put", "patch", "delete", "options", "trace"}

#: The OpenAI layer's paths, described from ollama-api.md §10 while its routes are being
#: built on another branch: allowed to be unrouted only while the app routes nothing
#: under /v1/ (from then on the two must agree exactly).
OPENAI_PATHS = {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models", "/v1/models/{model}"}


def routed(routes: Iterable[BaseRoute], prefix: str = "") -> dict[str, set[str]]:
    """Every path the app routes (mounts walked) → its methods, lower-case."""
    found: dict[str, set[str]] = {}
    for route in routes:
        if isinstance(route, Mount):
            for path, methods in routed(route.routes, prefix + route.path).items():
                found.setdefault(path, set()).update(methods)
        elif isinstance(route, Route):
            found.setdefault(prefix + route.path, set()).update(m.lower() for m in route.methods or {"GET"})
    return found


def described(doc: dict[str, Any]) -> dict[str, set[str]]:
    return {path: set(item) & METHODS for path, item in doc["paths"].items()}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(app(store=tempfile.mkdtemp()))


def test_the_document_is_valid_openapi_3_1(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    served = response.json()
    assert served == document() and served["openapi"].startswith("3.1")
    validate(served)


def test_every_route_is_described_and_every_described_path_is_routed() -> None:
    routes = routed(app(store=tempfile.mkdtemp()).routes)
    paths = described(document())
    missing = {path: methods for path, methods in routes.items() if not methods <= paths.get(path, set())}
    assert missing == {}, f"routes the document does not describe (path: methods): {missing}"
    unrouted = {path: methods - routes.get(path, set()) for path, methods in paths.items()}
    unrouted = {path: methods for path, methods in unrouted.items() if methods}
    if not any(path.startswith("/v1/") for path in routes):
        assert set(unrouted) <= OPENAI_PATHS
        unrouted = {path: methods for path, methods in unrouted.items() if path not in OPENAI_PATHS}
    assert unrouted == {}, f"described operations the app does not route (path: methods): {unrouted}"


def test_the_route_walker_sees_mounts() -> None:
    async def nothing() -> None: ...

    nested = routed([Mount("/v1", routes=[Route("/models", nothing, methods=["GET"])])])
    assert nested == {"/v1/models": {"get", "head"}}


SHAPES = {
    "GenerateRequest": decoding.GENERATE,
    "ChatRequest": decoding.CHAT,
    "EmbedRequest": decoding.EMBED,
    "EmbeddingRequest": decoding.EMBEDDINGS,
    "ShowRequest": decoding.SHOW,
    "CopyRequest": decoding.COPY,
    "DeleteRequest": decoding.DELETE,
    "CreateRequest": decoding.CREATE,
    "PullRequest": decoding.PULL,
    "PushRequest": decoding.PUSH,
    "Message": decoding.MESSAGE,
    "ToolCall": decoding.TOOL_CALL,
    "ToolCallFunction": decoding.TOOL_CALL_FUNCTION,
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_request_schemas_have_the_fields_the_server_reads(name: str) -> None:
    schema = document()["components"]["schemas"][name]
    assert set(schema["properties"]) == set(SHAPES[name].fields)
    assert schema["title"] == SHAPES[name].name


def test_every_request_body_of_an_api_route_is_a_shape() -> None:
    doc = document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None or not path.startswith("/api/"):
                continue
            name = body["schema"]["$ref"].rsplit("/", 1)[1]
            assert name in SHAPES, f"{method.upper()} {path}: {name} is not made from a decoding Shape"


def test_a_refinement_cannot_widen_a_field() -> None:
    shape = Shape("Thing", {"count": int, "any": object})
    assert shape_schema(shape, refine={"any": {"type": "object"}})["properties"]["any"]["type"] == ["object", "null"]
    with pytest.raises(ValueError, match=r"Thing.count: refined as \['string'\]"):
        shape_schema(shape, refine={"count": {"type": "string"}})
    with pytest.raises(ValueError, match="does not read"):
        shape_schema(shape, refine={"other": {"type": "string"}})


def test_errors_and_streams_are_described_as_the_server_sends_them() -> None:
    doc = document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if "$ref" in response or not status.startswith(("4", "5")) or method == "head":
                    continue
                json_body = response.get("content", {}).get("application/json")
                if json_body is None:
                    continue
                expected = "OpenAIError" if path.startswith("/v1/") else "Error"
                assert json_body["schema"] == {"$ref": f"#/components/schemas/{expected}"}, (method, path, status)
    chat = doc["paths"]["/api/chat"]["post"]["responses"]["200"]["content"]
    assert set(chat) == {"application/x-ndjson", "application/json"}
    completions = doc["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    assert set(completions) == {"text/event-stream", "application/json"}
