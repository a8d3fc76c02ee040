"""``GET /openapi.json``: the OpenAPI 3.1 document of every route
(``builder.serve.openapi``), serialised once."""

from __future__ import annotations

import functools
import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.serve.openapi import document


@functools.cache
def _serialised() -> bytes:
    return json.dumps(document(), separators=(",", ":")).encode()


async def openapi(request: Request) -> Response:
    """The document, as ``application/json``."""
    return Response(_serialised(), media_type="application/json")


ROUTES = [Route("/openapi.json", openapi, methods=["GET"])]
