"""Graceful shutdown, inside the application: when the server begins to stop
(``Stopping.set()``: ``mfc serve`` calls it on SIGTERM or SIGINT, before uvicorn waits
for the open requests), every response that streams (NDJSON lines, server-sent events)
ends at once with one last complete error line, never cut in the middle of a line;
the other requests run on to their end within the server's grace period (uvicorn's
``timeout_graceful_shutdown``), and the models unload when the application's lifespan
ends.  Ollama closes every connection at once (a stream is cut where it is).

>>> closing_words("application/x-ndjson")
b'{"error":"the server is shutting down"}\\n'
>>> closing_words("text/event-stream")[:16], closing_words("text/event-stream").endswith(b"data: [DONE]\\n\\n")
(b'data: {"error":{', True)
>>> closing_words("application/json") is None
True
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from builder.serve.encoding import go_json

#: The text a cut stream ends with.
SHUTTING_DOWN = "the server is shutting down"


def closing_words(media_type: str) -> bytes | None:
    """The last line of a stream of ``media_type`` cut by the shutdown: Ollama's error
    line (NDJSON), an OpenAI error event and ``[DONE]`` (SSE, as ``openai.sse`` ends a
    stream that fails); ``None`` for a response that does not stream lines."""
    if media_type.startswith("application/x-ndjson"):
        return go_json({"error": SHUTTING_DOWN}) + b"\n"
    if media_type.startswith("text/event-stream"):
        error = {"message": SHUTTING_DOWN, "type": "api_error", "param": None, "code": None}
        return b"data: " + go_json({"error": error}) + b"\n\ndata: [DONE]\n\n"
    return None


class Stopping:
    """Set once, when the server begins to stop; awaited from any event loop (a test
    client runs one per request)."""

    def __init__(self) -> None:
        self.is_set = False
        self._waiters: set[asyncio.Future[None]] = set()

    def set(self) -> None:
        """The server is stopping: wake every ``wait()``."""
        self.is_set = True
        for waiter in list(self._waiters):
            waiter.get_loop().call_soon_threadsafe(_resolve, waiter)

    async def wait(self) -> None:
        """Return once the server is stopping."""
        if self.is_set:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await waiter
        finally:
            self._waiters.discard(waiter)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class _Response:
    """What one request's response has sent so far."""

    def __init__(self) -> None:
        self.words: bytes | None = None  # the closing line, once a stream has started
        self.started = asyncio.Event()
        self.finished = False
        self.cut = False

    def saw(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers") or ())
            self.words = closing_words(bytes(headers.get(b"content-type", b"")).decode("latin-1"))
            if self.words is not None:
                self.started.set()
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.finished = True


class GracefulStop:
    """ASGI middleware: streams end with their closing line when ``stopping`` is set."""

    def __init__(self, app: ASGIApp, stopping: Stopping) -> None:
        self.app = app
        self.stopping = stopping

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response = _Response()
        lock = asyncio.Lock()  # a line is sent whole before the stream is cut

        async def guarded(message: Message) -> None:
            async with lock:
                await send(message)
                response.saw(message)

        inner = anyio.CancelScope()
        watcher = asyncio.get_running_loop().create_task(self._watch(response, lock, inner))
        try:
            with inner:
                await self.app(scope, receive, guarded)
        finally:
            watcher.cancel()
        if response.cut and response.words is not None:
            await send({"type": "http.response.body", "body": response.words, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _watch(self, response: _Response, lock: asyncio.Lock, inner: Any) -> None:
        await self.stopping.wait()
        await response.started.wait()
        async with lock:
            if not response.finished:
                response.cut = True
                inner.cancel()
