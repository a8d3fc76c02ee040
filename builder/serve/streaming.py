"""NDJSON responses as Ollama streams them (ollama-api.md §9): one compact JSON object
and ``\\n`` per line, flushed line by line; an error after the first line is one last
``{"error": …}`` line inside the 200 response.  With ``stream: false`` the lines collapse
into one answer: the first error (with its status), else the last object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from builder.serve.encoding import go_json
from builder.serve.errors import status_of
from modelfile.errors import MfcError

NDJSON = "application/x-ndjson"


async def _lines(objects: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    try:
        async for value in objects:
            yield go_json(value) + b"\n"
    except MfcError as error:
        yield go_json({"error": str(error)}) + b"\n"


async def stream_response(objects: AsyncIterator[dict[str, Any]], *, stream: bool = True) -> Response:
    """The response for ``objects``: NDJSON when ``stream``, else the collapsed answer
    (``application/json``, without charset, as Ollama sends it for pull/push/create)."""
    if stream:
        return StreamingResponse(_lines(objects), media_type=NDJSON)
    last: dict[str, Any] | None = None
    try:
        async for value in objects:
            last = value
    except MfcError as error:
        return _plain_json({"error": str(error)}, status_of(error))
    if last is None:
        return _plain_json({"error": "unknown error"}, 500)
    return _plain_json(last, 200)


def _plain_json(value: dict[str, Any], status: int) -> Response:
    return Response(go_json(value), status_code=status, media_type="application/json")
