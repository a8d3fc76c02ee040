"""Ollama's ``qwen3-coder`` tool calls: XML-like calls whose values are typed from the tool schema.

``<tool_call><function=NAME><parameter=KEY>\\nVALUE\\n</parameter></function></tool_call>``.
Content before a call (right-trimmed) and after it (left-trimmed) is content; trailing
white space and a partial ``<tool_call>`` are held back.  A value loses one leading and
one trailing newline and is typed by the parameter's schema ``type`` (or ``anyOf``
types): ``null`` first, then boolean, integer, number (integral → int), array, object,
else the string.

>>> parser = Qwen3CoderParser()
>>> _ = parser.init([{"function": {"name": "f", "parameters": {"properties": {"n": {"type": "integer"}}}}}], None, None)
>>> call = "<tool_call>\\n<function=f>\\n<parameter=n>\\n5\\n</parameter>\\n</function>\\n</tool_call>"
>>> out = parser.add("Ok.\\n" + call, True)
>>> out.content, [(call.name, call.arguments) for call in out.tool_calls]
('Ok.', [('f', {'n': 5})])
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from modelfile.go.strconv import SyntaxOrRangeError, parse_int
from modelfile.output.builtin import OutputParseError, ParsedOutput, Think
from modelfile.output.gospace import suffix_overlap, trim_left, trim_right
from modelfile.output.tool_args import decode_go_json
from modelfile.output.tool_call import ToolCall

TOOL_OPEN, TOOL_CLOSE = "<tool_call>", "</tool_call>"
_FUNCTION = re.compile(r"\s*<function=([^>]+)>(.*)</function>\s*", re.DOTALL)
_PARAMETER = re.compile(r"<parameter=([^>]+)>(.*?)</parameter>", re.DOTALL)


class Qwen3CoderParser:
    """``PARSER qwen3-coder``: tool calls only, no thinking."""

    def __init__(self) -> None:
        self.tools: Sequence[Mapping[str, Any]] = ()
        self._buffer = ""
        self._in_call = False
        self._call_index = 0

    def has_tool_support(self) -> bool:
        """qwen3-coder parses tool calls."""
        return True

    def has_thinking_support(self) -> bool:
        """qwen3-coder has no thinking."""
        return False

    def init(
        self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None, think: Think
    ) -> Sequence[Mapping[str, Any]] | None:
        """Remember the tools (their schemas type the values); indexes restart at 0."""
        self.tools = tools or ()
        self._call_index = 0
        return tools

    def add(self, text: str, done: bool) -> ParsedOutput:
        """Feed one chunk."""
        self._buffer += text
        content: list[str] = []
        calls: list[ToolCall] = []
        while True:
            if self._in_call:
                if TOOL_CLOSE not in self._buffer:
                    break
                raw, _, after = self._buffer.partition(TOOL_CLOSE)
                self._buffer = trim_left(after)
                self._in_call = False
                calls.append(self._call(raw))
                continue
            if TOOL_OPEN in self._buffer:
                before, _, self._buffer = self._buffer.partition(TOOL_OPEN)
                content.append(trim_right(before))
                self._in_call = True
                continue
            held = suffix_overlap(self._buffer, TOOL_OPEN)
            clear = trim_right(self._buffer[: len(self._buffer) - held])
            content.append(clear)
            self._buffer = self._buffer[len(clear) :]
            break
        return ParsedOutput("".join(content), "", tuple(calls))

    def _call(self, raw: str) -> ToolCall:
        match = _FUNCTION.fullmatch(raw)
        body = match.group(2) if match else ""
        if match is None or body.count("<parameter=") != len(_PARAMETER.findall(body)):
            raise OutputParseError(f"XML syntax error in tool call: {raw.strip()[:80]!r}")
        name = match.group(1)
        schema = _properties(self.tools, name)
        arguments = {
            key: parse_value(_xml_text(value), _types(schema.get(key))) for key, value in _PARAMETER.findall(body)
        }
        call = ToolCall(name=name, arguments=arguments, index=self._call_index)
        self._call_index += 1
        return call


def _xml_text(value: str) -> str:
    """Character data as Go's XML decoder returns it (line ends normalised)."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _properties(tools: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    for tool in tools:
        function = tool.get("function") or {}
        if function.get("name") == name:
            return (function.get("parameters") or {}).get("properties") or {}
    return {}


def _types(prop: Any) -> list[str]:
    if not isinstance(prop, Mapping):
        return []
    if prop.get("anyOf"):
        return [t for option in prop["anyOf"] for t in _as_list(option.get("type"))]
    return _as_list(prop.get("type"))


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def parse_value(raw: str, types: Sequence[str]) -> Any:
    """A parameter's text typed by its schema types (Ollama's ``parseValue``).

    >>> parse_value("\\n3.0\\n", ["number"]), parse_value("yes", ["boolean"]), parse_value("NULL", ["string"])
    (3, False, None)
    """
    raw = raw.removeprefix("\n").removesuffix("\n")
    if raw.lower() == "null":
        return None
    if not types:
        return raw
    only = len(types) == 1
    if "boolean" in types:
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if only:
            return False
    if "integer" in types:
        try:
            return parse_int(raw)
        except (SyntaxOrRangeError, ValueError):
            if only:
                return raw
    if "number" in types:
        number = _parse_float(raw)
        if number is not None:
            if math.isfinite(number) and number == math.trunc(number) and -(2.0**63) <= number < 2.0**63:
                return int(number)
            return number
        if only:
            return raw
    for kind, expected in (("array", list), ("object", dict)):
        if kind in types:
            try:
                value = decode_go_json(raw)
            except ValueError:
                value = None
            if isinstance(value, expected):
                return value
            if only:
                return raw
    return raw


def _parse_float(raw: str) -> float | None:
    """``strconv.ParseFloat(raw, 64)`` for decimal text (``None`` when it fails)."""
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", raw, re.IGNORECASE):
        return None
    value = float(raw)
    return None if math.isinf(value) and not raw.lstrip("+-").lower().startswith("inf") else value
