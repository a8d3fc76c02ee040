"""From a conversation to the prompt text a model sees, as Ollama builds it.

The model's Go TEMPLATE is rendered through ``modelfile.template`` (the translated
Jinja2, in a sandbox).  A model without one uses its GGUF's own Jinja
``tokenizer.chat_template``, also in a sandbox (what Ollama's runner does natively);
with neither, Ollama's default ``{{ .Prompt }}``.

``fit`` is Ollama's ``chatPrompt``: drop messages from the front until the prompt fits
the context window, keeping dropped system messages and the last message, then tag
images ``[img-N]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from modelfile.template import render
from modelfile.template.chat_jinja import ChatTemplate

Message = dict[str, Any]
DEFAULT_TEMPLATE = "{{ .Prompt }}"


class PromptFormat(Protocol):
    @property
    def description(self) -> str: ...

    def render(self, messages: Sequence[Message], tools: list[Any] | None) -> str: ...


@dataclass(frozen=True)
class GoTemplate:
    """The model's TEMPLATE layer (or Ollama's default)."""

    text: str
    description: str = "the model's TEMPLATE"

    def render(self, messages: Sequence[Message], tools: list[Any] | None) -> str:
        return render(self.text, {"messages": list(messages), "tools": tools})


@dataclass(frozen=True)
class JinjaChatTemplate:
    """A GGUF ``tokenizer.chat_template``, run as Hugging Face runs it, sandboxed."""

    source: str
    bos_token: str
    eos_token: str
    description: str = "the GGUF's chat template"

    def render(self, messages: Sequence[Message], tools: list[Any] | None) -> str:
        """As ``mfc template check`` renders it (``modelfile.template.chat_jinja``)."""
        return ChatTemplate(self.source, self.bos_token, self.eos_token).render(messages, tools)


def conversation(system: str | None, history: Sequence[Message], new: Sequence[Message]) -> list[Message]:
    """Ollama's chat assembly: the Modelfile's MESSAGEs, then the new messages; the
    SYSTEM prompt first unless the new messages start with their own system message."""
    messages = [*history, *new]
    if system and not (new and new[0].get("role") == "system"):
        messages.insert(0, {"role": "system", "content": system})
    return messages


def fit(
    messages: Sequence[Message],
    prompt_format: PromptFormat,
    count: Callable[[str], int],
    num_ctx: int,
    tools: list[Any] | None = None,
    *,
    truncate: bool = True,
    image_tokens: int = 0,
) -> str:
    """Ollama's ``chatPrompt``: the prompt for the longest tail of ``messages`` that fits
    ``num_ctx`` tokens (``image_tokens`` per image: a model with a projector), with the
    system messages of the dropped part moved to the front, the last message always
    kept, and images tagged ``[img-N]`` in the kept messages."""
    start, kept_system = 0, []
    if truncate:
        for index in range(len(messages)):
            kept_system = [m for m in messages[:index] if m.get("role") == "system"]
            tail = messages[index:]
            needed = count(prompt_format.render([*kept_system, *tail], tools))
            needed += image_tokens * sum(len(m.get("images") or []) for m in tail)
            if needed <= num_ctx or index == len(messages) - 1:
                start = index
                break
    return prompt_format.render([*kept_system, *tag_images(messages[start:])], tools)


def tag_images(messages: Sequence[Message]) -> list[Message]:
    """Number the images of ``messages`` from 0: each one replaces the next ``[img]`` of
    its message's text, or is prefixed as ``[img-N]`` when none is left."""
    tagged, number = [], 0
    for original in messages:
        message = dict(original)
        content, prefix = str(message.get("content") or ""), ""
        for _ in message.get("images") or []:
            tag = f"[img-{number}]"
            if "[img]" in content:
                content = content.replace("[img]", tag, 1)
            else:
                prefix += tag
            number += 1
        if message.get("images"):
            message["content"] = prefix + content
        tagged.append(message)
    return tagged
