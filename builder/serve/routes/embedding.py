"""``POST /api/embed`` (a string or a list of strings → L2-normalised vectors) and the
legacy ``POST /api/embeddings`` (one prompt → one vector, as pooled), with Ollama's
shapes, texts and statuses (ollama-api.md §7): the runner's failures are 400 on
``/api/embed`` and 500 on ``/api/embeddings``."""

from __future__ import annotations

import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.errors import RunError
from builder.names import name_problem
from builder.serve.decoding import EMBED, EMBEDDINGS, model_field, read_body
from builder.serve.durations import keep_alive_from_json, request_timings
from builder.serve.encoding import GoJSONResponse, go_quote
from builder.serve.errors import ApiError, InvalidRequest, ollama_errors
from builder.serve.routes.generation import models_of
from builder.serve.run_request import check_model


def embed_inputs(value: Any) -> list[str]:
    """``input`` as a list of texts (``invalid input type`` unless a string or strings).

    >>> embed_inputs("a"), embed_inputs(["a", "b"]), embed_inputs(None)
    (['a'], ['a', 'b'], [])
    """
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise InvalidRequest("invalid input type")


async def embed(request: Request) -> Response:
    """Ollama's ``/api/embed``."""
    return GoJSONResponse(await embed_answer(request, await read_body(request, EMBED)))


async def embed_answer(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """The answer of ``/api/embed`` to its decoded ``body`` (``decoding.EMBED``), as a
    dict; the OpenAI layer's ``/v1/embeddings`` sends it in its own shape."""
    name = model_field(body)
    if not name:
        raise ApiError(404, "model '' not found", code="model-not-found")
    texts = embed_inputs(body.get("input"))
    keep_alive = keep_alive_from_json(body.get("keep_alive"))
    result = await _embed(request, name, body, keep_alive, texts, status=400, normalize=True)
    if not texts:
        return {"model": name, "embeddings": []}
    return {**result, "model": name}


async def embeddings(request: Request) -> Response:
    """Ollama's legacy ``/api/embeddings``: ``{"embedding": […]}``, not normalised."""
    body = await read_body(request, EMBEDDINGS)
    name = model_field(body)
    if not name:
        raise InvalidRequest("model is required")
    prompt = body.get("prompt", "")
    keep_alive = keep_alive_from_json(body.get("keep_alive"))
    result = await _embed(request, name, body, keep_alive, [prompt] if prompt else [], status=500, normalize=False)
    vectors = result.get("embeddings") or [[]]
    return GoJSONResponse({"embedding": vectors[0]})


async def _embed(
    request: Request,
    name: str,
    body: dict[str, Any],
    keep_alive: int | None,
    texts: list[str],
    *,
    status: int,
    normalize: bool,
) -> dict[str, Any]:
    """The runner's ``Embeddings`` for ``texts`` as a dict (``{}`` when there are none:
    the model is only loaded)."""
    started = time.perf_counter()
    if name_problem(name):
        raise InvalidRequest("invalid model name")
    models = models_of(request)
    missing = f"model {go_quote(name)} not found, try pulling it first"
    with ollama_errors(not_found=missing):
        await run_in_threadpool(check_model, models.store, name)
    options = body.get("options")
    async with models.use(name, options=options, keep_alive=keep_alive) as runner:
        ready = time.perf_counter()
        if not texts:
            return {}
        dimensions = body.get("dimensions")
        truncate = body.get("truncate", True)
        try:
            result = await run_in_threadpool(
                lambda: runner.embed(texts, truncate=truncate, dimensions=dimensions, normalize=normalize)
            )
        except RunError as error:
            raise ApiError(status, str(error), code=error.code) from None
    return request_timings(started, ready, result.to_dict())


ROUTES = [
    Route("/api/embed", embed, methods=["POST"]),
    Route("/api/embeddings", embeddings, methods=["POST"]),
]
