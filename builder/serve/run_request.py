"""An ``/api/generate`` or ``/api/chat`` request, checked as Ollama's handlers check it,
and the runner calls it makes: ``RunRequest.parse`` (the body's fields, typed),
``open_stream`` (capability checks, then ``Runner.stream``) and ``chat_parser`` (the
thinking and tool-call split of ``modelfile.output.ChatStream``).

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
from dataclasses import dataclass, field
from typing import Any

from builder.names import parse_name
from builder.serve.durations import keep_alive_from_json
from builder.serve.encoding import go_quote
from builder.serve.errors import ApiError, InvalidRequest
from builder.show import load
from modelfile.output import ChatStream

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

    @classmethod
    def parse(cls, name: str, body: dict[str, Any], *, chat: bool) -> RunRequest:
        """The request ``body`` (already decoded by ``decoding.GENERATE``/``CHAT``)."""
        if body.get("raw") and (body.get("template") or body.get("system") or body.get("context")):
            raise InvalidRequest("raw mode does not support template, system, or context")
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
        )

    @property
    def empty(self) -> bool:
        """A load or unload request: no prompt (generate), no messages (chat)."""
        return not self.messages if self.chat else not self.prompt


def _message(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidRequest("json: cannot unmarshal into Go struct field ChatRequest.messages of type api.Message")
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


def check_model(store: Any, name: str) -> None:
    """``ModelNotFound`` unless ``name`` is in ``store``."""
    load(store, name)


def open_stream(runner: Any, run: RunRequest) -> Any:
    """The runner's stream for ``run``, after Ollama's capability checks (400s)."""
    runner.require("chat" if run.chat else "generate")
    capabilities = set(runner.capabilities)
    if run.think not in (None, False) and "thinking" not in capabilities:
        raise ApiError(400, f"{go_quote(run.name)} does not support thinking", code="unsupported-capability")
    if run.tools and "tools" not in capabilities:
        raise ApiError(400, f"{parse_name(run.name)} does not support tools", code="unsupported-capability")
    if run.suffix and "insert" not in capabilities:
        raise ApiError(400, f"{parse_name(run.name)} does not support insert", code="unsupported-capability")
    images = run.images or tuple(image for message in run.messages for image in message.get("images") or ())
    if images and "vision" not in capabilities:
        raise ApiError(500, "this model is missing data required for image input", code="unsupported-capability")
    if run.raw or run.template or run.suffix:
        raise ApiError(501, "raw, template and suffix are not served yet", code="not-implemented")
    messages: str | list[dict[str, Any]] = list(run.messages) if run.chat else run.prompt
    return runner.stream(
        messages, options=run.options, tools=list(run.tools) or None, format=run.format, system=run.system
    )


def chat_parser(runner: Any, run: RunRequest, prompt: str) -> ChatStream | None:
    """The parser that splits thinking and tool calls off a chat answer (a Go TEMPLATE
    model's); ``None`` for a model that has none (its content is sent as it comes)."""
    template = runner.view.template
    if template is None:
        return None
    names = [str(tool.get("function", {}).get("name", "")) for tool in run.tools if isinstance(tool, dict)]
    return ChatStream.for_template(template, tools=names, think=run.think, prompt=prompt)
