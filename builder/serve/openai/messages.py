"""OpenAI chat messages as Ollama messages (ollama-api.md §10.1): a content array
becomes one message per part with the same role (text, an image's base64, an audio
clip's data); ``tool_calls[].function.arguments`` (a JSON string) becomes an object;
``reasoning`` becomes ``thinking``; a tool result gets its tool's name from ``name`` or
from the assistant's call with the same ``tool_call_id``.

>>> ollama_messages([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])
[{'role': 'user', 'content': 'Hi'}]
>>> ollama_messages([{"role": "user", "content": 2}])
Traceback (most recent call last):
  ...
builder.serve.errors.InvalidRequest: invalid message content type: float64
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from builder.serve.errors import InvalidRequest

#: The ``data:`` URLs of images Ollama takes (anything else is refused).
_IMAGE_URL = re.compile(r"^data:(?:image/(?:jpeg|jpg|png|webp))?;base64,", re.IGNORECASE)


def ollama_messages(messages: list[Any]) -> list[dict[str, Any]]:
    """Ollama's messages for OpenAI's ``messages``."""
    out: list[dict[str, Any]] = []
    tool_names: dict[str, str] = {}
    for item in messages:
        if not isinstance(item, dict):
            raise InvalidRequest("invalid message format")
        role = str(item.get("role") or "")
        content = item.get("content")
        calls = _tool_calls(item.get("tool_calls"))
        for call in calls:
            tool_names[str(call.get("id", ""))] = call["function"]["name"]
        if isinstance(content, list):
            out.extend({"role": role, **_part(part)} for part in content)
            continue
        if content is not None and not isinstance(content, str):
            raise InvalidRequest(f"invalid message content type: {go_type(content)}")
        if content is None and not calls:
            raise InvalidRequest("invalid message content type: <nil>")
        message: dict[str, Any] = {"role": role, "content": content or ""}
        if isinstance(item.get("reasoning"), str) and item["reasoning"]:
            message["thinking"] = item["reasoning"]
        if calls:
            message["tool_calls"] = calls
        if role == "tool":
            name = item.get("name") or tool_names.get(str(item.get("tool_call_id", "")))
            if name:
                message["tool_name"] = name
        if isinstance(item.get("tool_call_id"), str) and item["tool_call_id"]:
            message["tool_call_id"] = item["tool_call_id"]
        out.append(message)
    return out


def go_type(value: Any) -> str:
    """Go's ``%T`` of a decoded JSON value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    return "map[string]interface {}" if isinstance(value, dict) else "<nil>"


def _part(part: Any) -> dict[str, Any]:
    """One part of a content array as the fields of its own message."""
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text" and isinstance(part.get("text"), str):
        return {"content": part["text"]}
    if kind == "image_url":
        url = part.get("image_url")
        url = url.get("url") if isinstance(url, dict) else url
        return {"content": "", "images": [_image(url)]}
    if kind == "input_audio":
        audio = part.get("input_audio")
        data = audio.get("data") if isinstance(audio, dict) else None
        if isinstance(data, str):
            return {"content": "", "images": [_base64(data, "invalid audio input")]}
    raise InvalidRequest("invalid message format")


def _image(url: Any) -> str:
    """The standard base64 of an image given as a ``data:`` URL."""
    if not isinstance(url, str):
        raise InvalidRequest("invalid image input")
    if url.startswith(("http://", "https://")):
        raise InvalidRequest("image URLs are not currently supported, please use base64 encoded data instead")
    match = _IMAGE_URL.match(url)
    if match is None:
        raise InvalidRequest("invalid image input")
    return _base64(url[match.end() :], "invalid image input")


def _base64(data: str, problem: str) -> str:
    try:
        return base64.b64encode(base64.b64decode(data, validate=True)).decode("ascii")
    except (binascii.Error, ValueError):
        raise InvalidRequest(problem) from None


def _tool_calls(value: Any) -> list[dict[str, Any]]:
    """Ollama's tool calls for an assistant message's ``tool_calls``: the arguments
    parsed, the position as ``function.index``."""
    if not isinstance(value, list):
        return []
    calls = []
    for index, call in enumerate(value):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise InvalidRequest("invalid tool call arguments")
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError:
                raise InvalidRequest("invalid tool call arguments") from None
        if not isinstance(arguments, dict):
            raise InvalidRequest("invalid tool call arguments")
        entry: dict[str, Any] = {
            "function": {"index": index, "name": str(function.get("name") or ""), "arguments": arguments}
        }
        if call.get("id"):
            entry = {"id": call["id"], **entry}
        calls.append(entry)
    return calls
