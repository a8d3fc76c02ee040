"""Builtin output parsers by their Modelfile ``PARSER`` name (Ollama's ``ParserForName``).

>>> parser_for_name("qwen3-thinking").has_thinking_support()
True
>>> parser_for_name("no-such-parser") is None
True
"""

from __future__ import annotations

from collections.abc import Callable

from modelfile.output.builtin import BuiltinParser
from modelfile.output.harmony import HarmonyParser
from modelfile.output.qwen3 import Qwen3Parser
from modelfile.output.qwen3_coder import Qwen3CoderParser
from modelfile.output.qwen35 import Qwen35Parser

#: Builtin parsers mfc has, by name; Ollama has more (``ollama-tools.md`` §5).
PARSERS: dict[str, Callable[[], BuiltinParser]] = {
    "harmony": HarmonyParser,
    "qwen3": lambda: Qwen3Parser(thinking_support=False),
    "qwen3-thinking": lambda: Qwen3Parser(thinking_support=True),
    "qwen3-coder": Qwen3CoderParser,
    "qwen3.5": Qwen35Parser,
}


def parser_for_name(name: str) -> BuiltinParser | None:
    """A fresh parser for ``PARSER name``; ``None`` for a name mfc does not implement."""
    factory = PARSERS.get(name)
    return factory() if factory else None
