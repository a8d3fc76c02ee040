"""What every builtin output parser (Modelfile ``PARSER``) offers, and the error it raises.

``init(tools, last_message, think)`` starts a reply (call indexes restart at 0) and
returns the tools to render; ``add(text, done)`` returns a ``ParsedOutput``.  An
invalid call raises ``OutputParseError``, which ends Ollama's stream with
``{"error": message}``.

>>> ParsedOutput(content="Hi").content
'Hi'
>>> OutputParseError("empty function name").to_dict()
{'code': 'tool-call-invalid', 'message': 'empty function name'}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from modelfile.errors import MfcError
from modelfile.output.tool_call import ToolCall

Think = bool | str | None


class OutputParseError(MfcError):
    """Model output a builtin parser cannot turn into a tool call (the message is Ollama's)."""

    code = "tool-call-invalid"


@dataclass(frozen=True)
class ParsedOutput:
    """What one ``add`` released."""

    content: str = ""
    thinking: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


class BuiltinParser(Protocol):
    """The surface of Ollama's ``parsers.Parser``."""

    def init(
        self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None, think: Think
    ) -> Sequence[Mapping[str, Any]] | None:
        """Start a reply; return the tools as the template should see them."""
        ...

    def add(self, text: str, done: bool) -> ParsedOutput:
        """Feed one chunk."""
        ...

    def has_tool_support(self) -> bool:
        """Whether the parser adds the ``tools`` capability."""
        ...

    def has_thinking_support(self) -> bool:
        """Whether the parser adds the ``thinking`` capability."""
        ...


def think_enabled(think: Think, default: bool) -> bool:
    """A request's ``think`` as a switch: absent → ``default``; a level string counts as on.

    >>> think_enabled(None, True), think_enabled("low", False), think_enabled(False, True)
    (True, True, False)
    """
    if think is None:
        return default
    if isinstance(think, str):
        return think != ""
    return think
