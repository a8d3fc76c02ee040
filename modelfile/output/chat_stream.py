"""Ollama's per-chunk wiring of the output parsers in ``/api/chat`` (Go-template path).

The server feeds each runner chunk to ``ChatStream.feed`` and sends the line it returns
(``None``: no line for this chunk).  Thinking is split off first, the tool parser sees
only the content; Ollama's quirks are kept: calls found in a step that also releases
content are dropped, a tag arriving with the end of thinking stays in ``content``, and
nothing buffered is flushed unless the chunk is the last.

>>> template = "{{range .Messages}}{{.Content}}{{end}}"
>>> stream = ChatStream.for_template(template, tools=["get_weather"], think=None, prompt="")
>>> stream.feed('{"name": "get_weather", ')
>>> line = stream.feed('"arguments": {"city": "Oslo"}}')
>>> [(call.name, call.arguments) for call in line.tool_calls], line.content
([('get_weather', {'city': 'Oslo'})], '')
>>> stream.feed("", done=True)
ChatLine(content='', thinking='', tool_calls=(), done=True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from modelfile.output.builtin import BuiltinParser
from modelfile.output.gospace import trim
from modelfile.output.think_tags import infer_tags
from modelfile.output.thinking import ThinkingParser
from modelfile.output.tool_call import ToolCall, tool_call_id
from modelfile.output.tool_parser import ToolParser
from modelfile.output.tool_tag import parse_tag

Think = bool | str | None


@dataclass(frozen=True)
class ChatLine:
    """The message part of one streamed ``/api/chat`` line."""

    content: str = ""
    thinking: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    done: bool = False

    def message(self) -> dict[str, Any]:
        """``message`` as Ollama writes it: ``content`` always, the rest when not empty.

        >>> ChatLine(thinking="hm").message()
        {'role': 'assistant', 'content': '', 'thinking': 'hm'}
        """
        out: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.thinking:
            out["thinking"] = self.thinking
        if self.tool_calls:
            out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        return out


def effective_think(think: Think, capable: bool) -> Think:
    """The request's ``think``, defaulting to true for a thinking-capable model.

    >>> effective_think(None, True), effective_think(None, False), effective_think(False, True)
    (True, None, False)
    """
    if think is None and capable:
        return True
    return think


class ChatStream:
    """One reply: runner chunks in, ``/api/chat`` lines out."""

    def __init__(
        self,
        thinking: ThinkingParser | None = None,
        tools: ToolParser | None = None,
        make_id: Callable[[], str] = tool_call_id,
        builtin: BuiltinParser | None = None,
    ) -> None:
        self.thinking = thinking
        self.tools = tools
        self.make_id = make_id
        self.builtin = builtin

    @classmethod
    def for_parser(cls, parser: BuiltinParser) -> ChatStream:
        """The stream for a builtin ``PARSER`` (already ``init``-ed): it alone splits the output.

        An ``OutputParseError`` from the parser ends Ollama's stream with ``{"error": message}``.

        >>> from modelfile.output.parsers import parser_for_name
        >>> qwen = parser_for_name("qwen3")
        >>> _ = qwen.init(None, None, False)
        >>> stream = ChatStream.for_parser(qwen)
        >>> stream.feed("Hi ").content, stream.feed("<tool_"), stream.feed("", done=True).done
        ('Hi', None, True)
        """
        return cls(builtin=parser)

    @classmethod
    def for_template(cls, template: str, *, tools: Sequence[str], think: Think, prompt: str) -> ChatStream:
        """The parsers Ollama sets up for a Go template, the request's tool names and ``think``.

        ``prompt`` is the rendered prompt: one ending in the opening tag starts inside thinking.
        """
        opening, closing = infer_tags(template)
        thinking = None
        if effective_think(think, bool(opening and closing)) not in (None, False) and opening and closing:
            thinking = ThinkingParser(opening, closing)
            if trim(prompt).endswith(opening):
                thinking.add(opening)
        parser = ToolParser(parse_tag(template), tools) if tools else None
        return cls(thinking, parser)

    def feed(self, content: str, done: bool = False, *, logprobs: bool = False) -> ChatLine | None:
        """The line Ollama sends for one runner chunk, or ``None`` when it sends none."""
        if self.builtin is not None:
            return self._feed_builtin(self.builtin, content, done, logprobs)
        thinking = ""
        if self.thinking is not None:
            thinking, content = self.thinking.add(content)
            if not thinking and not content and not done:
                return None
        if self.tools is None:
            return ChatLine(content, thinking, (), done)
        calls, text = self.tools.add(content)
        if text:
            return ChatLine(text, thinking, (), done)  # calls of this step are dropped
        if calls:
            return ChatLine("", thinking, tuple(call.with_id(self.make_id()) for call in calls), done)
        if thinking:
            return ChatLine(content, thinking, (), done)  # content still holds what the tool parser buffered
        if done:
            return ChatLine(self.tools.content(), thinking, (), done)
        if logprobs:
            return ChatLine("", thinking, (), done)
        return None

    def _feed_builtin(self, parser: BuiltinParser, content: str, done: bool, logprobs: bool) -> ChatLine | None:
        out = parser.add(content, done)
        calls = tuple(call.with_id(self.make_id()) for call in out.tool_calls)
        if out.content or out.thinking or calls or done or logprobs:
            return ChatLine(out.content, out.thinking, calls, done)
        return None
