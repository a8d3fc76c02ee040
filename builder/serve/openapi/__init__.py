"""``GET /openapi.json``: the OpenAPI 3.1 document that describes every route of the
app, one module per concern: ``shapes`` (request schemas made from the server's own
decoding shapes), ``ollama_types`` and ``openai_types`` (the schemas), ``paths`` (the
operations, their statuses and bodies) and ``assembly`` (the document)."""

from __future__ import annotations

from builder.serve.openapi.assembly import document

__all__ = ["document"]
