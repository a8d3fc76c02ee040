"""NDJSON responses as Ollama streams them (ollama-api.md §9): one compact JSON object
and ``\\n`` per line, flushed line by line; an error after the first line is one last
``{"error": …}`` line inside the 200 response.  With ``stream: false`` the lines collapse
into one answer: the first error (with its status), else the last object.

``progress_lines`` runs a long library call (a build) in a worker thread and yields the
``Event``s it reports as they come, so that the event loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.responses import Response, StreamingResponse

from builder.events import Event, Progress
from builder.serve.encoding import go_json
from builder.serve.errors import ApiError, status_of
from modelfile.errors import MfcError

NDJSON = "application/x-ndjson"


async def _lines(objects: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    try:
        async for value in objects:
            yield go_json(value) + b"\n"
    except MfcError as error:
        yield go_json({"error": str(error)}) + b"\n"


async def _after(first: dict[str, Any], rest: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    yield first
    async for value in rest:
        yield value


async def stream_response(
    objects: AsyncIterator[dict[str, Any]], *, stream: bool = True, prime: bool = False
) -> Response:
    """The response for ``objects``: NDJSON when ``stream``, else the collapsed answer
    (``application/json``, without charset, as Ollama sends it for pull/push/create).
    ``prime``: wait for the first object before answering, so that an error before
    anything was written keeps its status (as Ollama's create does), not a 200."""
    if stream and prime:
        try:
            first = await anext(objects)
        except StopAsyncIteration:
            return StreamingResponse(_lines(objects), media_type=NDJSON)
        return StreamingResponse(_lines(_after(first, objects)), media_type=NDJSON)
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


async def progress_lines(work: Callable[[Progress], object]) -> AsyncIterator[dict[str, Any]]:
    """Run ``work(progress)`` in a worker thread; yield each ``Event`` it reports, as
    Ollama's status object, as soon as it is reported, then end (or raise what ``work``
    raised: an ``MfcError`` as it is, anything else as a one-line 500)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def send(item: tuple[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone (shut down): nobody listens
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def report(event: Event) -> None:
        send(("event", event.to_dict()))

    def run() -> None:
        try:
            work(report)
        except Exception as error:  # noqa: BLE001 - handed to the event loop, which decides
            send(("error", error))
        else:
            send(("done", None))

    done = loop.run_in_executor(None, run)
    while True:
        kind, value = await queue.get()
        if kind == "event":
            yield value
            continue
        await done
        if kind == "done":
            return
        if isinstance(value, MfcError):
            raise value
        raise ApiError(500, f"internal error: {type(value).__name__}: {value}", code="internal-error")
