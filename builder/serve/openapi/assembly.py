"""The OpenAPI 3.1 document of ``mfc serve``, assembled from its parts: the paths
(``paths``), Ollama's types (``ollama_types``) and the OpenAI layer's
(``openai_types``).  ``document()`` is what ``GET /openapi.json`` answers.

>>> doc = document()
>>> doc["openapi"], doc["info"]["version"], "/api/chat" in doc["paths"], "/v1/models" in doc["paths"]
('3.1.0', '0.33.0', True, True)
"""

from __future__ import annotations

import copy
from typing import Any

from builder.serve.openapi import ollama_types, openai_types
from builder.serve.openapi.paths import PATHS, RESPONSES
from builder.serve.routes.meta import API_VERSION

DESCRIPTION = """\
Ollama's REST API (`/api/*`) and its OpenAI layer (`/v1/*`) as `mfc serve` answers
them, on mfc's Ollama-compatible store.  Request bodies are read as Ollama reads them:
unknown fields are ignored, `null` fields keep their default, a field of the wrong
type is a 400 with Go's message.  Streams are NDJSON (`/api`) or server-sent events
(`/v1`); an error after a stream started is one last `{"error": …}` line (NDJSON) or
an event carrying OpenAI's error object (SSE) inside the 200.  A model that cannot be
loaded is a 500, as in Ollama.  Unknown paths are `404 page not found` and known paths
with another method `405 method not allowed` (text/plain)."""


def document() -> dict[str, Any]:
    """A fresh copy of the whole document (callers may change it)."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "mfc serve",
                "version": API_VERSION,
                "description": DESCRIPTION,
                "license": {"name": "see the project's README", "identifier": "MIT"},
            },
            "tags": [
                {"name": "ollama", "description": "Ollama's REST API"},
                {"name": "openai", "description": "the OpenAI layer over it"},
                {"name": "mfc", "description": "mfc's own routes"},
            ],
            "paths": PATHS,
            "components": {
                "schemas": {**ollama_types.SCHEMAS, **openai_types.SCHEMAS},
                "responses": RESPONSES,
                "securitySchemes": {
                    "apiKey": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "required on every route when the server has an API key (MFC_API_KEY)",
                    }
                },
            },
            "security": [{}, {"apiKey": []}],
        }
    )
