"""An ``/api/generate`` or ``/api/chat`` request body, checked: its kind, and the
fields that shape the prompt (``parse_request``).

Ollama's decoder ignores unknown keys and matches names in any case; here an unknown
or mis-cased key is a ``RequestError`` naming the nearest known key, and a value of
the wrong type names its key.  The kind follows from the keys: ``messages``/``tools``
make a chat request, ``prompt``, ``suffix``, ``system``, ``template``, ``raw``,
``context`` and ``images`` a generate one.
"""

from __future__ import annotations

import base64
import binascii
import difflib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelfile.errors import RequestError
from modelfile.go.fmt import go_quote

THINK_LEVELS = ("high", "medium", "low", "max")
THINK_CHOICES = '("high", "medium", "low", "max", true, or false)'

# JSON types a key accepts, as named in messages; ``None`` (JSON null) is always
# accepted and means "not given", as Go's decoder leaves the zero value.
STRING, BOOL, OBJECT = "a string", "true or false", "an object"
INTEGER, NUMBER_OR_STRING = "an integer", "a number or a duration string"

COMMON_KEYS: Mapping[str, str] = {
    "model": STRING,
    "stream": BOOL,
    "format": '"json" or a JSON schema object',
    "keep_alive": NUMBER_OR_STRING,
    "options": OBJECT,
    "think": "true, false or a level",
    "truncate": BOOL,
    "shift": BOOL,
    "logprobs": BOOL,
    "top_logprobs": INTEGER,
    "_debug_render_only": BOOL,
}
GENERATE_KEYS: Mapping[str, str] = {
    "prompt": STRING,
    "suffix": STRING,
    "system": STRING,
    "template": STRING,
    "context": "an array of integers",
    "raw": BOOL,
    "images": "an array of base64 strings",
}
CHAT_KEYS: Mapping[str, str] = {"messages": "an array of messages", "tools": "an array of tools"}
MESSAGE_KEYS: Mapping[str, str] = {
    "role": STRING,
    "content": STRING,
    "thinking": STRING,
    "images": "an array of base64 strings",
    "tool_calls": "an array of tool calls",
    "tool_name": STRING,
    "tool_call_id": STRING,
}


@dataclass(frozen=True)
class Request:
    """A checked request body: its kind (``generate`` or ``chat``) and the fields that
    shape the prompt, with Ollama's defaults for those absent."""

    kind: str
    prompt: str = ""
    suffix: str = ""
    system: str = ""
    template: str = ""
    raw: bool = False
    context: tuple[int, ...] | None = None
    images: tuple[str, ...] = ()
    messages: tuple[dict[str, Any], ...] = ()
    tools: tuple[Any, ...] | None = None
    think: bool | str | None = None
    truncate: bool = True


def parse_request(body: Mapping[str, Any], kind: str | None = None) -> Request:
    """``body`` checked as an ``/api/generate`` or ``/api/chat`` request (``kind``, else
    told apart by its keys).

    >>> parse_request({"prompt": "Why is the sky blue?", "system": "You are terse."}).kind
    'generate'
    >>> parse_request({"Messages": [{"role": "user", "content": "hi"}]})
    Traceback (most recent call last):
      ...
    modelfile.errors.RequestError: unknown key "Messages" in the request body: did you mean "messages"?
    """
    if not isinstance(body, Mapping):
        raise RequestError("the request body must be a JSON object")
    known = {**COMMON_KEYS, **GENERATE_KEYS, **CHAT_KEYS}
    for key in body:
        if key not in known:
            raise RequestError(f"unknown key {go_quote(key)} in the request body{_nearest(key, known)}")
    kind = _kind(body, kind)
    other = CHAT_KEYS if kind == "generate" else GENERATE_KEYS
    for key in body:
        if key in other:
            raise RequestError(f"{go_quote(key)} is not a key of /api/{kind} requests")
    given = {key: value for key, value in body.items() if value is not None}
    for key, value in given.items():
        _check(key, value, known[key])
    messages = tuple(_message(m, f"messages[{i}]") for i, m in enumerate(given.get("messages") or ()))
    think = given.get("think")
    _check_think(think)
    return Request(
        kind=kind,
        prompt=given.get("prompt", ""),
        suffix=given.get("suffix", ""),
        system=given.get("system", ""),
        template=given.get("template", ""),
        raw=given.get("raw", False),
        context=tuple(given["context"]) if "context" in given else None,
        images=tuple(_images(given.get("images") or (), "images")),
        messages=messages,
        tools=tuple(given["tools"]) if "tools" in given else None,
        think=think,
        truncate=given.get("truncate", True),
    )


def _nearest(key: str, known: Collection[str]) -> str:
    exact = [k for k in known if k.lower() == key.lower()]
    close = exact or difflib.get_close_matches(key.lower(), list(known), n=1, cutoff=0.6)
    return f": did you mean {go_quote(close[0])}?" if close else f"; known keys: {', '.join(sorted(known))}"


def _kind(body: Mapping[str, Any], kind: str | None) -> str:
    if kind is not None:
        if kind not in ("generate", "chat"):
            raise RequestError(f"unknown request kind {go_quote(kind)}: expected generate or chat")
        return kind
    chat = sorted(k for k in body if k in CHAT_KEYS)
    generate = sorted(k for k in body if k in GENERATE_KEYS)
    if chat and generate:
        raise RequestError(
            f"the body mixes /api/chat keys ({', '.join(chat)}) with /api/generate keys ({', '.join(generate)})"
        )
    if not chat and not generate:
        raise RequestError("the body has no prompt (/api/generate) and no messages (/api/chat)")
    return "chat" if chat else "generate"


def _check(key: str, value: Any, expected: str) -> None:
    ok = {
        STRING: isinstance(value, str),
        BOOL: isinstance(value, bool),
        OBJECT: isinstance(value, dict),
        INTEGER: isinstance(value, int) and not isinstance(value, bool),
        NUMBER_OR_STRING: isinstance(value, int | float | str) and not isinstance(value, bool),
    }.get(expected)
    if ok is None:  # arrays and the special cases
        if expected.startswith("an array"):
            ok = isinstance(value, list)
            if ok and expected == "an array of integers":
                ok = all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            elif ok and expected in ("an array of messages", "an array of tools", "an array of tool calls"):
                ok = all(isinstance(v, dict) for v in value)
        elif key == "format":
            ok = isinstance(value, str | dict)
        else:
            ok = True  # think: checked by _check_think with Ollama's texts
    if not ok:
        raise RequestError(f"{key}: expected {expected}, got {_json_type(value)}")


def _json_type(value: Any) -> str:
    for kind, name in ((bool, "a boolean"), (str, "a string"), (dict, "an object"), (list, "an array")):
        if isinstance(value, kind):
            return f"{name} ({_short(value)})"
    return f"a number ({value})" if isinstance(value, int | float) else type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_think(think: Any) -> None:
    if think is None or isinstance(think, bool):
        return
    if not isinstance(think, str):
        raise RequestError(f"think must be a boolean or string {THINK_CHOICES}")
    if think not in THINK_LEVELS:
        raise RequestError(f"invalid think value: {go_quote(think)} (must be {THINK_CHOICES[1:-1]})")


def _message(data: Any, where: str) -> dict[str, Any]:
    for key, value in data.items():
        if key not in MESSAGE_KEYS:
            raise RequestError(f"unknown key {go_quote(key)} in {where}{_nearest(key, MESSAGE_KEYS)}")
        if value is not None:
            _check(f"{where}.{key}", value, MESSAGE_KEYS[key])
    message = {key: value for key, value in data.items() if value is not None}
    message["role"] = str(message.get("role", "")).lower()  # Ollama lower-cases roles as it decodes
    if "images" in message:
        message["images"] = _images(message["images"], f"{where}.images")
    return message


def _images(images: Sequence[Any], where: str) -> list[str]:
    for index, image in enumerate(images):
        try:
            if not isinstance(image, str):
                raise ValueError
            base64.b64decode(image, validate=True)
        except (ValueError, binascii.Error):
            raise RequestError(f"{where}[{index}]: expected standard base64 (illegal base64 data)") from None
    return list(images)
