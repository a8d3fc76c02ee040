"""An ``/api/generate`` or ``/api/chat`` request, checked as Ollama's handlers check it,
and the runner calls it makes: ``RunRequest.parse`` (the body's fields, typed),
``open_stream`` (capability checks, then ``Runner.stream``) and ``chat_parser`` /
``generate_parser`` (the thinking and tool-call split of ``modelfile.output.ChatStream``).

>>> run = RunRequest.parse("m", {"prompt": "hi", "keep_alive": "1m", "format": "json"}, chat=False)
>>> run.prompt, run.keep_alive, run.format, run.stream, run.empty
('hi', 60000000000, 'json', True, False)
>>> RunRequest.parse("m", {"format": 3}, chat=False)
Traceback (most recent call last):
  ...
builder.serve.errors.ApiError: invalid format: "3"; expected "json" or a valid JSON Schema object
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from builder.names import parse_name
from builder.serve.decoding import MESSAGE, TOOL_CALL, TOOL_CALL_FUNCTION
from builder.serve.durations import keep_alive_from_json
from builder.serve.encoding import go_quote
from builder.serve.errors import ApiError, InvalidRequest
from builder.show import ModelView, capabilities, load
from modelfile.output import ChatStream, filter_think_tags
from modelfile.output.parsers import parser_for_name
from modelfile.template import request_prompt
from modelfile.template.request import DEFAULT_TEMPLATE

#: ``think`` levels Ollama accepts besides true and false.
THINK_LEVELS = ("high", "medium", "low", "max")


@dataclass(frozen=True)
class RunRequest:
    """The fields of a generate (``chat=False``) or chat request that the server uses."""

    name: str
    chat: bool
    prompt: str = ""
    messages: tuple[dict[str, Any], ...] = ()
    system: str | None = None
    stream: bool = True
    raw: bool = False
    format: str | dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    keep_alive: int | None = None
    think: bool | str | None = None
    tools: tuple[dict[str, Any], ...] = ()
    images: tuple[str, ...] = ()
    suffix: str = ""
    template: str = ""
    debug_render_only: bool = False
    logprobs: bool = False
    top_logprobs: int = 0
    body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, name: str, body: dict[str, Any], *, chat: bool) -> RunRequest:
        """The request ``body`` (already decoded by ``decoding.GENERATE``/``CHAT``)."""
        if body.get("raw") and (body.get("template") or body.get("system") or body.get("context")):
            raise InvalidRequest("raw mode does not support template, system, or context")

        top_logprobs = body.get("top_logprobs", 0)
        if isinstance(top_logprobs, int | float) and not 0 <= top_logprobs <= 20:
            raise InvalidRequest("top_logprobs must be between 0 and 20")
        messages = tuple(_message(item) for item in body.get("messages", ()))
        return cls(
            name=name,
            chat=chat,
            prompt=body.get("prompt", ""),
            messages=messages,
            system=body.get("system"),
            stream=body.get("stream", True),
            raw=body.get("raw", False),
            format=_format(body.get("format")),
            options=dict(body.get("options", {})),
            keep_alive=keep_alive_from_json(body.get("keep_alive")),
            think=_think(body.get("think")),
            tools=tuple(body.get("tools", ())),
            images=tuple(str(image) for image in body.get("images", ())),
            suffix=body.get("suffix", ""),
            template=body.get("template", ""),
            debug_render_only=body.get("_debug_render_only", False),
            logprobs=bool(body.get("logprobs", False)),
            top_logprobs=int(top_logprobs) if isinstance(top_logprobs, int | float) else 0,
            body=body,
        )

    @property
    def empty(self) -> bool:
        """A load or unload request: no prompt (generate), no messages (chat)."""
        return not self.messages if self.chat else not self.prompt


def _message(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidRequest("json: cannot unmarshal into Go struct field ChatRequest.messages of type api.Message")
    MESSAGE.check(item)  # the fields' types, as Go decodes an api.Message
    for call in item.get("tool_calls") or ():
        TOOL_CALL_FUNCTION.check(TOOL_CALL.check(call).get("function"))
    return {**item, "role": str(item.get("role", "")).lower(), "content": str(item.get("content") or "")}


def _format(value: Any) -> str | dict[str, Any] | None:
    if value is None or value == "":
        return None
    if value == "json" or isinstance(value, dict):
        return value  # type: ignore[no-any-return]
    raw = value if isinstance(value, str) else json.dumps(value)
    raise ApiError(500, f'invalid format: {go_quote(raw)}; expected "json" or a valid JSON Schema object')


def _think(value: Any) -> bool | str | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value not in THINK_LEVELS:
            raise InvalidRequest(
                f'invalid think value: {go_quote(value)} (must be "high", "medium", "low", "max", true, or false)'
            )
        return value
    raise InvalidRequest('think must be a boolean or string ("high", "medium", "low", "max", true, or false)')


def check_model(store: Any, name: str) -> ModelView:
    """The stored model ``name`` (``ModelNotFound`` unless it is in ``store``)."""
    return load(store, name)


def model_capabilities(store: Any, view: ModelView) -> tuple[str, ...]:
    """What the model can do, as ``/api/show`` lists it."""
    return tuple(capabilities(store, view))


def check_capabilities(run: RunRequest, capabilities: tuple[str, ...]) -> None:
    """Ollama's capability checks, before anything loads (400s with its texts)."""
    if "completion" not in capabilities:
        action = "chat" if run.chat else "generate"
        raise ApiError(400, f"{go_quote(run.name)} does not support {action}", code="unsupported-capability")
    if run.think not in (None, False) and "thinking" not in capabilities:
        raise ApiError(400, f"{go_quote(run.name)} does not support thinking", code="unsupported-capability")
    if run.tools and "tools" not in capabilities:
        raise ApiError(400, f"{parse_name(run.name)} does not support tools", code="unsupported-capability")
    if run.suffix and "insert" not in capabilities:
        raise ApiError(400, f"{parse_name(run.name)} does not support insert", code="unsupported-capability")


def check_images(run: RunRequest, capabilities: tuple[str, ...]) -> None:
    """A text-only model cannot take images: the error of Ollama's runner (500)."""
    images = run.images or tuple(image for message in run.messages for image in message.get("images") or ())
    if images and "vision" not in capabilities:
        raise ApiError(500, "this model is missing data required for image input", code="unsupported-capability")


def render_prompt(view: ModelView, run: RunRequest, capabilities: tuple[str, ...]) -> str:
    """The prompt Ollama builds for ``run`` (``modelfile.template.request_prompt``)."""
    body = {key: value for key, value in run.body.items() if key in _PROMPT_KEYS}
    if run.chat and isinstance(body.get("messages"), list):
        body["messages"] = without_old_thinking(view, run.name, body["messages"])
    return request_prompt(
        body,
        template=view.template or DEFAULT_TEMPLATE,
        system=view.system,
        messages=view.messages,
        kind="chat" if run.chat else "generate",
        model=run.name,
        capabilities=capabilities,
    )


#: The body's fields that shape the prompt.
_PROMPT_KEYS = ("prompt", "suffix", "system", "template", "raw", "images", "messages", "tools", "think", "context")


def debug_info(view: ModelView, run: RunRequest, capabilities: tuple[str, ...]) -> dict[str, Any]:
    """``_debug_info`` of a ``_debug_render_only`` request: the rendered prompt and the
    number of images."""
    images = len(run.images) + sum(len(message.get("images") or ()) for message in run.messages)
    info: dict[str, Any] = {"rendered_template": render_prompt(view, run, capabilities)}
    if images:
        info["image_count"] = images
    return info


def without_old_thinking(view: ModelView, name: str, messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A chat's ``messages`` as Ollama puts them in the prompt: for the qwen3 family and
    deepseek-r1, the assistant turns before the last user turn lose their thinking
    (``modelfile.output.filter_think_tags``).

    >>> from builder.manifest import Config
    >>> view = ModelView(None, Config(model_family="qwen3"), None, None, {}, (), ())
    >>> history = [{"role": "assistant", "content": "<think>hm</think>Hi"}, {"role": "user", "content": "?"}]
    >>> without_old_thinking(view, "m", history)[0]["content"]
    'Hi'
    """
    return filter_think_tags(messages, family=view.config.model_family, model=str(parse_name(name)))


def open_stream(runner: Any, run: RunRequest) -> Any:
    """The runner's stream for ``run``: the model's own prompt path, or the prompt
    rendered here for raw mode, a request's template or a suffix."""
    messages: str | list[dict[str, Any]] = run.prompt
    if run.chat:
        view = getattr(runner, "view", None)  # a stand-in runner may have none
        messages = list(run.messages) if view is None else without_old_thinking(view, run.name, run.messages)
    rendered = None
    if run.raw or run.template or run.suffix:
        rendered = render_prompt(runner.view, run, tuple(runner.capabilities))
    return runner.stream(
        messages,
        options=run.options,
        tools=list(run.tools) or None,
        format=run.format,
        system=run.system,
        rendered=rendered,
        logprobs=run.logprobs,
        top_logprobs=run.top_logprobs,
    )


def chat_parser(runner: Any, run: RunRequest, prompt: str) -> ChatStream | None:
    """The parser that splits thinking and tool calls off a chat answer: the model's
    builtin ``PARSER`` if it names one mfc has, else the one a Go TEMPLATE implies;
    ``None`` for a model that has neither (its content is sent as it comes)."""
    builtin = builtin_parser(runner, run)
    if builtin is not None:
        return builtin
    template = runner.view.template
    if template is None:
        return None
    names = [str(tool.get("function", {}).get("name", "")) for tool in run.tools if isinstance(tool, dict)]
    return ChatStream.for_template(template, tools=names, think=run.think, prompt=prompt)


def generate_parser(runner: Any, run: RunRequest, prompt: str) -> ChatStream | None:
    """The parser of a generate answer (none in raw mode): the model's builtin ``PARSER``,
    else the thinking parser a Go TEMPLATE's think tags imply when thinking is on (Ollama's
    generate splits thinking as chat does, and parses no tool calls); ``None``: the
    answer is sent as it comes."""
    builtin = builtin_parser(runner, run)
    template = getattr(getattr(runner, "view", None), "template", None)
    if builtin is not None or template is None or run.raw:
        return builtin
    thinking = ChatStream.for_template(template, tools=[], think=run.think, prompt=prompt)
    return thinking if thinking.thinking is not None else None


def builtin_parser(runner: Any, run: RunRequest) -> ChatStream | None:
    """The model's builtin ``PARSER`` (Ollama's ``ParserForName``), started as Ollama
    starts it: for chat with the request's tools, last message and ``think``; for
    generate with ``think`` alone (none in raw mode).  ``None`` without one.  An answer
    it cannot parse ends the request with its error (a 500 before the first line)."""
    view = getattr(runner, "view", None)  # a stand-in runner may have none
    parser = parser_for_name(view.config.parser) if view is not None and view.config.parser else None
    if parser is None or (run.raw and not run.chat):
        return None
    if run.chat:
        parser.init(list(run.tools) or None, run.messages[-1] if run.messages else None, run.think)
    else:
        parser.init(None, None, run.think)
    return ChatStream.for_parser(parser)
