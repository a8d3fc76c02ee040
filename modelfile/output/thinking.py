"""Ollama's generic thinking parser: splits streamed model output into thinking and content.

A reply that starts (after white space) with the opening tag is thinking up to the first
closing tag; white space after either tag is eaten; a reply that does not start with the
opening tag is all content.  Partial closing tags at the end of a chunk are held back.
Nothing is flushed at the end of the stream (Ollama's ``thinking.Parser``).

>>> parser = ThinkingParser("<think>", "</think>")
>>> parser.add("<think> plan")
('plan', '')
>>> parser.add(" more</th")
(' more', '')
>>> parser.add("ink>\\n\\nAnswer")
('', 'Answer')
>>> parser.state
<ThinkingState.THINKING_DONE: 'ThinkingDone'>
"""

from __future__ import annotations

import enum

from modelfile.output.gospace import suffix_overlap, trim_left


class ThinkingState(enum.Enum):
    """Where the parser is; values are Ollama's state names."""

    LOOKING_FOR_OPENING = "LookingForOpening"
    THINKING_STARTED_EATING_WHITESPACE = "ThinkingStartedEatingWhitespace"
    THINKING = "Thinking"
    THINKING_DONE_EATING_WHITESPACE = "ThinkingDoneEatingWhitespace"
    THINKING_DONE = "ThinkingDone"


class ThinkingParser:
    """Streaming split of output into ``(thinking, content)`` between two tags."""

    def __init__(self, opening_tag: str, closing_tag: str) -> None:
        self.opening_tag = opening_tag
        self.closing_tag = closing_tag
        self.state = ThinkingState.LOOKING_FOR_OPENING
        self._buffer = ""

    def add(self, text: str) -> tuple[str, str]:
        """Feed one chunk; return the thinking and the content it releases."""
        self._buffer += text
        thinking: list[str] = []
        content: list[str] = []
        more = True
        while more:
            think_part, content_part, more = self._step()
            thinking.append(think_part)
            content.append(content_part)
        return "".join(thinking), "".join(content)

    def _step(self) -> tuple[str, str, bool]:
        """One state transition: (thinking, content, whether to go on)."""
        state = self.state
        if state is ThinkingState.LOOKING_FOR_OPENING:
            return self._look_for_opening()
        if state is ThinkingState.THINKING_STARTED_EATING_WHITESPACE:
            rest = trim_left(self._buffer)
            if not rest:
                return "", "", False
            self._buffer = rest
            self.state = ThinkingState.THINKING
            return "", "", True
        if state is ThinkingState.THINKING:
            return self._think()
        if state is ThinkingState.THINKING_DONE_EATING_WHITESPACE:
            rest = trim_left(self._buffer)
            self._buffer = ""
            if rest:
                self.state = ThinkingState.THINKING_DONE
            return "", rest, False
        rest, self._buffer = self._buffer, ""
        return "", rest, False

    def _look_for_opening(self) -> tuple[str, str, bool]:
        trimmed = trim_left(self._buffer)
        if trimmed.startswith(self.opening_tag):
            after = trim_left(trimmed[len(self.opening_tag) :])
            self._buffer = after
            self.state = ThinkingState.THINKING if after else ThinkingState.THINKING_STARTED_EATING_WHITESPACE
            return "", "", True
        if self.opening_tag.startswith(trimmed):  # also true when nothing but white space arrived
            return "", "", False
        self.state = ThinkingState.THINKING_DONE
        untrimmed, self._buffer = self._buffer, ""
        return "", untrimmed, False

    def _think(self) -> tuple[str, str, bool]:
        buffer = self._buffer
        index = buffer.find(self.closing_tag)
        if index >= 0:
            rest = trim_left(buffer[index + len(self.closing_tag) :])
            self._buffer = ""
            self.state = ThinkingState.THINKING_DONE if rest else ThinkingState.THINKING_DONE_EATING_WHITESPACE
            return buffer[:index], rest, False
        held = suffix_overlap(buffer, self.closing_tag)
        self._buffer = buffer[len(buffer) - held :] if held else ""
        return buffer[: len(buffer) - held], "", False
