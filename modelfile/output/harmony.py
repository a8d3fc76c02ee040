"""Ollama's ``harmony`` output parser for gpt-oss (``HarmonyMessageHandler``).

Channel ``analysis`` is thinking; ``final``, and ``commentary`` without a recipient, are
content; ``analysis``/``commentary`` addressed ``to=`` a tool is a call body.  Other
channel names keep the previous routing; ``<|end|>`` returns to content.  At the done
chunk the collected body becomes one call (name without ``functions.``, mapped back to
the request's tool name; arguments = the JSON body).

>>> parser = HarmonyParser()
>>> tools = parser.init([{"type": "function", "function": {"name": "get-weather"}}], None, True)
>>> tools[0]["function"]["name"]
'get_weather'
>>> parser.add("<|channel|>analysis<|message|>Need it.<|end|>", False).thinking
'Need it.'
>>> out = parser.add('<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json'
...                  '<|message|>{"city": "Oslo"}', True)
>>> [(call.name, call.arguments) for call in out.tool_calls]
[('get-weather', {'city': 'Oslo'})]
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping, Sequence
from typing import Any

from modelfile.go.encoding_json import marshal
from modelfile.output.builtin import OutputParseError, ParsedOutput, Think
from modelfile.output.harmony_events import (
    MESSAGE,
    START,
    ContentEmitted,
    HarmonyEvents,
    HeaderComplete,
    MessageEnd,
)
from modelfile.output.harmony_names import FunctionNameMap
from modelfile.output.tool_args import decode_go_json
from modelfile.output.tool_call import ToolCall


class Route(enum.Enum):
    """Where message bodies go."""

    CONTENT = "Normal"
    THINKING = "Thinking"
    TOOL_CALL = "ToolCalling"


class HarmonyParser:
    """``PARSER harmony`` (chosen automatically for gpt-oss)."""

    def __init__(self) -> None:
        self.events = HarmonyEvents()
        self.names = FunctionNameMap()
        self.route = Route.CONTENT
        self._recipient: str | None = None
        self._body: list[str] = []

    def has_tool_support(self) -> bool:
        """Harmony always parses tool calls."""
        return True

    def has_thinking_support(self) -> bool:
        """Harmony always has an analysis channel."""
        return True

    def init(
        self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None, think: Think
    ) -> Sequence[Mapping[str, Any]] | None:
        """Prime the stream (an assistant prefill continues its channel); rename the tools."""
        prefill = ""
        if last_message is not None and last_message.get("role") == "assistant":
            if last_message.get("content"):
                prefill = f"{START}assistant<|channel|>final{MESSAGE}"
            elif last_message.get("thinking"):
                prefill = f"{START}assistant<|channel|>analysis{MESSAGE}"
        if prefill:
            self.events.prefill(prefill)
        else:
            self.events.add_implicit_start()
        self._recipient, self._body = None, []
        if not tools:
            return tools
        renamed = [copy.deepcopy(dict(tool)) for tool in tools]
        for tool in renamed:
            function = tool.get("function") or {}
            if function.get("name"):
                function["name"] = self.names.convert_and_add(function["name"])
        return renamed

    def add(self, text: str, done: bool) -> ParsedOutput:
        """Feed one chunk; the call (if any) is parsed only when ``done``."""
        content: list[str] = []
        thinking: list[str] = []
        for event in self.events.add(text):
            if isinstance(event, HeaderComplete):
                self._route(event.header.channel, event.header.recipient)
            elif isinstance(event, ContentEmitted):
                if self.route is Route.CONTENT:
                    content.append(event.content)
                elif self.route is Route.THINKING:
                    thinking.append(event.content)
                else:
                    self._body.append(event.content)
            elif isinstance(event, MessageEnd):
                self.route = Route.CONTENT
        calls: tuple[ToolCall, ...] = ()
        if done and self._recipient is not None:
            calls = (self._call(),)
        return ParsedOutput("".join(content), "".join(thinking), calls)

    def _route(self, channel: str, recipient: str) -> None:
        if channel in ("analysis", "commentary") and recipient:
            self.route = Route.TOOL_CALL
            self._recipient = recipient
        elif channel == "analysis":
            self.route = Route.THINKING
        elif channel in ("commentary", "final"):
            self.route = Route.CONTENT

    def _call(self) -> ToolCall:
        raw = "".join(self._body)
        recipient = self._recipient or ""
        self._recipient, self._body = None, []
        name = self.names.original(recipient.removeprefix("functions."))
        try:
            arguments = decode_go_json(raw)
        except ValueError as error:
            raise OutputParseError(f"error parsing tool call: raw='{raw}', err={error}") from None
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise OutputParseError(f"error parsing tool call: raw='{raw}', err=not an object: {marshal(arguments)}")
        return ToolCall(name=name, arguments=arguments)
