"""``GET|HEAD /`` and ``/api/version`` (what tools probe to find a server), ``GET
/api/ps`` and ``GET /metrics`` (Prometheus)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from builder.serve.encoding import GoJSONResponse
from builder.serve.metrics import CONTENT_TYPE

#: The Ollama version whose API this server implements (ollama-api.md), answered by
#: ``/api/version``: clients compare it to decide which features they may use.
API_VERSION = "0.33.0"


async def root(request: Request) -> Response:
    """``Ollama is running``, as text/plain: how clients and tools detect a server."""
    return PlainTextResponse("Ollama is running")


async def version(request: Request) -> Response:
    """``{"version": "X.Y.Z"}``."""
    return GoJSONResponse({"version": API_VERSION})


async def ps(request: Request) -> Response:
    """The loaded models, latest expiry first (``[]``, never null, when none is)."""
    return GoJSONResponse({"models": request.app.state.models.ps()})


async def metrics(request: Request) -> Response:
    """The application's metrics in Prometheus' text format."""
    return Response(request.app.state.metrics.text(), media_type=CONTENT_TYPE)


ROUTES = [
    Route("/", root, methods=["GET", "HEAD"]),
    Route("/api/version", version, methods=["GET", "HEAD"]),
    Route("/api/ps", ps, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
