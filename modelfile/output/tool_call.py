"""A tool call parsed from model output, and Ollama's random call ids.

>>> call = ToolCall(name="get_weather", arguments={"city": "Paris"}, index=0)
>>> call.to_dict()
{'function': {'index': 0, 'name': 'get_weather', 'arguments': {'city': 'Paris'}}}
>>> len(tool_call_id()), tool_call_id().startswith("call_")
(13, True)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

#: The alphabet of the 8 random characters after ``call_`` (Ollama's ``toolCallId``).
ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def tool_call_id(rng: random.Random | None = None) -> str:
    """``call_`` and 8 random characters of ``[a-z0-9]``."""
    chooser = rng or random
    return "call_" + "".join(chooser.choice(ID_ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class ToolCall:
    """One call: ``index`` counts the calls of a reply from 0; ``id`` is set by the chat stream."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    index: int = 0
    id: str = ""

    def with_id(self, call_id: str) -> ToolCall:
        """This call carrying ``call_id``."""
        return replace(self, id=call_id)

    def to_dict(self) -> dict[str, Any]:
        """The ``message.tool_calls[]`` object of ``/api/chat`` (``id`` omitted when empty)."""
        out: dict[str, Any] = {"id": self.id} if self.id else {}
        out["function"] = {"index": self.index, "name": self.name, "arguments": self.arguments}
        return out
