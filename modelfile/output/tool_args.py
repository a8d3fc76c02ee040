"""Finding a tool call's arguments in model output (Ollama's ``tools.findArguments``).

The buffer is scanned from its start for balanced ``{…}`` objects (strings and
backslash escapes respected, a stray ``}`` ignored); the first one Go's
``encoding/json`` accepts is searched for the arguments: ``arguments``/``parameters``
next to a ``name`` (an object, or a string holding one), a member keyed by the tool
name, a nested match, else the object itself.  ``name`` without usable arguments
means no call.  Numbers decode as Go's float64.

>>> find_arguments("get_weather", 'x {"name": "get_weather", "arguments": {"city": "Paris"}}')
({'city': 'Paris'}, 56)
>>> find_arguments("get_weather", '{"name": "get_weather"}') is None
True
>>> find_arguments("f", '{"city": "Oslo", "days": 2}')
({'city': 'Oslo', 'days': 2.0}, 26)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

Arguments = dict[str, Any]


def _go_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return value


def _reject_constant(text: str) -> Any:
    raise ValueError(f"invalid character {text[0]!r} looking for beginning of value")


def decode_go_json(text: str) -> Any:
    """``json.Unmarshal`` into ``any``: numbers as float64, no NaN or Infinity.

    >>> decode_go_json('{"n": 1, "big": 1e22}')
    {'n': 1.0, 'big': 1e+22}
    """
    return json.loads(text, parse_int=_go_float, parse_float=_go_float, parse_constant=_reject_constant)


def decode_object(text: str) -> tuple[bool, Arguments | None]:
    """``json.Unmarshal`` into ``map[string]any``: (ok, the map; ``None`` for ``null``)."""
    try:
        value = decode_go_json(text)
    except ValueError:
        return False, None
    if value is None or isinstance(value, dict):
        return True, value
    return False, None


def balanced_objects(buffer: str) -> Iterator[tuple[int, int]]:
    """``(start, index of the closing brace)`` of each top-level ``{…}`` in ``buffer``."""
    start = -1
    depth = 0
    in_string = escaped = False
    for index, char in enumerate(buffer):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0 and start != -1:
                yield start, index
                start = -1
            depth = max(depth, 0)


def find_arguments(tool_name: str, buffer: str) -> tuple[Arguments, int] | None:
    """The arguments of the first JSON object in ``buffer`` and its closing brace's index."""
    for start, end in balanced_objects(buffer):
        ok, data = decode_object(buffer[start : end + 1])
        if not ok or data is None:
            continue
        found, arguments = _find_object(tool_name, data)
        if not found:
            return data, end
        return (arguments, end) if arguments is not None else None
    return None


def _member_object(name: str, obj: Arguments) -> tuple[bool, Arguments | None]:
    value = obj.get(name)
    if isinstance(value, dict):
        return True, value
    if isinstance(value, str):
        return decode_object(value)
    return False, None


def _find_object(tool_name: str, obj: Arguments) -> tuple[bool, Arguments | None]:
    """(matched, arguments); matched with ``None`` means "a call without arguments"."""
    if "name" in obj:
        for key in ("arguments", "parameters"):
            ok, arguments = _member_object(key, obj)
            if ok:
                return True, arguments
        return True, None
    ok, arguments = _member_object(tool_name, obj)
    if ok:
        return True, arguments
    for value in obj.values():
        children = [value] if isinstance(value, dict) else value if isinstance(value, list) else []
        for child in children:
            if isinstance(child, dict):
                matched, arguments = _find_object(tool_name, child)
                if matched:
                    return True, arguments
    return False, None
