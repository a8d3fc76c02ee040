"""Errors in OpenAI's shape (ollama-api.md §10.7): Ollama's text inside
``{"error": {"message", "type", "param", "code"}}``, with Ollama's status; the type
follows the status (400 ``invalid_request_error``, 404 ``not_found_error``, anything
else ``api_error``).

>>> error_object(404, "model 'x' not found")
{'error': {'message': "model 'x' not found", 'type': 'not_found_error', 'param': None, 'code': None}}
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.responses import Response

from builder.serve.encoding import go_json
from builder.serve.errors import TEXT, status_of
from modelfile.errors import MfcError

#: The JSON of every ``/v1`` answer: OpenAI's bodies end in a newline (Go's ``json.Encoder``).
JSON = "application/json"


def error_type(status: int) -> str:
    """OpenAI's error ``type`` for an HTTP status.

    >>> error_type(400), error_type(404), error_type(503)
    ('invalid_request_error', 'not_found_error', 'api_error')
    """
    return {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")


def error_object(status: int, message: str) -> dict[str, Any]:
    """The body OpenAI's clients read an error from."""
    return {"error": {"message": message, "type": error_type(status), "param": None, "code": None}}


def error_text(error: MfcError) -> str:
    """Ollama's text for ``error`` (as ``/api`` routes answer it)."""
    return TEXT.get(error.code, str(error))


class OpenAIError(Exception):
    """An error a ``/v1`` route answers in OpenAI's shape: ``status`` and ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        """The HTTP answer: the error object with the status."""
        return Response(go_json(error_object(self.status, self.message)) + b"\n", self.status, media_type=JSON)


@contextlib.contextmanager
def openai_errors() -> Iterator[None]:
    """Turn the ``MfcError`` an Ollama code path raises into an ``OpenAIError`` with its
    status and text (a bug's exception into a 500 ``api_error`` naming it)."""
    try:
        yield
    except (OpenAIError, ClientDisconnect):
        raise
    except MfcError as error:
        raise OpenAIError(status_of(error), error_text(error)) from None
    except Exception as error:  # a bug: answered in the client's shape, not a traceback
        raise OpenAIError(500, f"internal error: {type(error).__name__}: {error}") from error
