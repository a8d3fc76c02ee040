"""One log line per request, as it ends: method, path, status, duration.

A pure ASGI middleware (it does not buffer streamed responses): the status is taken
from the response's start message, the duration measured to the last byte sent."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOG = logging.getLogger("mfc.serve")


class AccessLog:
    """Logs ``METHOD /path STATUS 12.3ms`` for each HTTP request to ``LOG`` (INFO)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the server answers if the app fails before starting a response

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            LOG.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed)
