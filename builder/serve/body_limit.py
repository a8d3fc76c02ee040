"""``BodyLimit``: the request body limit (``MFC_MAX_BODY``) as a plain ASGI middleware.

A request whose ``Content-Length`` is over the limit is answered 413 before any of its
body is read; a body without a length (chunked) is read up to the limit and answered
413 as soon as it passes it, the rest left unread.  A body within the limit is handed
to the route as it came.  Blob uploads (``POST /api/blobs/…``) are exempt: they stream
to a temporary file and enter the store only verified, so the disk bounds them.  The
413 names the limit, in the path's error shape: OpenAI's under ``/v1/``, Ollama's
``{"error": …}`` elsewhere.

>>> too_large("/api/chat", 1024).body
b'{"error":"request body too large: the limit is 1024 bytes (MFC_MAX_BODY)"}'
>>> json.loads(too_large("/v1/embeddings", 1024).body)["error"]["type"]
'invalid_request_error'
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from builder.serve.security import ASGIApp, Message, Receive, Send, Verdict

#: Paths whose bodies are not limited: uploads that stream to disk and are verified.
EXEMPT_PREFIXES = ("/api/blobs/",)


def too_large(path: str, limit: int) -> Verdict:
    """The 413 answer for a body over ``limit`` bytes sent to ``path``."""
    message = f"request body too large: the limit is {limit} bytes (MFC_MAX_BODY)"
    if path.startswith("/v1/"):
        error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
        body = json.dumps({"error": error}, separators=(",", ":")).encode() + b"\n"
        return Verdict(413, (("Content-Type", "application/json"),), body)
    body = json.dumps({"error": message}, separators=(",", ":")).encode()
    return Verdict(413, (("Content-Type", "application/json; charset=utf-8"),), body)


def declared_length(scope: MutableMapping[str, Any]) -> int | None:
    """The request's ``Content-Length`` as a number (None when absent or not a number).

    >>> declared_length({"headers": [(b"content-length", b"12")]}), declared_length({"headers": []})
    (12, None)
    """
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


class BodyLimit:
    """Answer 413 to HTTP requests whose body is longer than ``limit`` bytes (0: no
    limit), except on the ``EXEMPT_PREFIXES`` paths."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or self.limit <= 0 or path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.limit:
            await _answer(send, scope, too_large(path, self.limit))
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # the client went away: the route sees it where it reads
            size += len(message.get("body", b""))
            if size > self.limit:
                await _answer(send, scope, too_large(path, self.limit))
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _answer(send: Send, scope: MutableMapping[str, Any], verdict: Verdict) -> None:
    """Send ``verdict`` as the whole response; the connection closes after it (the
    body the client still sends is never read)."""
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in verdict.headers]
    headers += [(b"content-length", str(len(verdict.body)).encode()), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": verdict.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else verdict.body})
