"""The prompt Ollama's ``/api/generate`` and ``/api/chat`` handlers build from a
request body (``server/routes.go``; ollama-api.md §3.2, §4.2).

``request_prompt`` combines the body with what the model brings (TEMPLATE, SYSTEM,
MESSAGEs) exactly as the handler does:

* generate, ``raw``: the prompt verbatim;
* generate with ``suffix``: the template's suffix path (``.Prompt``, ``.Suffix``);
* generate with a request ``template``: that template over
  ``[system] + MESSAGEs + user{prompt}``, no truncation, no image tags;
* generate otherwise: the same messages through ``chatPrompt`` (truncation, ``[img-N]``
  tags) with the model's template and an empty, non-nil tool list;
* chat: the model's MESSAGEs, then the request's; the model's SYSTEM first unless the
  request starts with its own system message; then ``chatPrompt``.

The body is checked first (``request_body``): an unknown or mis-cased key is a
``RequestError`` naming the nearest known key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Protocol

from modelfile.errors import RequestError, UnsupportedRequestError
from modelfile.go.fmt import go_quote
from modelfile.template.prompt import execute
from modelfile.template.request_body import Request, parse_request
from modelfile.template.translate import translate_template
from modelfile.template.truncation import chat_prompt

DEFAULT_TEMPLATE = "{{ .Prompt }}"  # Ollama's template for a model without one

__all__ = ["ChatFormat", "Request", "filter_think_tags", "parse_request", "request_prompt", "template_capabilities"]


class ChatFormat(Protocol):
    """A prompt builder other than a Go template (a GGUF's Jinja chat template)."""

    def render(self, messages: Sequence[dict[str, Any]], tools: list[Any] | None) -> str: ...


# ---- the prompt ----------------------------------------------------------------------------


def request_prompt(
    body: Mapping[str, Any],
    *,
    template: str | ChatFormat = DEFAULT_TEMPLATE,
    system: str | None = None,
    messages: Sequence[Mapping[str, Any]] = (),
    kind: str | None = None,
    model: str = "the model",
    capabilities: Collection[str] | None = None,
    count: Callable[[str], int] | None = None,
    num_ctx: int = 0,
    image_tokens: int = 0,
    detokenize: Callable[[Sequence[int]], str] | None = None,
    filter_think: bool = False,
) -> str:
    """The prompt Ollama's ``/api/generate`` or ``/api/chat`` handler builds from
    ``body`` for a model with ``template`` (its Go TEMPLATE, or another ``ChatFormat``),
    ``system`` (its SYSTEM) and ``messages`` (its MESSAGEs).

    ``capabilities`` default to what the template shows (``insert``: ``.Suffix``;
    ``tools``; ``thinking``: ``.Thinking``); ``model`` names the model in refusals.
    ``count`` and ``num_ctx`` cut the conversation to the context as ``chatPrompt`` does
    (without ``count`` nothing is cut); ``detokenize`` turns a deprecated ``context``
    into text; ``filter_think`` strips ``<think>`` from earlier assistant turns (Ollama
    does it for the qwen3 family and deepseek-r1).

    >>> chatml = ("{{ range .Messages }}<|im_start|>{{ .Role }}\\n{{ .Content }}<|im_end|>\\n"
    ...           "{{ end }}<|im_start|>assistant\\n")
    >>> print(request_prompt({"prompt": "Why is the sky blue?", "system": "You are terse."}, template=chatml))
    <|im_start|>system
    You are terse.<|im_end|>
    <|im_start|>user
    Why is the sky blue?<|im_end|>
    <|im_start|>assistant
    <BLANKLINE>
    >>> request_prompt({"messages": [{"role": "user", "content": "Hi"}]}, template="{{ .Prompt }}", system="Be brief.")
    'Hi'
    """
    request = parse_request(body, kind)
    if capabilities is None:
        capabilities = template_capabilities(template)
    if "completion" not in capabilities:  # an embedding model
        raise UnsupportedRequestError(f"{go_quote(model)} does not support {request.kind}")
    think = _think(request, capabilities, model)
    if request.kind == "chat" and request.tools and "tools" not in capabilities:
        raise UnsupportedRequestError(f"{model} does not support tools")
    if request.kind == "chat":
        return _chat(request, template, system, messages, think, count, num_ctx, image_tokens, filter_think)
    if not request.prompt:
        raise RequestError("the body's prompt is empty: Ollama then only loads the model and builds no prompt")
    if request.raw:
        if request.template or request.system or request.context is not None:
            raise RequestError("raw mode does not support template, system, or context")
        return request.prompt
    if request.suffix and "insert" not in capabilities:
        raise UnsupportedRequestError(f"{model} does not support insert")
    prefix = ""
    if request.context is not None:
        if detokenize is None:
            raise RequestError("context (deprecated) holds tokens: turning them into text needs the model's tokenizer")
        prefix = detokenize(request.context)
    return prefix + _generate(request, template, system, messages, think, count, num_ctx, image_tokens)


def template_capabilities(template: str | ChatFormat) -> set[str]:
    """What a model can do as its Go template shows it (Ollama's ``Capabilities``):
    ``insert`` (uses ``.Suffix``), ``tools`` (``.Tools``), ``thinking`` (``.Thinking``).

    >>> sorted(template_capabilities("{{ .Prompt }}{{ if .Suffix }}{{ .Suffix }}{{ end }}"))
    ['completion', 'insert']
    """
    found = {"completion"}
    if isinstance(template, str):
        variables = translate_template(template).variables
        found |= {
            name
            for var, name in (("suffix", "insert"), ("tools", "tools"), ("thinking", "thinking"))
            if var in variables
        }
    return found


def _think(request: Request, capabilities: Collection[str], model: str) -> dict[str, Any]:
    """``think``, ``think_level``, ``is_think_set`` as the template sees them; a thinking
    model thinks unless told not to."""
    think = request.think
    if think is None and "thinking" in capabilities:
        think = True
    if think not in (None, False) and "thinking" not in capabilities:
        raise UnsupportedRequestError(f"{go_quote(model)} does not support thinking")
    level = "medium" if think is True else think if isinstance(think, str) else ""
    return {"think": bool(think), "think_level": level, "is_think_set": think is not None}


def _renderer(
    template: str | ChatFormat, tools: list[Any] | None, think: Mapping[str, Any]
) -> Callable[[list[Mapping[str, Any]]], str]:
    if isinstance(template, str):
        translation = translate_template(template)
        return lambda messages: execute(translation, {"messages": messages, "tools": tools, **think})
    return lambda messages: template.render([dict(m) for m in messages], tools)


def _generate(
    request: Request,
    template: str | ChatFormat,
    system: str | None,
    messages: Sequence[Mapping[str, Any]],
    think: Mapping[str, Any],
    count: Callable[[str], int] | None,
    num_ctx: int,
    image_tokens: int,
) -> str:
    go = request.template or template
    if request.suffix:
        assert isinstance(go, str)  # a suffix needs the insert capability: a Go template
        return execute(translate_template(go), {"prompt": request.prompt, "suffix": request.suffix, **think})
    conversation: list[Mapping[str, Any]] = []
    if request.system or system:
        conversation.append({"role": "system", "content": request.system or system})
    if request.context is None:
        conversation += messages
    user: dict[str, Any] = {"role": "user", "content": request.prompt}
    if request.images:
        user["images"] = list(request.images)
    conversation.append(user)
    if request.template:  # executed directly: no truncation, no image tags
        return execute(translate_template(request.template), {"messages": conversation, **think})
    render = _renderer(template, [], think)
    return chat_prompt(conversation, render, count, num_ctx, truncate=request.truncate, image_tokens=image_tokens)


def _chat(
    request: Request,
    template: str | ChatFormat,
    system: str | None,
    messages: Sequence[Mapping[str, Any]],
    think: Mapping[str, Any],
    count: Callable[[str], int] | None,
    num_ctx: int,
    image_tokens: int,
    filter_think: bool,
) -> str:
    if not request.messages:
        raise RequestError("the body's messages are empty: Ollama then only loads the model and builds no prompt")
    conversation: list[Mapping[str, Any]] = [*messages, *request.messages]
    if system and request.messages[0]["role"] != "system":
        conversation.insert(0, {"role": "system", "content": system})
    if filter_think:
        conversation = filter_think_tags(conversation)
    tools = list(request.tools) if request.tools is not None else None
    render = _renderer(template, tools, think)
    return chat_prompt(conversation, render, count, num_ctx, truncate=request.truncate, image_tokens=image_tokens)


THINK_BLOCK = re.compile(r"<think>.*?</think>\s*", re.DOTALL)


def filter_think_tags(messages: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Ollama's ``filterThinkTags``: ``<think>…</think>`` removed from the assistant
    messages before the last user message.

    >>> filter_think_tags([{"role": "assistant", "content": "<think>hm</think>\\n\\nabc"},
    ...                    {"role": "user", "content": "?"}])[0]["content"]
    'abc'
    """
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    last_user = users[-1] if users else -1
    filtered: list[Mapping[str, Any]] = []
    for index, message in enumerate(messages):
        if index < last_user and message.get("role") == "assistant":
            message = {**message, "content": THINK_BLOCK.sub("", str(message.get("content") or ""))}
        filtered.append(message)
    return filtered
