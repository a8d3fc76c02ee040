"""``serve``: the API under uvicorn, as ``mfc serve`` runs it.  The address, origins and
API key come from a ``ServerConfig`` (``OLLAMA_HOST`` … read as Ollama reads them); the
``SecurityMiddleware`` (CORS, the Host check on loopback, the API key) wraps the app.
One log line per request (``access_log``) on standard error; SIGINT and SIGTERM shut
down gracefully: uvicorn stops accepting connections, the streams end with a last
error line (``shutdown``), the other open requests get ``MFC_SHUTDOWN_GRACE`` (10 s) to
finish, the models unload, and a SIGTERM ends the command with status 0."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence

import uvicorn
from starlette.middleware import Middleware

from builder.errors import ServeError
from builder.serve.access_log import LOG
from builder.serve.config import ServerConfig
from builder.serve.factory import app
from builder.serve.security import SecurityMiddleware, SecurityPolicy
from builder.serve.shutdown import Stopping
from builder.store import StoreLike


def serve(
    store: StoreLike = None,
    *,
    config: ServerConfig | None = None,
    verbose: bool = False,
    middleware: Sequence[Middleware] = (),
) -> None:
    """Serve ``app(store)`` until SIGINT or SIGTERM, where ``config`` says (default: the
    environment, ``ServerConfig.from_env(os.environ)``: 127.0.0.1:11434 unless
    ``MFC_HOST``/``OLLAMA_HOST`` say otherwise).  ``verbose`` logs at DEBUG (llama.cpp's
    log joins it when models run here).  ``ServeError`` when the address cannot be
    bound.  ``middleware`` runs inside the security checks."""
    settings = config if config is not None else ServerConfig.from_env(os.environ)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    LOG.addHandler(handler)
    LOG.setLevel(logging.DEBUG if verbose else logging.INFO)
    for warning in settings.warnings:
        LOG.warning("mfc serve: %s", warning)
    host, port = settings.bind_host, settings.port
    sock = _bind(host, port)
    policy = SecurityPolicy.from_config(settings, bound=sock.getsockname()[0])
    guarded = [Middleware(SecurityMiddleware, policy=policy), *middleware]
    application = app(  # logs each request (AccessLog)
        store,
        middleware=guarded,
        keep_alive=settings.keep_alive,
        max_loaded_models=settings.max_loaded_models,
        max_queue=settings.max_queue,
        context_length=settings.context_length,
        max_body=settings.max_body,
        num_parallel=settings.num_parallel,
    )
    server_config = uvicorn.Config(
        application,
        host=host,
        port=port,
        access_log=False,  # AccessLog writes one line per request, with its duration
        log_level="debug" if verbose else "warning",
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    LOG.info(
        "mfc serve: listening on http://%s:%d%s",
        host,
        sock.getsockname()[1],
        " (API key required)" if settings.api_key else "",
    )
    # uvicorn shuts down gracefully on SIGINT and SIGTERM, then raises the signal again
    # under the handler that was there before; for SIGTERM that is this one, so a
    # graceful stop ends the command normally (SIGINT stays an interrupt: exit 130).
    previous = signal.signal(signal.SIGTERM, lambda number, frame: None)
    try:
        _Server(server_config, application.state.stopping).run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Server(uvicorn.Server):
    """uvicorn's server, telling the application when it begins to stop (its streams
    end then: ``builder.serve.shutdown``) before it waits for the open requests."""

    def __init__(self, config: uvicorn.Config, stopping: Stopping) -> None:
        super().__init__(config)
        self.stopping = stopping

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.stopping.set()
        await super().shutdown(sockets=sockets)


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (``ServeError`` in one line if it cannot be had:
    uvicorn itself would log and exit the process)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named, not 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
        # sockets whose protocol says TCP, and with it on, a response written as headers then
        # body waits for the client's delayed ACK: 40 ms on every keep-alive request.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as error:
        raise ServeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
