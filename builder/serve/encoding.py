"""JSON as Ollama's Go server writes it: compact, keys in the order given, ``<``, ``>``,
``&``, U+2028 and U+2029 escaped (Go's ``encoding/json`` HTML-safe default), UTF-8.

>>> go_json({"a": "<b> & c", "n": [1, 2.5]})
b'{"a":"\\\\u003cb\\\\u003e \\\\u0026 c","n":[1,2.5]}'
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from modelfile.go import fmt

#: What Go's encoder escapes that Python's leaves as it is; each can only occur inside a
#: JSON string, so replacing them in the encoded text is safe.
_GO_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def go_json(value: Any) -> bytes:
    """``value`` encoded as Go's ``json.Marshal`` would: no trailing newline."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for raw, escaped in _GO_ESCAPES:
        text = text.replace(raw, escaped)
    return text.encode("utf-8")


class GoJSONResponse(Response):
    """A ``c.JSON`` response of Ollama's: ``application/json; charset=utf-8``, Go's bytes."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return go_json(content)


def go_quote(text: str) -> str:
    """``text`` as Go's ``%q`` (``strconv.Quote``) prints it in Ollama's messages: double
    quotes; ``\\``, ``"`` and ``\\a\\b\\f\\n\\r\\t\\v`` escaped; other control bytes as
    ``\\xHH``; characters Go does not print as ``\\uXXXX`` or ``\\UXXXXXXXX``
    (``modelfile.go.fmt``, with Go's own tables).

    >>> print(go_quote('a"b'), go_quote("x\\x00y\\n"), go_quote("é\\u00a0"))
    "a\\"b" "x\\x00y\\n" "é\\u00a0"
    """
    return fmt.go_quote(text)
