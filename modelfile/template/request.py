"""Ollama's ``/api/generate`` and ``/api/chat`` request bodies, and the prompt their
handlers build from one (``server/routes.go``; ollama-api.md §3.2, §4.2).

``parse_request`` checks a body's keys and types; ``request_prompt`` combines it with
what the model brings (TEMPLATE, SYSTEM, MESSAGEs) exactly as the handler does:

* generate, ``raw``: the prompt verbatim;
* generate with ``suffix``: the template's suffix path (``.Prompt``, ``.Suffix``);
* generate with a request ``template``: that template over
  ``[system] + MESSAGEs + user{prompt}``, no truncation, no image tags;
* generate otherwise: the same messages through ``chatPrompt`` (truncation, ``[img-N]``
  tags) with the model's template and an empty, non-nil tool list;
* chat: the model's MESSAGEs, then the request's; the model's SYSTEM first unless the
  request starts with its own system message; then ``chatPrompt``.

The body decides the kind: ``messages``/``tools`` make a chat request, ``prompt``,
``suffix``, ``system``, ``template``, ``raw``, ``context`` and ``images`` a generate one.
Unlike Ollama's decoder, which ignores unknown keys and matches names in any case, an
unknown or mis-cased key is a ``RequestError`` naming the nearest known key.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from modelfile.errors import RequestError, UnsupportedRequestError
from modelfile.go.fmt import go_quote
from modelfile.template.prompt import execute
from modelfile.template.translate import translate_template
from modelfile.template.truncation import chat_prompt

DEFAULT_TEMPLATE = "{{ .Prompt }}"  # Ollama's template for a model without one
THINK_LEVELS = ("high", "medium", "low", "max")
THINK_CHOICES = '("high", "medium", "low", "max", true, or false)'

# JSON types a key accepts, as named in messages; ``None`` (JSON null) is always
# accepted and means "not given", as Go's decoder leaves the zero value.
STRING, BOOL, OBJECT, ARRAY = "a string", "true or false", "an object", "an array"
INTEGER, NUMBER_OR_STRING = "an integer", "a number or a duration string"

COMMON_KEYS: Mapping[str, str] = {
    "model": STRING,
    "stream": BOOL,
    "format": '"json" or a JSON schema object',
    "keep_alive": NUMBER_OR_STRING,
    "options": OBJECT,
    "think": "true, false or a level",
    "truncate": BOOL,
    "shift": BOOL,
    "logprobs": BOOL,
    "top_logprobs": INTEGER,
    "_debug_render_only": BOOL,
}
GENERATE_KEYS: Mapping[str, str] = {
    "prompt": STRING,
    "suffix": STRING,
    "system": STRING,
    "template": STRING,
    "context": "an array of integers",
    "raw": BOOL,
    "images": "an array of base64 strings",
}
CHAT_KEYS: Mapping[str, str] = {"messages": "an array of messages", "tools": "an array of tools"}
MESSAGE_KEYS: Mapping[str, str] = {
    "role": STRING,
    "content": STRING,
    "thinking": STRING,
    "images": "an array of base64 strings",
    "tool_calls": "an array of tool calls",
    "tool_name": STRING,
    "tool_call_id": STRING,
}


class ChatFormat(Protocol):
    """A prompt builder other than a Go template (a GGUF's Jinja chat template)."""

    def render(self, messages: Sequence[dict[str, Any]], tools: list[Any] | None) -> str: ...


@dataclass(frozen=True)
class Request:
    """A checked request body: its kind (``generate`` or ``chat``) and the fields that
    shape the prompt, with Ollama's defaults for those absent."""

    kind: str
    prompt: str = ""
    suffix: str = ""
    system: str = ""
    template: str = ""
    raw: bool = False
    context: tuple[int, ...] | None = None
    images: tuple[str, ...] = ()
    messages: tuple[dict[str, Any], ...] = ()
    tools: tuple[Any, ...] | None = None
    think: bool | str | None = None
    truncate: bool = True


def parse_request(body: Mapping[str, Any], kind: str | None = None) -> Request:
    """``body`` checked as an ``/api/generate`` or ``/api/chat`` request (``kind``, else
    told apart by its keys).

    >>> parse_request({"prompt": "Why is the sky blue?", "system": "You are terse."}).kind
    'generate'
    >>> parse_request({"Messages": [{"role": "user", "content": "hi"}]})
    Traceback (most recent call last):
      ...
    modelfile.errors.RequestError: unknown key "Messages" in the request body: did you mean "messages"?
    """
    if not isinstance(body, Mapping):
        raise RequestError("the request body must be a JSON object")
    known = {**COMMON_KEYS, **GENERATE_KEYS, **CHAT_KEYS}
    for key in body:
        if key not in known:
            raise RequestError(f"unknown key {go_quote(key)} in the request body{_nearest(key, known)}")
    kind = _kind(body, kind)
    other = CHAT_KEYS if kind == "generate" else GENERATE_KEYS
    for key in body:
        if key in other:
            raise RequestError(f"{go_quote(key)} is not a key of /api/{kind} requests")
    given = {key: value for key, value in body.items() if value is not None}
    for key, value in given.items():
        _check(key, value, known[key])
    messages = tuple(_message(m, f"messages[{i}]") for i, m in enumerate(given.get("messages") or ()))
    think = given.get("think")
    _check_think(think)
    return Request(
        kind=kind,
        prompt=given.get("prompt", ""),
        suffix=given.get("suffix", ""),
        system=given.get("system", ""),
        template=given.get("template", ""),
        raw=given.get("raw", False),
        context=tuple(given["context"]) if "context" in given else None,
        images=tuple(_images(given.get("images") or (), "images")),
        messages=messages,
        tools=tuple(given["tools"]) if "tools" in given else None,
        think=think,
        truncate=given.get("truncate", True),
    )


def _nearest(key: str, known: Collection[str]) -> str:
    exact = [k for k in known if k.lower() == key.lower()]
    close = exact or difflib.get_close_matches(key.lower(), list(known), n=1, cutoff=0.6)
    return f": did you mean {go_quote(close[0])}?" if close else f"; known keys: {', '.join(sorted(known))}"


def _kind(body: Mapping[str, Any], kind: str | None) -> str:
    if kind is not None:
        if kind not in ("generate", "chat"):
            raise RequestError(f"unknown request kind {go_quote(kind)}: expected generate or chat")
        return kind
    chat = sorted(k for k in body if k in CHAT_KEYS)
    generate = sorted(k for k in body if k in GENERATE_KEYS)
    if chat and generate:
        raise RequestError(
            f"the body mixes /api/chat keys ({', '.join(chat)}) with /api/generate keys ({', '.join(generate)})"
        )
    if not chat and not generate:
        raise RequestError("the body has no prompt (/api/generate) and no messages (/api/chat)")
    return "chat" if chat else "generate"


def _check(key: str, value: Any, expected: str) -> None:
    ok = {
        STRING: isinstance(value, str),
        BOOL: isinstance(value, bool),
        OBJECT: isinstance(value, dict),
        INTEGER: isinstance(value, int) and not isinstance(value, bool),
        NUMBER_OR_STRING: isinstance(value, int | float | str) and not isinstance(value, bool),
    }.get(expected)
    if ok is None:  # arrays and the special cases
        if expected.startswith("an array"):
            ok = isinstance(value, list)
            if ok and expected == "an array of integers":
                ok = all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            elif ok and expected in ("an array of messages", "an array of tools", "an array of tool calls"):
                ok = all(isinstance(v, dict) for v in value)
        elif key == "format":
            ok = isinstance(value, str | dict)
        else:
            ok = True  # think: checked by _check_think with Ollama's texts
    if not ok:
        raise RequestError(f"{key}: expected {expected}, got {_json_type(value)}")


def _json_type(value: Any) -> str:
    for kind, name in ((bool, "a boolean"), (str, "a string"), (dict, "an object"), (list, "an array")):
        if isinstance(value, kind):
            return f"{name} ({_short(value)})"
    return f"a number ({value})" if isinstance(value, int | float) else type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_think(think: Any) -> None:
    if think is None or isinstance(think, bool):
        return
    if not isinstance(think, str):
        raise RequestError(f"think must be a boolean or string {THINK_CHOICES}")
    if think not in THINK_LEVELS:
        raise RequestError(f"invalid think value: {go_quote(think)} (must be {THINK_CHOICES[1:-1]})")


def _message(data: Any, where: str) -> dict[str, Any]:
    for key, value in data.items():
        if key not in MESSAGE_KEYS:
            raise RequestError(f"unknown key {go_quote(key)} in {where}{_nearest(key, MESSAGE_KEYS)}")
        if value is not None:
            _check(f"{where}.{key}", value, MESSAGE_KEYS[key])
    message = {key: value for key, value in data.items() if value is not None}
    message["role"] = str(message.get("role", "")).lower()  # Ollama lower-cases roles as it decodes
    if "images" in message:
        message["images"] = _images(message["images"], f"{where}.images")
    return message


def _images(images: Sequence[Any], where: str) -> list[str]:
    for index, image in enumerate(images):
        try:
            if not isinstance(image, str):
                raise ValueError
            base64.b64decode(image, validate=True)
        except (ValueError, binascii.Error):
            raise RequestError(f"{where}[{index}]: expected standard base64 (illegal base64 data)") from None
    return list(images)


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
