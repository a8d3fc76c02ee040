"""Prometheus metrics of one application, answered at ``GET /metrics``.

Each ``app(…)`` has its own ``Metrics`` (its own ``CollectorRegistry``, not
prometheus-client's global one, so two applications in one process do not clash):
requests by method, route and status, their durations by route, the loaded models, the
requests queued for a model load and those waiting inside loaded models for a slot
(counted when scraped), the tokens in and out of generate and chat, and their time to
first token.  Routes are labelled by their path template (``/api/blobs/{digest}``),
never the raw URL, and paths that match no route as ``other``, so the label set stays
small.

>>> metrics = Metrics(loaded=lambda: 1)
>>> metrics.observe("GET", "/api/tags", 200, 0.01)
>>> text = metrics.text().decode()
>>> 'mfc_requests_total{method="GET",route="/api/tags",status="200"} 1.0' in text
True
>>> "mfc_loaded_models 1.0" in text, "mfc_queue_depth 0.0" in text
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.routing import BaseRoute, Match

#: The media type of ``text()`` (Prometheus' text exposition format).
CONTENT_TYPE = CONTENT_TYPE_LATEST

#: The label of a request whose path matches no route.
OTHER = "other"


class Metrics:
    """The collectors of one application; ``loaded()`` counts its loaded models,
    ``queued()`` the requests in the scheduler's load queue, ``waiting()`` those waiting
    for a slot of a loaded model."""

    def __init__(
        self,
        loaded: Callable[[], int],
        queued: Callable[[], int] = lambda: 0,
        waiting: Callable[[], int] = lambda: 0,
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "mfc_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.duration = Histogram(
            "mfc_request_duration_seconds", "Time to the last byte of a response", ["route"], registry=self.registry
        )
        self.loaded = Gauge("mfc_loaded_models", "Models loaded now", registry=self.registry)
        self.loaded.set_function(lambda: float(loaded()))
        self.queued = Gauge(
            "mfc_queue_depth", "Requests waiting for a model to load (OLLAMA_MAX_QUEUE)", registry=self.registry
        )
        self.queued.set_function(lambda: float(queued()))
        self.waiting = Gauge(
            "mfc_waiting_requests", "Requests waiting for a slot of a loaded model", registry=self.registry
        )
        self.waiting.set_function(lambda: float(waiting()))
        self.tokens = Counter(
            "mfc_tokens", "Tokens of generate and chat requests", ["direction"], registry=self.registry
        )
        self.first_token = Histogram(
            "mfc_time_to_first_token_seconds",
            "From a generate or chat request's start to its first line",
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration."""
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.duration.labels(route=route).observe(seconds)

    def generated(self, tokens_in: int, tokens_out: int) -> None:
        """Count a finished generation's prompt (``in``) and answer (``out``) tokens."""
        self.tokens.labels(direction="in").inc(max(tokens_in, 0))
        self.tokens.labels(direction="out").inc(max(tokens_out, 0))

    def text(self) -> bytes:
        """All of it in Prometheus' text format (``CONTENT_TYPE``)."""
        return generate_latest(self.registry)


def route_template(routes: Iterable[BaseRoute], scope: Mapping[str, Any]) -> str:
    """The path template of the route ``scope`` is for (also when only its method is
    wrong), else ``OTHER``.

    >>> from starlette.routing import Route
    >>> routes = [Route("/api/blobs/{digest}", lambda request: None, methods=["POST"])]
    >>> route_template(routes, {"type": "http", "path": "/api/blobs/sha256:ab", "method": "GET"})
    '/api/blobs/{digest}'
    >>> route_template(routes, {"type": "http", "path": "/etc/passwd", "method": "GET"})
    'other'
    """
    for route in routes:
        match, _ = route.matches(dict(scope))
        if match is not Match.NONE:
            return str(getattr(route, "path", OTHER))
    return OTHER
