"""Request bodies read as Ollama's handlers read them (``c.ShouldBindJSON`` into a Go
struct): the first JSON value of the body, unknown fields ignored, ``null`` fields left
at their zero value, a body of ``null`` an empty request; an empty body is ``missing
request body``, and a field of the wrong type is Go's ``json: cannot unmarshal …``.

>>> SHOW.check({"model": "m", "verbose": "yes"})
Traceback (most recent call last):
  ...
builder.serve.errors.InvalidRequest: json: cannot unmarshal string into Go struct field ShowRequest.verbose of type bool
>>> SHOW.check({"model": "m", "extra": 1, "system": None})
{'model': 'm'}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from builder.serve.errors import InvalidRequest

#: Python type of a field → the Go type named in Go's message.
_GO_TYPES: dict[type, str] = {
    str: "string",
    bool: "bool",
    int: "int",
    dict: "map[string]interface {}",
    list: "[]string",
}


def json_kind(value: Any) -> str:
    """What Go's decoder calls a JSON value in its messages."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    kinds: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return kinds.get(type(value), "value")


@dataclass(frozen=True)
class Shape:
    """A Go request struct: its name and its JSON fields with their types."""

    name: str
    fields: dict[str, type | tuple[type, ...]]  # a tuple: any of these (``license``: a string or a list)

    def check(self, body: Any) -> dict[str, Any]:
        """The known, non-null fields of ``body``, each of its declared type."""
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise InvalidRequest(f"json: cannot unmarshal {json_kind(body)} into Go value of type api.{self.name}")
        found = {}
        for key, value in body.items():
            kind = self.fields.get(key)
            if kind is None or value is None:
                continue
            if kind is object:  # any JSON value: the route tells the types apart
                found[key] = value
                continue
            if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
                where = f"Go struct field {self.name}.{key}"
                go_type = _GO_TYPES[kind] if isinstance(kind, type) else "[]string"
                raise InvalidRequest(f"json: cannot unmarshal {json_kind(value)} into {where} of type {go_type}")
            found[key] = value
        return found


SHOW = Shape(
    "ShowRequest", {"model": str, "name": str, "verbose": bool, "system": str, "template": str, "options": dict}
)
COPY = Shape("CopyRequest", {"source": str, "destination": str})
DELETE = Shape("DeleteRequest", {"model": str, "name": str})
PULL = Shape(
    "PullRequest", {"model": str, "name": str, "insecure": bool, "stream": bool, "username": str, "password": str}
)
PUSH = Shape("PushRequest", PULL.fields)
CREATE = Shape(
    "CreateRequest",
    {
        "model": str,
        "name": str,
        "from": str,
        "files": dict,
        "adapters": dict,
        "draft_files": dict,
        "template": str,
        "system": str,
        "license": (str, list),
        "parameters": dict,
        "messages": list,
        "quantize": str,
        "quantization": str,
        "draft_quantize": str,
        "renderer": str,
        "parser": str,
        "requires": str,
        "remote_host": str,
        "info": dict,
        "stream": bool,
    },
)
#: ``object``: a field whose several JSON types the route itself tells apart (``format``,
#: ``keep_alive``, ``think``, ``input``).
_RUN = {
    "model": str,
    "stream": bool,
    "format": object,
    "keep_alive": object,
    "options": dict,
    "think": object,
    "logprobs": bool,
    "top_logprobs": object,
    "_debug_render_only": bool,
}
GENERATE = Shape(
    "GenerateRequest",
    {
        **_RUN,
        "prompt": str,
        "suffix": str,
        "system": str,
        "template": str,
        "context": list,
        "raw": bool,
        "images": list,
        "_debug_render_only": bool,
    },
)
CHAT = Shape("ChatRequest", {**_RUN, "messages": list, "tools": list, "_debug_render_only": bool})
EMBED = Shape(
    "EmbedRequest",
    {"model": str, "input": object, "truncate": bool, "dimensions": int, "keep_alive": object, "options": dict},
)
EMBEDDINGS = Shape("EmbeddingRequest", {"model": str, "prompt": str, "keep_alive": object, "options": dict})


def parse_body(raw: bytes, shape: Shape) -> dict[str, Any]:
    """The request ``raw`` as ``shape`` reads it (``InvalidRequest`` in Go's words).

    >>> parse_body(b'{"source": "a"} trailing', COPY)
    {'source': 'a'}
    >>> parse_body(b"", COPY)
    Traceback (most recent call last):
      ...
    builder.serve.errors.InvalidRequest: missing request body
    """
    return shape.check(parse_json(raw))


def parse_json(raw: bytes) -> Any:
    """The first JSON value of ``raw`` (``InvalidRequest`` in Go's words).

    >>> parse_json(b' [1] {}')
    [1]
    """
    text = raw.decode("utf-8", errors="replace").lstrip(" \t\r\n")
    if not text:
        raise InvalidRequest("missing request body")
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as error:
        if error.pos >= len(text):
            raise InvalidRequest("unexpected EOF") from None
        raise InvalidRequest(f"invalid character {text[error.pos]!r} looking for beginning of value") from None
    return value


async def read_body(request: Request, shape: Shape) -> dict[str, Any]:
    """``parse_body`` of the request's body."""
    return parse_body(await request.body(), shape)


def model_field(body: dict[str, Any]) -> str:
    """The model a request names: ``model``, else the deprecated ``name``; trimmed."""
    return str(body.get("model") or body.get("name") or "").strip()
