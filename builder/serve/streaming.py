"""NDJSON responses as Ollama streams them (ollama-api.md §9): one compact JSON object
and ``\\n`` per line, flushed line by line; an error after the first line is one last
``{"error": …}`` line inside the 200 response.  With ``stream: false`` the lines collapse
into one answer: the first error (with its status), else the last object.

``progress_lines`` runs a long library call (a build) in a worker thread and yields the
``Event``s it reports as they come, so that the event loop keeps serving meanwhile;
when the reader stops early (the client went away), the call is cancelled at its next
report (``Cancelled`` is raised from its progress callback) and waited for, so that
what it writes is finished or rolled back before the response ends.
``until_disconnected`` cancels a handler's work when its client goes away before the
response starts (Starlette does not).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import anyio
from starlette.requests import ClientDisconnect, Request
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


class Cancelled(MfcError):
    """Raised from a long call's progress callback when nobody waits for its result any
    more (the client went away): the call stops there, as a failure would stop it."""

    code = "canceled"


async def progress_lines(work: Callable[[Progress], object]) -> AsyncIterator[dict[str, Any]]:
    """Run ``work(progress)`` in a worker thread; yield each ``Event`` it reports, as
    Ollama's status object, as soon as it is reported, then end (or raise what ``work``
    raised: an ``MfcError`` as it is, anything else as a one-line 500).  Closed or
    cancelled before the end, it cancels ``work`` at its next report and waits for it."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    cancelled = threading.Event()

    def send(item: tuple[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone (shut down): nobody listens
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def report(event: Event) -> None:
        if cancelled.is_set():
            raise Cancelled("the client went away: the work was cancelled")
        send(("event", event.to_dict()))

    def run() -> None:
        try:
            work(report)
        except Exception as error:  # noqa: BLE001 - handed to the event loop, which decides
            send(("error", error))
        else:
            send(("done", None))

    done = loop.run_in_executor(None, run)
    try:
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
    finally:
        if not done.done():
            cancelled.set()
            with anyio.CancelScope(shield=True):
                await asyncio.wait([done])


T = TypeVar("T")


async def until_disconnected(request: Request, work: Awaitable[T]) -> T:
    """``await work``, cancelled (``ClientDisconnect``: Ollama's 499) if the client of
    ``request`` goes away first.  The request's body must have been read."""
    task = asyncio.ensure_future(work)
    gone = False

    async def watch() -> None:
        nonlocal gone
        while (await request.receive())["type"] != "http.disconnect":
            pass
        gone = True
        task.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        return await task
    except asyncio.CancelledError:
        if gone:
            raise ClientDisconnect from None
        raise
    finally:
        watcher.cancel()
