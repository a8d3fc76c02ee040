"""Ollama's generic streaming tool-call parser (``tools.Parser``).

Text before the tag is content.  Once the tag is seen, every complete call is emitted as
soon as its object closes: the tool is the request tool whose name occurs earliest in
the buffer (a longer name wins a tie; a buffer ending in part of a name waits), the
arguments come from ``find_arguments``.  After the tag nothing reaches content again,
except for the tags ``{`` and ``[``: output that does not start with them is content,
and a bracketed value that is no call is released once its brackets balance.

>>> parser = ToolParser("<tool_call>", ["get_weather"])
>>> parser.add("Sure. <tool_")
([], 'Sure. ')
>>> calls, content = parser.add('call>{"name": "get_weather", "arguments": {"city": "Paris"}}')
>>> calls
[ToolCall(name='get_weather', arguments={'city': 'Paris'}, index=0, id='')]
>>> parser.add(" trailing text is swallowed")
([], '')
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from modelfile.output.gospace import trim
from modelfile.output.tool_args import find_arguments
from modelfile.output.tool_call import ToolCall

#: Tags that only count at the start of a reply and whose values may be plain content.
BRACKET_TAGS = {"{": "}", "[": "]"}


class ToolState(enum.Enum):
    """Where the parser is; values are Ollama's state names."""

    LOOKING_FOR_TAG = "LookingForTag"
    TOOL_CALLING = "ToolCalling"
    DONE = "Done"


def find_tag(buffer: str, tag: str) -> tuple[int, bool]:
    """``(index, found)``: a whole tag anywhere, else where a partial tag ends the buffer.

    >>> find_tag("hello <tool_", "<tool_call>")
    (6, False)
    >>> find_tag("text <tool_call>", "<tool_call>")
    (5, True)
    """
    index = buffer.find(tag)
    if index >= 0:
        return index, True
    for size in range(min(len(buffer), len(tag)), 0, -1):
        if buffer.endswith(tag[:size]):
            return len(buffer) - size, False
    return -1, False


def find_tool(names: Sequence[str], buffer: str) -> tuple[str, int] | None:
    """The tool named earliest in ``buffer`` and where its name ends; ``None`` to wait.

    >>> find_tool(["say_hello", "say_hello_world"], '{"name": "say_hello_world"}')
    ('say_hello_world', 25)
    >>> find_tool(["say_hello", "say_hello_world"], '{"name": "say_hello') is None
    True
    """
    if not buffer:
        return None
    longest = max((len(name) for name in names), default=0)
    for size in range(1, min(len(buffer), longest) + 1):
        tail = buffer[-size:]
        if any(len(tail) < len(name) and name.startswith(tail) for name in names):
            return None
    best: tuple[int, str] | None = None
    for name in names:
        position = buffer.find(name)
        if position < 0:
            continue
        if best is None or position < best[0] or (position == best[0] and len(name) > len(best[1])):
            best = (position, name)
    if best is None:
        return None
    return best[1], best[0] + len(best[1])


def brackets_closed(buffer: str, tag: str) -> bool:
    """Ollama's ``done()``: for ``{``/``[`` tags, whether the bracket count returns to 0.

    >>> brackets_closed('{"note": "a}b"}', "{"), brackets_closed('{"note": "a}b"', "{")
    (True, False)
    """
    closing = BRACKET_TAGS.get(tag)
    if closing is None:
        return False
    count = 0
    in_string = escaped = False
    for char in buffer:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif char == tag:
            count += 1
        elif char == closing:
            count -= 1
            if count == 0:
                return True
    return False


class ToolParser:
    """Streaming ``add(chunk) -> (calls, content)`` for one reply."""

    def __init__(self, tag: str, names: Sequence[str]) -> None:
        self.tag = tag
        self.names = tuple(names)
        self.state = ToolState.LOOKING_FOR_TAG
        self.buffer = ""
        self.calls_so_far = 0

    def add(self, text: str) -> tuple[list[ToolCall], str]:
        """Feed one chunk; return the calls completed and the content released."""
        if self.state is ToolState.DONE:
            return [], text
        self.buffer += text
        content = ""
        if self.state is ToolState.LOOKING_FOR_TAG:
            index, found = find_tag(self.buffer, self.tag)
            if index < 0:
                content, self.buffer = self.buffer, ""
            else:
                content, self.buffer = self.buffer[:index], self.buffer[index:]
            if self.tag in BRACKET_TAGS and trim(content):
                # Ollama keeps the buffer here, so content() may repeat it later.
                self.state = ToolState.DONE
                return [], content + self.buffer
            if not found:
                return [], content
            self.state = ToolState.TOOL_CALLING
        calls = []
        while (call := self._next_call()) is not None:
            calls.append(call)
        if brackets_closed(self.buffer, self.tag):
            self.state = ToolState.DONE
            content, self.buffer = self.buffer, ""
        return calls, content

    def content(self) -> str:
        """What to release at the end of the reply: the buffer for ``{``/``[`` without calls."""
        if self.calls_so_far or self.tag not in BRACKET_TAGS:
            return ""
        return self.buffer

    def _next_call(self) -> ToolCall | None:
        tool = find_tool(self.names, self.buffer)
        if tool is None:
            return None
        name, end = tool
        found = find_arguments(name, self.buffer)
        if found is None:
            return None
        arguments, closing = found
        call = ToolCall(name=name, arguments=arguments, index=self.calls_so_far)
        self.calls_so_far += 1
        self.buffer = self.buffer[max(end, closing) :]
        return call
