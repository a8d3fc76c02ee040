"""Model output → ``thinking``, ``tool_calls`` and ``content``, exactly as Ollama splits it.

A pure library (no I/O, never imports ``builder``): the generic parsers Ollama runs for
Go-template models (``ollama-tools.md`` §2–§4).

* ``infer_tags`` / ``ThinkingParser``: thinking tags from a template, and the streaming split.
* ``filter_think_tags``: thinking removed from earlier assistant turns (qwen3, deepseek-r1).

>>> from modelfile.output import ThinkingParser
>>> ThinkingParser("<think>", "</think>").add("<think>x</think>y")
('x', 'y')
"""

from __future__ import annotations

from modelfile.output.history import filter_think_tags, filters_think_tags
from modelfile.output.think_tags import infer_tags, thinking_capable
from modelfile.output.thinking import ThinkingParser, ThinkingState

__all__ = [
    "ThinkingParser",
    "ThinkingState",
    "filter_think_tags",
    "filters_think_tags",
    "infer_tags",
    "thinking_capable",
]
