"""Model management: ``GET|HEAD /api/tags``, ``POST /api/show``, ``POST /api/copy``,
``DELETE /api/delete``, with Ollama's texts for a missing or invalid name (ollama-api.md
§2.4, §8)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import builder
from builder.names import name_problem, without_cloud_suffix
from builder.serve.decoding import COPY, DELETE, SHOW, model_field, read_body
from builder.serve.encoding import GoJSONResponse, go_quote
from builder.serve.errors import InvalidRequest, ollama_errors
from builder.serve.routes import store_of

#: The keys of Ollama's ``/api/show`` answer, in its order (``show_json`` adds others).
SHOW_KEYS = (
    "license",
    "modelfile",
    "parameters",
    "template",
    "system",
    "details",
    "messages",
    "model_info",
    "capabilities",
    "modified_at",
)


async def tags(request: Request) -> Response:
    """``{"models": […]}``, newest first, ``[]`` for an empty store."""
    rows = await run_in_threadpool(builder.list_models, store_of(request))
    return GoJSONResponse({"models": [row.to_dict() for row in rows]})


async def show(request: Request) -> Response:
    """The model's Modelfile, template, parameters, details and ``model_info`` (always
    present); ``verbose`` fills ``model_info``'s arrays; ``system`` replaces the system shown."""
    body = await read_body(request, SHOW)
    name = model_field(body)
    if not name:
        raise InvalidRequest("model is required")
    if name_problem(name):
        raise InvalidRequest("invalid model name")
    with ollama_errors(not_found=f"model '{builder.parse_name(name).display()}' not found"):
        shown = await run_in_threadpool(
            lambda: builder.show_json(name, store=store_of(request), verbose=body.get("verbose", False))
        )
    if "system" in body:
        shown["system"] = body["system"]
    return GoJSONResponse({key: shown[key] for key in SHOW_KEYS})


async def copy(request: Request) -> Response:
    """Copy ``source`` to ``destination``: 200 with an empty body."""
    body = await read_body(request, COPY)
    source, destination = body.get("source", ""), body.get("destination", "")
    for label, value in (("source", source), ("destination", destination)):
        if not value or name_problem(value):
            raise InvalidRequest(f"{label} {go_quote(value)} is invalid")
    with ollama_errors(not_found=f"model {go_quote(source)} not found"):
        await run_in_threadpool(lambda: builder.copy_model(source, destination, store=store_of(request)))
    return Response(status_code=200)


async def delete(request: Request) -> Response:
    """Delete the model and the blobs no other model uses: 200 with an empty body."""
    body = await read_body(request, DELETE)
    sent = model_field(body)
    if not sent:
        raise InvalidRequest("model is required")
    name = without_cloud_suffix(sent)
    if name_problem(name):
        raise InvalidRequest(f"name {go_quote(sent)} is invalid")
    with ollama_errors(not_found=f"model '{sent}' not found"):
        await run_in_threadpool(lambda: builder.remove_model(name, store=store_of(request)))
    return Response(status_code=200)


ROUTES = [
    Route("/api/tags", tags, methods=["GET", "HEAD"]),
    Route("/api/show", show, methods=["POST"]),
    Route("/api/copy", copy, methods=["POST"]),
    Route("/api/delete", delete, methods=["DELETE"]),
]
