"""``POST /api/pull`` and ``POST /api/push``: not wired to a registry yet.  They answer
as Ollama answers a pull or push that fails: name errors are 400s; otherwise the error
is the one line of an NDJSON stream (200), or with ``stream: false`` a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.names import name_problem, without_cloud_suffix
from builder.serve.decoding import PULL, PUSH, model_field, read_body
from builder.serve.errors import ApiError, InvalidRequest
from builder.serve.streaming import stream_response


async def _failing(text: str) -> AsyncIterator[dict[str, Any]]:
    raise ApiError(500, text, code="not-implemented")
    yield {}  # an async generator: the error surfaces when the stream is read


async def pull(request: Request) -> Response:
    """Ollama's pull failure: ``pull model manifest: …``."""
    body = await read_body(request, PULL)
    name = without_cloud_suffix(model_field(body))
    if not name or name_problem(name):
        raise InvalidRequest("invalid model name")
    reason = "pull model manifest: mfc serve has no registry client yet (build models with mfc build)"
    return await stream_response(_failing(reason), stream=body.get("stream", True))


async def push(request: Request) -> Response:
    """Ollama's push failure."""
    body = await read_body(request, PUSH)
    name = model_field(body)
    if not name:
        raise InvalidRequest("model is required")
    if name_problem(name):
        raise InvalidRequest("invalid model name")
    reason = "push model manifest: mfc serve has no registry client yet"
    return await stream_response(_failing(reason), stream=body.get("stream", True))


ROUTES = [Route("/api/pull", pull, methods=["POST"]), Route("/api/push", push, methods=["POST"])]
