"""``app(store=…)``: the API as a Starlette application.

>>> import tempfile
>>> from starlette.testclient import TestClient
>>> client = TestClient(app(store=tempfile.mkdtemp()))
>>> client.get("/").text, client.get("/api/tags").json()
('Ollama is running', {'models': []})
>>> client.post("/api/show", json={"model": "nope"}).json()
{'error': "model 'nope:latest' not found"}
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect

from builder.serve.access_log import AccessLog
from builder.serve.body_limit import BodyLimit
from builder.serve.config import DEFAULT_MAX_BODY
from builder.serve.durations import DEFAULT_KEEP_ALIVE
from builder.serve.errors import on_disconnect, on_http_error, on_mfc_error, on_unexpected
from builder.serve.metrics import Metrics
from builder.serve.models_loaded import LoadedModels, Loader, runner_loader
from builder.serve.routes import blobs, create, embedding, generation, meta, models, openai, openapi, registry
from builder.serve.scheduler import stored_model_bytes
from builder.serve.shutdown import GracefulStop, Stopping
from builder.store import StoreLike, as_store
from modelfile.errors import MfcError


def app(
    store: StoreLike = None,
    *,
    middleware: Sequence[Middleware] = (),
    keep_alive: int = DEFAULT_KEEP_ALIVE,
    max_body: int = DEFAULT_MAX_BODY,
    max_loaded_models: int = 3,
    max_queue: int = 512,
    context_length: int = 0,
    loader: Loader | None = None,
    num_parallel: int = 4,
) -> Starlette:
    """Ollama's REST API over ``store`` (a ``Store``, its folder, or ``None`` for the
    default store).

    ``middleware`` runs before every route, outermost first: the place where the server
    configuration's security middleware (CORS and ``OLLAMA_ORIGINS``, the Host-header
    check, the API key: ``builder/serve/security.py``) plugs in.  Inside them,
    ``BodyLimit`` answers 413 to a request body over ``max_body`` bytes (0: no limit;
    blob uploads are exempt).
    ``keep_alive`` (nanoseconds) is how long a model stays loaded after a request that
    does not say (``OLLAMA_KEEP_ALIVE``); ``max_loaded_models`` and ``max_queue`` are the
    scheduler's limits (``OLLAMA_MAX_LOADED_MODELS``, ``OLLAMA_MAX_QUEUE``: see
    ``LoadedModels``); the models still loaded are freed at shutdown.
    ``context_length`` is the ``num_ctx`` of a model whose PARAMETERs and request do not
    set it (``OLLAMA_CONTEXT_LENGTH``; 0: mfc's default, 4096).  ``loader(store, name,
    load_options)`` makes the runner of a model on its first use: ``builder.Runner`` unless
    given (tests give a stand-in that answers without llama.cpp).
    ``num_parallel`` (``OLLAMA_NUM_PARALLEL``) is how many requests to one model decode
    together.
    Outside them all, ``AccessLog`` logs each request and counts it in the app's own
    ``Metrics``, answered at ``GET /metrics``; inside it, ``GracefulStop`` ends the
    streams when ``application.state.stopping`` is set (the server is shutting down).
    """
    the_store = as_store(store)
    stopping = Stopping()
    loaded = LoadedModels(
        the_store,
        keep_alive=keep_alive,
        loader=loader or runner_loader(context_length, parallel=num_parallel),
        sizer=functools.partial(stored_model_bytes, context_length=context_length, parallel=num_parallel),
        max_loaded=max_loaded_models,
        max_queue=max_queue,
    )
    metrics = Metrics(  # of the registry the application holds when scraped
        loaded=lambda: int(application.state.models.count()),
        queued=lambda: int(application.state.models.queue_depth()),
        waiting=lambda: int(application.state.models.waiting()),
    )

    @contextlib.asynccontextmanager
    async def lifespan(application: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await loaded.close()

    application = Starlette(
        routes=[
            *meta.ROUTES,
            *models.ROUTES,
            *generation.ROUTES,
            *embedding.ROUTES,
            *blobs.ROUTES,
            *create.ROUTES,
            *registry.ROUTES,
            *openai.ROUTES,
            *openapi.ROUTES,
        ],
        middleware=[
            Middleware(AccessLog, metrics=metrics),
            Middleware(GracefulStop, stopping=stopping),
            *middleware,
            Middleware(BodyLimit, limit=max_body),
        ],
        exception_handlers={
            MfcError: on_mfc_error,
            HTTPException: on_http_error,
            ClientDisconnect: on_disconnect,
            Exception: on_unexpected,
        },
        lifespan=lifespan,
    )
    application.state.store = the_store
    application.state.models = loaded
    application.state.metrics = metrics
    application.state.stopping = stopping
    return application
