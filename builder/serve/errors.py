"""Errors as Ollama's API answers them: ``{"error": "<text>"}`` with Ollama's status.

The library's errors carry a stable ``code``; ``STATUS`` maps each code to the status
Ollama gives for the same failure (400 for what the request got wrong, 404 for what is
not there, 500 for the rest).  Where Ollama's text differs from the library's (the
"not found" texts differ per route, ollama-api.md §2.4), the route states its text with
``ollama_errors(not_found=…)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from builder.errors import ModelNotFound
from builder.serve.encoding import GoJSONResponse
from modelfile.errors import MfcError, RequestError

#: ``MfcError.code`` → the HTTP status Ollama answers with; anything else is a 500.
STATUS = {
    "invalid-request": 400,
    "invalid-model-name": 400,
    "invalid-digest": 400,
    "digest-mismatch": 400,
    "model-not-found": 404,
    "blob-not-found": 404,
    "not-implemented": 500,
    "invalid-duration": 400,
    "unsupported-capability": 400,
}

#: ``MfcError.code`` → Ollama's text where the library words the same failure otherwise.
TEXT = {"invalid-digest": "invalid digest format"}


class ApiError(MfcError):
    """An error the API answers with ``status`` and Ollama's exact ``text``."""

    code = "api-error"

    def __init__(self, status: int, text: str, *, code: str = "api-error") -> None:
        super().__init__(text)
        self.status = status
        self.code = code


class InvalidRequest(RequestError):
    """A request body Ollama's handler refuses (400, with Ollama's text): not JSON, a field
    of the wrong type, a missing or invalid name."""


def status_of(error: MfcError) -> int:
    """The status Ollama answers ``error`` with."""
    return error.status if isinstance(error, ApiError) else STATUS.get(error.code, 500)


def error_response(error: MfcError) -> GoJSONResponse:
    """``{"error": text}`` with the status of ``error``."""
    return GoJSONResponse({"error": TEXT.get(error.code, str(error))}, status_code=status_of(error))


@contextlib.contextmanager
def ollama_errors(*, not_found: str) -> Iterator[None]:
    """Give a missing model Ollama's text for this route (``model 'x:latest' not found``)."""
    try:
        yield
    except ModelNotFound:
        raise ApiError(404, not_found, code="model-not-found") from None


async def on_mfc_error(request: Request, error: Exception) -> Response:
    """Starlette's handler for an ``MfcError`` a route let through."""
    assert isinstance(error, MfcError)
    return error_response(error)


async def on_http_error(request: Request, error: Exception) -> Response:
    """Unknown paths and wrong methods, in gin's words: ``404 page not found``, ``405
    method not allowed`` (text/plain)."""
    status = int(getattr(error, "status_code", 500))
    text = {404: "404 page not found", 405: "405 method not allowed"}.get(status, str(getattr(error, "detail", "")))
    return PlainTextResponse(text, status_code=status)


async def on_disconnect(request: Request, error: Exception) -> Response:
    """A client gone before its request was read (an upload cut short): Ollama's 499
    ``request canceled``, which no one receives, and no traceback in the log."""
    return GoJSONResponse({"error": "request canceled"}, status_code=499)


async def on_unexpected(request: Request, error: Exception) -> Response:
    """A bug: a 500 naming the exception in one line (the traceback goes to the log only)."""
    return GoJSONResponse({"error": f"internal error: {type(error).__name__}: {error}"}, status_code=500)
