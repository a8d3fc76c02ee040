"""One request driven through an ASGI application directly, for tests that need to say
exactly when its client goes away (or what happens as the answer is sent): what
``httpx`` and Starlette's test client cannot time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any


async def post(
    application: Any,
    path: str,
    body: Mapping[str, Any],
    *,
    gone: Callable[[], Awaitable[None]] | None = None,
    on_body: Callable[[bytes], None] | None = None,
    timeout: float = 30,
) -> list[dict[str, Any]]:
    """POST ``body`` (JSON) to ``path``; the messages the application sent.  After the
    body the client waits for ``gone()`` and then disconnects (``None``: it stays);
    ``on_body`` sees each piece of the answer as it is sent."""
    sent: list[dict[str, Any]] = []
    read = False

    async def receive() -> dict[str, Any]:
        nonlocal read
        if not read:
            read = True
            return {"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}
        if gone is None:
            await asyncio.Event().wait()
        else:
            await gone()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if on_body is not None and message["type"] == "http.response.body" and message.get("body"):
            on_body(message["body"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:11434"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 11434),
    }
    await asyncio.wait_for(application(scope, receive, send), timeout)
    return sent


def status(sent: list[dict[str, Any]]) -> int | None:
    """The status the application answered with (``None``: it sent nothing)."""
    return next((int(message["status"]) for message in sent if message["type"] == "http.response.start"), None)


def body(sent: list[dict[str, Any]]) -> bytes:
    """The answer's body as sent."""
    return b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
