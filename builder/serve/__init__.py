"""``mfc serve``: Ollama's REST API over mfc's store, as an ASGI application.

``app(store=…)`` is a Starlette application that tests and users can mount or serve
themselves; ``serve(…)`` runs it under uvicorn, as ``mfc serve`` does.  Both need the
``serve`` extra (``pip install 'mfc[serve]'``): without it, importing this package is a
one-line ``ServeError`` naming it.

Modules: ``factory`` (the app), ``routes/`` (a module per group of routes),
``decoding`` (request bodies read as Ollama's Go handlers read them), ``encoding``
(Go's JSON), ``errors`` (``MfcError`` codes → Ollama's statuses and texts),
``streaming`` (NDJSON responses), ``access_log`` (a line per request, counted in
``metrics``, the app's Prometheus registry at ``/metrics``), ``server``
(uvicorn), ``config`` (``ServerConfig``: ``OLLAMA_HOST``, origins, keep-alive, limits and
the API key, read from the environment as Ollama reads them), ``durations`` (Go's
durations), ``security`` (CORS, the Host check, the API key, as an ASGI middleware that
``serve`` puts around the app), ``openai/`` (the OpenAI layer's translations).
"""

from __future__ import annotations

from builder.errors import ServeError
from builder.extras import require

require("serve", "mfc serve", ServeError)

from builder.serve.config import ServerConfig  # noqa: E402  (after the check for the extra)
from builder.serve.factory import app  # noqa: E402
from builder.serve.security import SecurityMiddleware, SecurityPolicy  # noqa: E402
from builder.serve.server import serve  # noqa: E402

__all__ = ["SecurityMiddleware", "SecurityPolicy", "ServerConfig", "app", "serve"]
