"""The ``paths`` of the document: every route of the app, with its request body, its
statuses and their bodies (ollama-api.md §1-§10).  Conventions: ``/api/*`` errors are
``{"error": text}`` (``Error``), ``/v1/*`` errors OpenAI's object (``OpenAIError``);
streams are ``application/x-ndjson`` (Ollama) or ``text/event-stream`` (OpenAI); a GET
route answers HEAD too (Starlette), with the same status and no body.  Every operation
may also be refused before it runs: 401 when the server requires an API key, 403 for a
foreign Host header or a disallowed browser origin, and 413 for a request body over
``MFC_MAX_BODY``.

>>> sorted(PATHS["/api/tags"]), sorted(PATHS["/api/chat"]["post"]["responses"])
(['get', 'head'], ['200', '400', '401', '403', '404', '413', '500', '503'])
"""

from __future__ import annotations

from typing import Any

from builder.serve.openapi.ollama_types import ref
from builder.serve.openapi.shapes import Schema

Operation = dict[str, Any]

JSON = "application/json"
NDJSON = "application/x-ndjson"
SSE = "text/event-stream"
TEXT = "text/plain"


def content(schema: Schema, media_type: str = JSON) -> dict[str, Any]:
    """A ``content`` map with one media type."""
    return {media_type: {"schema": schema}}


def answer(description: str, schema: Schema | None = None, media_type: str = JSON) -> dict[str, Any]:
    """A response: ``description`` and, when there is one, a body of ``schema``."""
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = content(schema, media_type)
    return response


def ollama_error(description: str) -> dict[str, Any]:
    """An ``/api`` error response: ``{"error": text}``."""
    return answer(description, ref("Error"))


def openai_error(description: str) -> dict[str, Any]:
    """A ``/v1`` error response: OpenAI's error object."""
    return answer(description, ref("OpenAIError"))


def stream_or_one(description: str, line: Schema, stream_type: str = NDJSON) -> dict[str, Any]:
    """A 200 that is a stream (the default) or one object (``stream: false``)."""
    return {
        "description": description,
        "content": {stream_type: {"schema": line}, JSON: {"schema": line}},
    }


def sse_event(chunk: Schema) -> Schema:
    """One event of an SSE stream: ``data`` holds a chunk as JSON (``contentSchema``),
    or ``[DONE]`` last, or OpenAI's error object when the stream fails midway.

    >>> sse_event({"type": "object"})["properties"]["data"]["anyOf"][1]["contentSchema"]["anyOf"][0]
    {'type': 'object'}
    """
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "event": {"type": "string"},
            "data": {
                "description": "a chunk as JSON; '[DONE]' ends the stream",
                "anyOf": [
                    {"const": "[DONE]"},
                    {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": {"anyOf": [chunk, ref("OpenAIError")]},
                    },
                ],
            },
        },
    }


#: The refusals every operation may get before its handler runs (``components.responses``).
REFUSALS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
}
TOO_LARGE = {"413": {"$ref": "#/components/responses/TooLarge"}}
TOO_LARGE_V1 = {"413": {"$ref": "#/components/responses/OpenAITooLarge"}}
RESPONSES = {
    "Unauthorized": {
        "description": "the server requires an API key (MFC_API_KEY) and the request has none or a wrong one; "
        "OpenAI's error object under /v1/",
        "content": {JSON: {"schema": {"anyOf": [ref("Error"), ref("OpenAIError")]}}},
    },
    "Forbidden": {"description": "a foreign Host header (DNS rebinding guard) or a disallowed Origin; empty body"},
    "TooLarge": ollama_error("the request body is larger than MFC_MAX_BODY (the error names the limit)"),
    "OpenAITooLarge": openai_error("the request body is larger than MFC_MAX_BODY (the error names the limit)"),
}


def operation(
    summary: str,
    responses: dict[str, Any],
    *,
    body: Schema | None = None,
    body_type: str = JSON,
    tag: str = "ollama",
    parameters: list[dict[str, Any]] | None = None,
    body_required: bool = True,
) -> Operation:
    """One operation; the refusals (and 413 where there is a body) are added."""
    op: Operation = {"summary": summary, "tags": [tag], "responses": {**responses, **REFUSALS}}
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": content(body, body_type)}
        if body_type == JSON:
            op["responses"].update(TOO_LARGE_V1 if tag == "openai" else TOO_LARGE)
    return op


def head_of(get: Operation) -> Operation:
    """The HEAD twin of a GET operation: its statuses, without bodies."""
    responses = {
        status: {"description": response.get("description", "")} if "$ref" not in response else response
        for status, response in get["responses"].items()
    }
    head = {**get, "summary": get["summary"] + " (headers only)", "responses": responses}
    return head


def get_and_head(get: Operation) -> dict[str, Operation]:
    """A path item with a GET operation and its HEAD twin."""
    return {"get": get, "head": head_of(get)}


NOT_ROUTED = "the path matches no route (a parameter with a '/'): gin's plain-text '404 page not found'"
DIGEST: dict[str, Any] = {
    "name": "digest",
    "in": "path",
    "required": True,
    "description": "sha256:<64 hex> (or sha256-<64 hex>); anything else is a 400",
    "schema": {"type": "string", "pattern": "^sha256[:-][0-9a-f]{64}$"},
}
MODEL_ID: dict[str, Any] = {
    "name": "model",
    "in": "path",
    "required": True,
    "description": "a model name without a namespace (one path segment)",
    "schema": {"type": "string"},
}

OLLAMA: dict[str, dict[str, Operation]] = {
    "/": get_and_head(
        operation("Liveness: 'Ollama is running'", {"200": answer("the server runs", {"type": "string"}, TEXT)})
    ),
    "/api/version": get_and_head(
        operation("The Ollama API version implemented", {"200": answer("the version", ref("Version"))})
    ),
    "/api/tags": get_and_head(
        operation("The models in the store, newest first", {"200": answer("the models", ref("ListResponse"))})
    ),
    "/api/ps": get_and_head(
        operation("The loaded models, latest expiry first", {"200": answer("the models", ref("ProcessResponse"))})
    ),
    "/metrics": get_and_head(
        operation(
            "Prometheus metrics",
            {"200": answer("Prometheus' text exposition format", {"type": "string"}, TEXT)},
            tag="mfc",
        )
    ),
    "/openapi.json": get_and_head(
        operation("This document", {"200": answer("the OpenAPI 3.1 document", {"type": "object"})}, tag="mfc")
    ),
    "/api/generate": {
        "post": operation(
            "Generate a completion (NDJSON stream unless stream is false)",
            {
                "200": stream_or_one(
                    "the answer's lines (an error after the first line is one last {'error': …} line)",
                    {"anyOf": [ref("GenerateResponse"), ref("Error")]},
                ),
                "400": ollama_error("a malformed body, an invalid name or option, a missing capability"),
                "404": ollama_error("no such model ('model '' not found' when none is named)"),
                "500": ollama_error("the model cannot be loaded or run, an option of the wrong type, a bad format"),
                "503": ollama_error("the model's queue is full (OLLAMA_MAX_QUEUE)"),
            },
            body=ref("GenerateRequest"),
        )
    },
    "/api/chat": {
        "post": operation(
            "Chat with a model (NDJSON stream unless stream is false)",
            {
                "200": stream_or_one(
                    "the answer's lines (an error after the first line is one last {'error': …} line)",
                    {"anyOf": [ref("ChatResponse"), ref("Error")]},
                ),
                "400": ollama_error("a malformed body, 'model is required', an invalid name, a missing capability"),
                "404": ollama_error("no such model"),
                "500": ollama_error("the model cannot be loaded or run, an option of the wrong type, a bad format"),
                "503": ollama_error("the model's queue is full (OLLAMA_MAX_QUEUE)"),
            },
            body=ref("ChatRequest"),
        )
    },
    "/api/embed": {
        "post": operation(
            "Embed a text or texts (L2-normalised vectors)",
            {
                "200": answer("the vectors ([] for no input: the model is only loaded)", ref("EmbedResponse")),
                "400": ollama_error("a malformed body, an invalid name or input, the runner's failure"),
                "404": ollama_error("no such model"),
                "500": ollama_error("the model cannot be loaded, an option of the wrong type"),
                "503": ollama_error("the model's queue is full (OLLAMA_MAX_QUEUE)"),
            },
            body=ref("EmbedRequest"),
        )
    },
    "/api/embeddings": {
        "post": operation(
            "Embed one prompt (legacy; the vector as pooled)",
            {
                "200": answer("the vector ([] for an empty prompt)", ref("EmbeddingResponse")),
                "400": ollama_error("a malformed body, 'model is required', an invalid name"),
                "404": ollama_error("no such model"),
                "500": ollama_error("the model cannot be loaded or run, an option of the wrong type"),
                "503": ollama_error("the model's queue is full (OLLAMA_MAX_QUEUE)"),
            },
            body=ref("EmbeddingRequest"),
        )
    },
    "/api/show": {
        "post": operation(
            "A model's Modelfile, template, parameters, details and model_info",
            {
                "200": answer("the model", ref("ShowResponse")),
                "400": ollama_error("a malformed body, 'model is required', 'invalid model name'"),
                "404": ollama_error("no such model: model 'NAME:TAG' not found"),
            },
            body=ref("ShowRequest"),
        )
    },
    "/api/copy": {
        "post": operation(
            "Copy a model to a new name",
            {
                "200": answer("copied (empty body)"),
                "400": ollama_error('a malformed body, source "S" is invalid, destination "D" is invalid'),
                "404": ollama_error("no such source model"),
            },
            body=ref("CopyRequest"),
        )
    },
    "/api/delete": {
        "delete": operation(
            "Delete a model and the blobs no other model uses",
            {
                "200": answer("deleted (empty body)"),
                "400": ollama_error("a malformed body, 'model is required', name \"NAME\" is invalid"),
                "404": ollama_error("no such model"),
            },
            body=ref("DeleteRequest"),
        )
    },
    "/api/create": {
        "post": operation(
            "Create a model from uploaded blobs or a stored model (NDJSON statuses unless stream is false)",
            {
                "200": stream_or_one("the build's statuses, {'status': 'success'} last", ref("Progress")),
                "400": ollama_error("a malformed body, a blob not in the store, a request the build refuses"),
                "500": ollama_error("the build failed (stream false), e.g. FROM a model not in the store"),
            },
            body=ref("CreateRequest"),
        )
    },
    "/api/pull": {
        "post": operation(
            "Pull a model from its registry into the store (NDJSON statuses unless stream is false)",
            {
                "200": stream_or_one(
                    "the statuses, {'status': 'success'} last; a failure after the first line is one last "
                    "{'error': …} line",
                    ref("Progress"),
                ),
                "400": ollama_error("a malformed body, 'invalid model name'"),
                "4XX": ollama_error("the registry's refusal before the first line, or with stream false"),
                "500": ollama_error("the pull failed (before the first line, or with stream false)"),
            },
            body=ref("PullRequest"),
        )
    },
    "/api/push": {
        "post": operation(
            "Push a model from the store to its registry (NDJSON statuses unless stream is false)",
            {
                "200": stream_or_one(
                    "the statuses, {'status': 'success'} last; a failure after the first line is one last "
                    "{'error': …} line",
                    ref("Progress"),
                ),
                "400": ollama_error("a malformed body, 'model is required', 'invalid model name'"),
                "4XX": ollama_error("the registry's refusal before the first line, or with stream false"),
                "500": ollama_error("the push failed (before the first line, or with stream false)"),
            },
            body=ref("PushRequest"),
        )
    },
    "/api/blobs/{digest}": {
        "head": operation(
            "Whether the store has a blob",
            {
                "200": answer("the blob is there"),
                "400": answer("invalid digest format"),
                "404": answer("no such blob, or " + NOT_ROUTED),
            },
            parameters=[DIGEST],
        ),
        "post": operation(
            "Upload a blob: kept only if its bytes hash to the digest (no body limit: it streams to disk)",
            {
                "200": answer("the store had it already"),
                "201": answer("stored"),
                "400": ollama_error("invalid digest format; digest mismatch, expected …, got …"),
                "404": answer(NOT_ROUTED, {"type": "string"}, TEXT),
            },
            parameters=[DIGEST],
            body={"type": "string", "format": "binary"},
            body_type="application/octet-stream",
            body_required=False,
        ),
    },
}

OPENAI: dict[str, dict[str, Operation]] = {
    "/v1/chat/completions": {
        "post": operation(
            "OpenAI chat completions over /api/chat (an SSE stream with stream: true)",
            {
                "200": {
                    "description": "the completion, or its chunks as 'data: <json>' events and 'data: [DONE]'",
                    "content": {
                        JSON: {"schema": ref("OpenAIChatCompletion")},
                        SSE: {"schema": sse_event(ref("OpenAIChatCompletionChunk"))},
                    },
                },
                "400": openai_error("a malformed body or message, an invalid name, a missing capability"),
                "404": openai_error("no such model"),
                "500": openai_error("the model cannot be loaded or run"),
                "503": openai_error("the model's queue is full"),
            },
            body=ref("OpenAIChatCompletionRequest"),
            tag="openai",
        )
    },
    "/v1/completions": {
        "post": operation(
            "OpenAI completions over /api/generate (an SSE stream with stream: true)",
            {
                "200": {
                    "description": "the completion, or its chunks as 'data: <json>' events and 'data: [DONE]'",
                    "content": {
                        JSON: {"schema": ref("OpenAICompletion")},
                        SSE: {"schema": sse_event(ref("OpenAICompletion"))},
                    },
                },
                "400": openai_error("a malformed body, a prompt that is not a string, an invalid stop"),
                "404": openai_error("no such model"),
                "500": openai_error("the model cannot be loaded or run"),
                "503": openai_error("the model's queue is full"),
            },
            body=ref("OpenAICompletionRequest"),
            tag="openai",
        )
    },
    "/v1/embeddings": {
        "post": operation(
            "OpenAI embeddings over /api/embed (floats or base64)",
            {
                "200": answer("the vectors", ref("OpenAIEmbeddings")),
                "400": openai_error("invalid input, an invalid encoding_format, the runner's failure"),
                "404": openai_error("no such model"),
                "500": openai_error("the model cannot be loaded"),
                "503": openai_error("the model's queue is full"),
            },
            body=ref("OpenAIEmbeddingRequest"),
            tag="openai",
        )
    },
    "/v1/models": get_and_head(
        operation(
            "OpenAI's model list over /api/tags", {"200": answer("the models", ref("OpenAIModels"))}, tag="openai"
        )
    ),
    "/v1/models/{model}": get_and_head(
        operation(
            "OpenAI's model retrieval over /api/show",
            {
                "200": answer("the model", ref("OpenAIModel")),
                "400": openai_error("an invalid model name (the name goes to /api/show)"),
                "404": {
                    "description": "no such model; or " + NOT_ROUTED,
                    "content": {JSON: {"schema": ref("OpenAIError")}, TEXT: {"schema": {"type": "string"}}},
                },
            },
            parameters=[MODEL_ID],
            tag="openai",
        )
    ),
}

PATHS: dict[str, dict[str, Operation]] = {**OLLAMA, **OPENAI}
