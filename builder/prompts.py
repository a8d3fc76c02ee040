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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from modelfile.template import render
from modelfile.template.chat_jinja import ChatTemplate
from modelfile.template.truncation import chat_prompt
from modelfile.template.truncation import tag_images as tag_images

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
    """Ollama's ``chatPrompt`` (``modelfile.template.chat_prompt``) through ``prompt_format``:
    the prompt for the longest tail of ``messages`` that fits ``num_ctx`` tokens
    (``image_tokens`` per image: a model with a projector), with the system messages of
    the dropped part moved to the front, the last message always kept, and images
    tagged ``[img-N]`` in the kept messages."""

    def render(kept: list[Mapping[str, Any]]) -> str:
        return prompt_format.render([dict(m) for m in kept], tools)

    return chat_prompt(messages, render, count, num_ctx, truncate=truncate, image_tokens=image_tokens)
