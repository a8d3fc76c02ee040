"""``POST /api/create``: a model from uploaded blobs or from a model in the store, as
``ollama create`` asks for it (ollama-api.md §8.6, ollama-store.md §4).

The handler decodes the body, has the library check it (``builder.parse_create``:
Ollama's 400s, before anything is written) and build it (``builder.create_model``, the
build session of ``mfc build``) in a worker thread, and streams the build's statuses as
NDJSON, ``{"status":"success"}`` last; ``stream: false`` answers with that last object
only, or with the error and its status.  A client that goes away cancels the build (at
its next progress report); the build is atomic, so the store stays as it was."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import builder
from builder.events import Progress
from builder.serve.decoding import CREATE, read_body
from builder.serve.routes import store_of
from builder.serve.streaming import progress_lines, stream_response, until_disconnected


async def create(request: Request) -> Response:
    """Build the model the body describes; its statuses as Ollama streams them."""
    spec = builder.parse_create(await read_body(request, CREATE))
    store = store_of(request)

    def work(progress: Progress) -> object:
        return builder.create_model(spec, store=store, progress=progress)

    return await until_disconnected(request, stream_response(progress_lines(work), stream=spec.stream, prime=True))


ROUTES = [Route("/api/create", create, methods=["POST"])]
