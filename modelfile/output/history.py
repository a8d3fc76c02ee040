"""Ollama's ``filterThinkTags``: earlier assistant turns lose their thinking in the prompt.

For the ``qwen3`` family and the ``deepseek-r1`` model only, every assistant message
before the last user message keeps just the content part of a fresh ``<think>`` parse.

>>> messages = [
...     {"role": "user", "content": "Hi"},
...     {"role": "assistant", "content": "<think>hmm</think>Hello"},
...     {"role": "user", "content": "Again"},
... ]
>>> [m["content"] for m in filter_think_tags(messages, family="qwen3")]
['Hi', 'Hello', 'Again']
>>> filter_think_tags(messages, family="llama") == messages
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelfile.output.thinking import ThinkingParser


def filters_think_tags(*, family: str = "", model: str = "") -> bool:
    """Whether Ollama filters history for this model family or model name.

    >>> filters_think_tags(model="registry.ollama.ai/library/deepseek-r1:latest")
    True
    """
    return family == "qwen3" or _bare_model(model) == "deepseek-r1"


def _bare_model(name: str) -> str:
    """The model part of ``host/namespace/model:tag``."""
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def filter_think_tags(
    messages: Sequence[Mapping[str, Any]], *, family: str = "", model: str = ""
) -> list[dict[str, Any]]:
    """Copies of ``messages`` with thinking removed from assistant turns before the last user turn."""
    out = [dict(message) for message in messages]
    if not filters_think_tags(family=family, model=model):
        return out
    last_user = max((i for i, m in enumerate(out) if m.get("role") == "user"), default=-1)
    for message in out[:last_user]:
        if message.get("role") == "assistant":
            _, content = ThinkingParser("<think>", "</think>").add(str(message.get("content", "")))
            message["content"] = content
    return out
