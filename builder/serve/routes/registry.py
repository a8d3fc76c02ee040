"""``POST /api/pull`` and ``POST /api/push``: ``builder.pull`` and ``builder.push`` in a
worker thread, their statuses streamed as Ollama streams them (ollama-api.md §8.7); with
``stream: false`` the last status, or the error with its status.  Name errors are 400s
before anything is sent; ``insecure`` means plain HTTP; ``username``/``password`` in the
body are ignored, as Ollama ignores them (credentials come from ``mfc login`` and
Docker's configuration on the server's machine)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import builder
from builder.events import Progress
from builder.names import name_problem, without_cloud_suffix
from builder.serve.decoding import PULL, PUSH, model_field, read_body
from builder.serve.errors import InvalidRequest
from builder.serve.routes import store_of
from builder.serve.streaming import progress_lines, stream_response


async def pull(request: Request) -> Response:
    """Pull the body's model from its registry into the server's store."""
    body = await read_body(request, PULL)
    name = without_cloud_suffix(model_field(body))
    if not name or name_problem(name):
        raise InvalidRequest("invalid model name")
    store, insecure = store_of(request), bool(body.get("insecure", False))

    def work(progress: Progress) -> object:
        return builder.pull(name, store=store, insecure=insecure, progress=progress)

    return await stream_response(progress_lines(work), stream=body.get("stream", True), prime=True)


async def push(request: Request) -> Response:
    """Push the body's model from the server's store to its registry."""
    body = await read_body(request, PUSH)
    name = model_field(body)
    if not name:
        raise InvalidRequest("model is required")
    if name_problem(name):
        raise InvalidRequest("invalid model name")
    store, insecure = store_of(request), bool(body.get("insecure", False))

    def work(progress: Progress) -> object:
        return builder.push(name, store=store, insecure=insecure, progress=progress)

    return await stream_response(progress_lines(work), stream=body.get("stream", True), prime=True)


ROUTES = [Route("/api/pull", pull, methods=["POST"]), Route("/api/push", push, methods=["POST"])]
