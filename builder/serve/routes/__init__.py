"""The API's routes, a module per group: ``meta`` (liveness, version, loaded models),
``models`` (tags, show, copy, delete), ``blobs`` (upload by digest), ``create`` (a
model from uploads or from a stored model), ``registry`` (pull, push), ``generation``
(generate, chat), ``embedding`` (embed, embeddings), ``openai`` (the ``/v1`` routes,
over the code of the others), ``openapi`` (the document of them all).

Each handler parses the request (``builder.serve.decoding``), calls the library function
the matching ``mfc`` command calls, and encodes the answer; blocking store work runs in
a worker thread so that the event loop keeps serving."""

from __future__ import annotations

from starlette.requests import Request

from builder.store import Store


def store_of(request: Request) -> Store:
    """The store the application serves (``app(store=…)``)."""
    store: Store = request.app.state.store
    return store
