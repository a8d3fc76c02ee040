"""Ollama's builtin ``qwen3.5`` parser: thinking first, then qwen3-coder XML tool calls.

Thinking is on unless ``think`` is false or the last message is an assistant prefill;
output then starts inside thinking (one stray leading ``<think>`` is dropped) until
``</think>``, or until a ``<tool_call>`` that some checkpoints emit without closing
thinking.  Everything after thinking goes through ``Qwen3CoderParser``.

>>> parser = Qwen35Parser()
>>> _ = parser.init(None, None, None)
>>> out = parser.add("Plan</think>ordinary <tool_calling> marker.", True)
>>> out.thinking, out.content
('Plan', 'ordinary <tool_calling> marker.')
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from modelfile.output.builtin import OutputParseError, ParsedOutput, Think, think_enabled
from modelfile.output.gospace import suffix_overlap, trim_left, trim_right
from modelfile.output.qwen3_coder import TOOL_OPEN, Qwen3CoderParser
from modelfile.output.tool_call import ToolCall

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


class Qwen35State(enum.Enum):
    """Where the parser is."""

    THINKING = "CollectingThinking"
    THINKING_DONE_EATING_WHITESPACE = "ThinkingDoneEatingWhitespace"
    CONTENT = "CollectingContent"


class Qwen35Parser:
    """``PARSER qwen3.5``."""

    def __init__(self) -> None:
        self.tools = Qwen3CoderParser()
        self.state = Qwen35State.CONTENT
        self._buffer = ""
        self._maybe_open_tag = False
        self._trim_thinking_start = False

    def has_tool_support(self) -> bool:
        """qwen3.5 parses tool calls."""
        return True

    def has_thinking_support(self) -> bool:
        """qwen3.5 thinks."""
        return True

    def init(
        self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None, think: Think
    ) -> Sequence[Mapping[str, Any]] | None:
        """Start a reply: inside thinking unless ``think`` is false or the prompt is a prefill."""
        self._buffer = ""
        self.tools = Qwen3CoderParser()
        self.tools.init(tools, None, None)
        prefill = bool(last_message and last_message.get("role") == "assistant" and last_message.get("content"))
        thinking = think_enabled(think, True) and not prefill
        self.state = Qwen35State.THINKING if thinking else Qwen35State.CONTENT
        self._maybe_open_tag = thinking
        self._trim_thinking_start = False
        return tools

    def add(self, text: str, done: bool) -> ParsedOutput:
        """Feed one chunk."""
        self._buffer += text
        content: list[str] = []
        thinking: list[str] = []
        calls: list[ToolCall] = []
        more = True
        while more:
            events, more = self._step()
            for kind, value in events:
                if kind == "thinking":
                    thinking.append(value)
                    continue
                try:
                    out = self.tools.add(value, done)
                except OutputParseError as error:
                    raise OutputParseError(f"failed to parse model-generated tool call: {error}") from None
                content.append(out.content)
                calls.extend(out.tool_calls)
        return ParsedOutput("".join(content), "".join(thinking), tuple(calls))

    def _step(self) -> tuple[list[tuple[str, str]], bool]:
        if self.state is Qwen35State.THINKING_DONE_EATING_WHITESPACE:
            self._buffer = trim_left(self._buffer)
            if not self._buffer:
                return [], False
            self.state = Qwen35State.CONTENT
            return [], True
        if self.state is Qwen35State.CONTENT:
            text, self._buffer = self._buffer, ""
            return ([("content", text)] if text else []), False
        return self._think()

    def _think(self) -> tuple[list[tuple[str, str]], bool]:
        if self._maybe_open_tag:
            trimmed = trim_left(self._buffer)
            if trimmed.startswith(THINK_OPEN):
                self._buffer = trim_left(trimmed[len(THINK_OPEN) :])
                self._maybe_open_tag = False
                self._trim_thinking_start = not self._buffer
                return [], bool(self._buffer)
            if THINK_OPEN.startswith(trimmed):
                return [], False
            self._maybe_open_tag = False
        if self._trim_thinking_start:
            self._buffer = trim_left(self._buffer)
            if not self._buffer:
                return [], False
            self._trim_thinking_start = False
        buffer = self._buffer
        if THINK_CLOSE in buffer:
            before, _, after = buffer.partition(THINK_CLOSE)
            self._buffer = trim_left(after)
            self.state = Qwen35State.CONTENT if self._buffer else Qwen35State.THINKING_DONE_EATING_WHITESPACE
            before = trim_right(before)
            return ([("thinking", before)] if before else []), True
        held = max(suffix_overlap(buffer, THINK_CLOSE), suffix_overlap(buffer, TOOL_OPEN))
        if not held and TOOL_OPEN in buffer:
            # Some checkpoints open a call without closing thinking: close it for them.
            before, _, after = buffer.partition(TOOL_OPEN)
            self._buffer = trim_right(before) + THINK_CLOSE + TOOL_OPEN + trim_left(after)
            return [], True
        clear = trim_right(buffer[: len(buffer) - held])
        self._buffer = buffer[len(clear) :]
        return ([("thinking", clear)] if clear else []), False
