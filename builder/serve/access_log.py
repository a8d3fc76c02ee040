"""One log line per request, as it ends: method, path, status, duration; and the same
measurement counted in the application's ``Metrics`` (``/metrics``).

A pure ASGI middleware (it does not buffer streamed responses): the status is taken
from the response's start message, the duration measured to the last byte sent."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from builder.serve.metrics import OTHER, Metrics, route_template

LOG = logging.getLogger("mfc.serve")


class AccessLog:
    """Logs ``METHOD /path STATUS 12.3ms`` for each HTTP request to ``LOG`` (INFO) and,
    given ``metrics``, counts it there under its route's path template."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

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
            elapsed = time.perf_counter() - start
            LOG.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed * 1000)
            if self.metrics is not None:
                application = scope.get("app")
                route = route_template(application.routes, scope) if application is not None else OTHER
                self.metrics.observe(scope["method"], route, status, elapsed)
