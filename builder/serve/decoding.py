"""Request bodies read as Ollama's handlers read them (``c.ShouldBindJSON`` into a Go
struct): the first JSON value of the body, unknown fields ignored, ``null`` fields left
at their zero value, a body of ``null`` an empty request; an empty body is ``missing
request body``, and a field (or an item of a list field) of the wrong type is Go's
``json: cannot unmarshal …``.  A string holding a lone UTF-16 surrogate (``"\\ud800"``)
reads as U+FFFD, as Go reads it.

>>> SHOW.check({"model": "m", "verbose": "yes"})
Traceback (most recent call last):
  ...
builder.serve.errors.InvalidRequest: json: cannot unmarshal string into Go struct field ShowRequest.verbose of type bool
>>> SHOW.check({"model": "m", "extra": 1, "system": None})
{'model': 'm'}
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass, field
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


def _too_big(value: Any, kind: object) -> bool:
    """An integer Go's ``int`` (64 bits) cannot hold: Go refuses it like a wrong type.

    >>> _too_big(2**63, int), _too_big(2**63 - 1, int), _too_big(2**63, str)
    (True, False, False)
    """
    return kind is int and isinstance(value, int) and not -(2**63) <= value < 2**63


def json_kind(value: Any, kind: object = None) -> str:
    """What Go's decoder calls a JSON value in its messages (an integer too big for an
    ``int`` field with its digits)."""
    if isinstance(value, bool):
        return "bool"
    if _too_big(value, kind):
        return f"number {value}"
    if isinstance(value, int | float):
        return "number"
    kinds: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return kinds.get(type(value), "value")


@dataclass(frozen=True)
class Shape:
    """A Go request struct: its name and its JSON fields with their types; ``items``
    gives list fields the type of their items and Go's name for it (``null`` items
    are zero values, as in Go).

    >>> try:
    ...     CHAT.check({"model": "m", "tools": [1]})
    ... except InvalidRequest as error:
    ...     print(error)
    json: cannot unmarshal number into Go struct field ChatRequest.tools of type api.Tool
    """

    name: str
    fields: dict[str, type | tuple[type, ...]]  # a tuple: any of these (``license``: a string or a list)
    items: dict[str, tuple[type, str]] = field(default_factory=dict)

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
            if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)) or _too_big(value, kind):
                where = f"Go struct field {self.name}.{key}"
                go_type = _GO_TYPES[kind] if isinstance(kind, type) else "[]string"
                raise InvalidRequest(f"json: cannot unmarshal {json_kind(value, kind)} into {where} of type {go_type}")
            if key in self.items and isinstance(value, list):
                self._check_items(key, value)
            found[key] = value
        return found

    def _check_items(self, key: str, values: list[Any]) -> None:
        kind, go_type = self.items[key]
        for item in values:
            wrong = not isinstance(item, kind) or (kind is not bool and isinstance(item, bool)) or _too_big(item, kind)
            if item is not None and wrong:
                where = f"Go struct field {self.name}.{key}"
                raise InvalidRequest(f"json: cannot unmarshal {json_kind(item, kind)} into {where} of type {go_type}")


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
    items={"context": (int, "int"), "images": (str, "[]uint8")},
)
CHAT = Shape(
    "ChatRequest",
    {**_RUN, "messages": list, "tools": list, "_debug_render_only": bool},
    items={"messages": (dict, "api.Message"), "tools": (dict, "api.Tool")},
)
#: The items of ``ChatRequest.messages`` (``api.Message``), their tool calls and those
#: calls' functions; ``run_request`` checks each message with them.
MESSAGE = Shape(
    "ChatRequest.messages",
    {
        "role": str,
        "content": str,
        "thinking": str,
        "images": list,
        "tool_calls": list,
        "tool_name": str,
        "tool_call_id": str,
    },
    items={"images": (str, "[]uint8"), "tool_calls": (dict, "api.ToolCall")},
)
TOOL_CALL = Shape("ChatRequest.messages.tool_calls", {"id": str, "function": dict})
TOOL_CALL_FUNCTION = Shape("ChatRequest.messages.tool_calls.function", {"index": int, "name": str, "arguments": dict})
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
    >>> parse_body(b'{"source": NaN}', COPY)
    Traceback (most recent call last):
      ...
    builder.serve.errors.InvalidRequest: invalid character 'N' looking for beginning of value
    >>> parse_body(b"[" * 100000, COPY)
    Traceback (most recent call last):
      ...
    builder.serve.errors.InvalidRequest: invalid character '[' exceeded max depth
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
        value, _ = _DECODER.raw_decode(text)
        if _ESCAPED_SURROGATE.search(text):
            value = _without_surrogates(value)
    except json.JSONDecodeError as error:
        if error.pos >= len(text):
            raise InvalidRequest("unexpected EOF") from None
        raise InvalidRequest(f"invalid character {text[error.pos]!r} looking for beginning of value") from None
    except RecursionError:
        raise InvalidRequest(f"invalid character {_deepest_opening(text)!r} exceeded max depth") from None
    return value


def _not_json(constant: str) -> Any:
    """``NaN``, ``Infinity`` and ``-Infinity``, which Python reads and JSON (and Go) do not."""
    where = "in numeric literal" if constant.startswith("-") else "looking for beginning of value"
    raise InvalidRequest(f"invalid character {constant.lstrip('-')[0]!r} {where}")


def _finite(number: str) -> float:
    """A JSON number as a float; one beyond float64 (``1e999``) is Go's error, not ``inf``."""
    value = float(number)
    if math.isinf(value):
        raise InvalidRequest(f"json: cannot unmarshal number {number} into Go value of type float64")
    return value


_DECODER = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)


def _deepest_opening(text: str) -> str:
    """The ``[`` or ``{`` that nests too deep for the decoder (Go: 10000 levels, here
    Python's recursion limit), as Go's message names it."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            in_string, escaped = (escaped or char != '"'), (not escaped and char == "\\")
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth >= sys.getrecursionlimit() // 2:
                return char
        elif char in "]}":
            depth -= 1
    return "["


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate (which no UTF-8 text can hold) as U+FFFD.

    >>> _without_surrogates({"a\\ud800": ["\\udfffb", 1]})
    {'a\ufffd': ['\ufffdb', 1]}
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_surrogates(key): _without_surrogates(item) for key, item in value.items()}
    return value


async def read_body(request: Request, shape: Shape) -> dict[str, Any]:
    """``parse_body`` of the request's body."""
    return parse_body(await request.body(), shape)


def model_field(body: dict[str, Any]) -> str:
    """The model a request names: ``model``, else the deprecated ``name``; trimmed."""
    return str(body.get("model") or body.get("name") or "").strip()
