"""Ollama's builtin ``qwen3`` / ``qwen3-thinking`` output parser (Modelfile ``PARSER``).

With thinking on, output starts inside ``<think>`` (the prompt ends with it; one stray
leading ``<think>`` is dropped) and ends at ``</think>`` or at a ``<tool_call>``.  Calls
are ``<tool_call>{"name": …, "arguments": {…}}</tool_call>`` JSON; content goes on
after them.  Trailing white space and partial tags are held back; white space around
tags is eaten; nothing is flushed at the end.

>>> parser = Qwen3Parser(thinking_support=True)
>>> _ = parser.init(None, None, True)
>>> out = parser.add('Plan.</think>Sure.<tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call>', True)
>>> out.thinking, out.content, [(c.name, c.arguments, c.index) for c in out.tool_calls]
('Plan.', 'Sure.', [('f', {'x': 1.0}, 0)])
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from modelfile.output.builtin import OutputParseError, ParsedOutput, Think, think_enabled
from modelfile.output.gospace import suffix_overlap, trim_left, trim_right
from modelfile.output.tool_args import decode_go_json
from modelfile.output.tool_call import ToolCall

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
TOOL_OPEN, TOOL_CLOSE = "<tool_call>", "</tool_call>"


class Qwen3State(enum.Enum):
    """Where the parser is."""

    LOOKING_FOR_THINKING_OPEN = "LookingForThinkingOpen"
    THINKING_STARTED_EATING_WHITESPACE = "ThinkingStartedEatingWhitespace"
    THINKING = "CollectingThinking"
    THINKING_DONE_EATING_WHITESPACE = "ThinkingDoneEatingWhitespace"
    CONTENT = "CollectingContent"
    TOOL_STARTED_EATING_WHITESPACE = "ToolStartedEatingWhitespace"
    TOOL = "CollectingToolContent"


Event = tuple[str, str]  # ("content" | "thinking" | "call", text)


class Qwen3Parser:
    """``PARSER qwen3`` (``thinking_support=False``) and ``qwen3-thinking`` (``True``)."""

    def __init__(self, *, thinking_support: bool) -> None:
        self.thinking_support = thinking_support
        self.state = Qwen3State.CONTENT
        self._buffer = ""
        self._call_index = 0
        self._maybe_open_tag = False

    def has_tool_support(self) -> bool:
        """Qwen3 always parses tool calls."""
        return True

    def has_thinking_support(self) -> bool:
        """Only ``qwen3-thinking``."""
        return self.thinking_support

    def init(
        self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None, think: Think
    ) -> Sequence[Mapping[str, Any]] | None:
        """Start a reply: inside thinking when supported and on (default on for -thinking)."""
        self._buffer = ""
        self._call_index = 0
        thinking = self.thinking_support and think_enabled(think, self.thinking_support)
        self.state = Qwen3State.THINKING if thinking else Qwen3State.CONTENT
        self._maybe_open_tag = thinking
        return tools

    def add(self, text: str, done: bool) -> ParsedOutput:
        """Feed one chunk (``done`` changes nothing: Ollama flushes nothing at the end)."""
        self._buffer += text
        content: list[str] = []
        thinking: list[str] = []
        calls: list[ToolCall] = []
        more = True
        while more:
            events, more = self._step()
            for kind, value in events:
                if kind == "call":
                    calls.append(self._call(value))
                else:
                    (content if kind == "content" else thinking).append(value)
        return ParsedOutput("".join(content), "".join(thinking), tuple(calls))

    # -- states
    def _step(self) -> tuple[list[Event], bool]:
        state = self.state
        if state is Qwen3State.LOOKING_FOR_THINKING_OPEN:
            return self._look_for_open()
        if state is Qwen3State.THINKING_STARTED_EATING_WHITESPACE:
            return self._eat_space(Qwen3State.THINKING)
        if state is Qwen3State.THINKING:
            return self._think()
        if state is Qwen3State.THINKING_DONE_EATING_WHITESPACE:
            return self._eat_space(Qwen3State.CONTENT)
        if state is Qwen3State.CONTENT:
            return self._content()
        if state is Qwen3State.TOOL_STARTED_EATING_WHITESPACE:
            return self._eat_space(Qwen3State.TOOL)
        if TOOL_CLOSE not in self._buffer:
            return [], False
        raw, _ = self._split(TOOL_CLOSE)
        self.state = Qwen3State.CONTENT
        return [("call", raw)], True

    def _eat_space(self, following: Qwen3State) -> tuple[list[Event], bool]:
        self._buffer = trim_left(self._buffer)
        if not self._buffer:
            return [], False
        self.state = following
        return [], True

    def _look_for_open(self) -> tuple[list[Event], bool]:
        trimmed = trim_left(self._buffer)
        if trimmed.startswith(THINK_OPEN):
            self._buffer = trim_left(trimmed[len(THINK_OPEN) :])
            self.state = Qwen3State.THINKING if self._buffer else Qwen3State.THINKING_STARTED_EATING_WHITESPACE
            return [], True
        if THINK_OPEN.startswith(trimmed):
            return [], False
        self.state = Qwen3State.CONTENT
        return [], True

    def _think(self) -> tuple[list[Event], bool]:
        if self._maybe_open_tag:
            trimmed = trim_left(self._buffer)
            if trimmed.startswith(THINK_OPEN):
                self._buffer = trim_left(trimmed[len(THINK_OPEN) :])
                if not self._buffer:
                    return [], False
                self._maybe_open_tag = False
                return [], True
            if THINK_OPEN.startswith(trimmed):
                return [], False
            self._maybe_open_tag = False
        buffer = self._buffer
        close, tool = buffer.find(THINK_CLOSE), buffer.find(TOOL_OPEN)
        if tool != -1 and (close == -1 or tool < close):
            before, after = self._split(TOOL_OPEN)
            self.state = Qwen3State.TOOL if after else Qwen3State.TOOL_STARTED_EATING_WHITESPACE
            return ([("thinking", before)] if before else []), True
        if close != -1:
            before, after = self._split(THINK_CLOSE)
            self.state = Qwen3State.CONTENT if after else Qwen3State.THINKING_DONE_EATING_WHITESPACE
            return ([("thinking", before)] if before else []), True
        held = max(suffix_overlap(buffer, THINK_CLOSE), suffix_overlap(buffer, TOOL_OPEN))
        return self._release("thinking", held), False

    def _content(self) -> tuple[list[Event], bool]:
        if TOOL_OPEN in self._buffer:
            before, after = self._split(TOOL_OPEN)
            self.state = Qwen3State.TOOL if after else Qwen3State.TOOL_STARTED_EATING_WHITESPACE
            return ([("content", before)] if before else []), True
        return self._release("content", suffix_overlap(self._buffer, TOOL_OPEN)), False

    # -- helpers
    def _release(self, kind: str, held: int) -> list[Event]:
        """Emit all but a partial tag of ``held`` characters and the white space before it."""
        buffer = self._buffer
        clear = trim_right(buffer[: len(buffer) - held])
        self._buffer = buffer[len(clear) :]
        return [(kind, clear)] if clear else []

    def _split(self, tag: str) -> tuple[str, str]:
        """Text before ``tag`` (right-trimmed) and after it (left-trimmed, kept buffered)."""
        before, _, after = self._buffer.partition(tag)
        self._buffer = trim_left(after)
        return trim_right(before), self._buffer

    def _call(self, raw: str) -> ToolCall:
        try:
            data = decode_go_json(raw)
        except ValueError as error:
            raise OutputParseError(f"failed to parse JSON: {error}") from None
        if not isinstance(data, dict):
            raise OutputParseError(f"failed to parse JSON: cannot unmarshal {raw[:40]!r} into a tool call")
        name = "" if data.get("name") is None else data["name"]
        arguments = {} if data.get("arguments") is None else data["arguments"]
        if not isinstance(name, str) or not isinstance(arguments, dict):
            raise OutputParseError(f"failed to parse JSON: unexpected name or arguments in {raw[:80]!r}")
        if not name:
            raise OutputParseError("empty function name")
        call = ToolCall(name=name, arguments=arguments, index=self._call_index)
        self._call_index += 1
        return call
