"""OpenAI request bodies as the Ollama requests that answer them (ollama-api.md §10.1,
§10.4, §10.5): ``chat_request`` (``/v1/chat/completions`` → ``/api/chat``),
``completion_request`` (``/v1/completions`` → ``/api/generate``) and
``embedding_request`` (``/v1/embeddings`` → ``/api/embed``).  Pure functions: what the
request gets wrong is an ``InvalidRequest`` with Ollama's text.

>>> chat_request({"model": "m", "messages": [{"role": "user", "content": "Hi"}]})["options"]
{'temperature': 1.0, 'top_p': 1.0}
>>> chat_request({"model": "m", "messages": [{"role": "user", "content": "Hi"}],
...               "max_tokens": 50, "max_completion_tokens": 20})["options"]["num_predict"]
20
>>> completion_request({"model": "m", "prompt": "Hi", "logprobs": 2})["top_logprobs"]
2
>>> embedding_request({"model": "m", "input": ""})
({'model': 'm', 'input': ['']}, 'float')
"""

from __future__ import annotations

from typing import Any

from builder.serve.encoding import go_quote
from builder.serve.errors import InvalidRequest
from builder.serve.openai.fields import CHAT, COMPLETION, EMBEDDING
from builder.serve.openai.messages import go_type, ollama_messages

#: OpenAI's reasoning efforts → Ollama's ``think``.
EFFORTS: dict[str, bool | str] = {
    "none": False,
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "max": "max",
    "xhigh": "max",
    "ultra": "max",
}
ENCODINGS = ("float", "base64")


def chat_request(body: Any) -> dict[str, Any]:
    """The ``/api/chat`` body for a ``/v1/chat/completions`` body."""
    fields = CHAT.read(body)
    messages = fields.get("messages") or []
    if not messages:
        raise InvalidRequest("[] is too short - 'messages'")
    options: dict[str, Any] = {}
    limit = _limit(fields.get("max_tokens"), fields.get("max_completion_tokens"))
    if limit is not None:
        options["num_predict"] = limit
    for key in ("seed", "frequency_penalty", "presence_penalty"):
        if key in fields:
            options[key] = fields[key]
    stop = fields.get("stop")
    if isinstance(stop, str):
        options["stop"] = [stop]
    elif isinstance(stop, list):
        options["stop"] = [item for item in stop if isinstance(item, str)]
    options["temperature"] = fields.get("temperature", 1.0)
    options["top_p"] = fields.get("top_p", 1.0)
    ollama: dict[str, Any] = {"model": fields.get("model", ""), "messages": ollama_messages(messages)}
    response_format = _format(fields.get("response_format"))
    if response_format is not None:
        ollama["format"] = response_format
    ollama["options"] = options
    ollama["stream"] = fields.get("stream", False)
    if fields.get("tools"):
        ollama["tools"] = fields["tools"]
    think = _think(fields)
    if think is not None:
        ollama["think"] = think
    if fields.get("logprobs"):
        ollama["logprobs"] = True
    if "top_logprobs" in fields:
        ollama["top_logprobs"] = fields["top_logprobs"]
    return ollama


def _limit(max_tokens: int | None, max_completion_tokens: int | None) -> int | None:
    """``num_predict``: ``max_tokens`` or ``max_completion_tokens`` (Ollama reads only the
    first), the smaller when both are given."""
    given = [value for value in (max_tokens, max_completion_tokens) if value is not None]
    return min(given) if given else None


def _format(value: dict[str, Any] | None) -> str | dict[str, Any] | None:
    """``format`` for a ``response_format``: ``json`` or the JSON schema."""
    if value is None:
        return None
    kind = str(value.get("type") or "").lower()
    if kind == "json_object":
        return "json"
    if kind == "json_schema":
        schema = value.get("json_schema")
        if isinstance(schema, dict) and isinstance(schema.get("schema"), dict):
            found: dict[str, Any] = schema["schema"]
            return found
    return None


def _think(fields: dict[str, Any]) -> bool | str | None:
    """``think`` for ``reasoning.effort`` (first) or ``reasoning_effort``."""
    effort = fields.get("reasoning", {}).get("effort") or fields.get("reasoning_effort")
    if effort is None:
        return None
    if not isinstance(effort, str) or effort not in EFFORTS:
        raise InvalidRequest(
            f"invalid reasoning value: {_quoted(effort)} "
            '(must be "minimal", "low", "medium", "high", "xhigh", "ultra", "max", or "none")'
        )
    return EFFORTS[effort]


def _quoted(value: Any) -> str:
    return go_quote(value if isinstance(value, str) else str(value))


def completion_request(body: Any) -> dict[str, Any]:
    """The ``/api/generate`` body for a ``/v1/completions`` body."""
    fields = COMPLETION.read(body)
    options: dict[str, Any] = {
        "frequency_penalty": fields.get("frequency_penalty", 0.0),
        "presence_penalty": fields.get("presence_penalty", 0.0),
        "temperature": fields.get("temperature", 1.0),
        "top_p": fields.get("top_p") or 1.0,
    }
    stop = fields.get("stop")
    if isinstance(stop, str):
        options["stop"] = [stop]
    elif isinstance(stop, list):
        for item in stop:
            if not isinstance(item, str):
                raise InvalidRequest(f"invalid type for 'stop' field: {go_type(item)}")
        options["stop"] = list(stop)
    if "seed" in fields:
        options["seed"] = fields["seed"]
    if "max_tokens" in fields:
        options["num_predict"] = fields["max_tokens"]
    ollama: dict[str, Any] = {"model": fields.get("model", ""), "prompt": fields.get("prompt", "")}
    if fields.get("suffix"):
        ollama["suffix"] = fields["suffix"]
    ollama["options"] = options
    ollama["stream"] = fields.get("stream", False)
    if fields.get("logprobs", 0) > 0:
        ollama["logprobs"] = True
        ollama["top_logprobs"] = fields["logprobs"]
    return ollama


def embedding_request(body: Any) -> tuple[dict[str, Any], str]:
    """The ``/api/embed`` body for a ``/v1/embeddings`` body, and the encoding of the
    answer's vectors (``float`` or ``base64``)."""
    fields = EMBEDDING.read(body)
    encoding = str(fields.get("encoding_format") or "float")
    if encoding.lower() not in ENCODINGS:
        raise InvalidRequest(
            f"Invalid value for 'encoding_format' = {encoding}. Supported values: ['float', 'base64']."
        )
    texts = fields.get("input")
    if texts is None or texts == []:
        raise InvalidRequest("invalid input")
    ollama: dict[str, Any] = {"model": fields.get("model", ""), "input": [""] if texts == "" else texts}
    if "dimensions" in fields:
        ollama["dimensions"] = fields["dimensions"]
    return ollama, encoding.lower()


def include_usage(body: Any) -> bool:
    """Whether a streamed answer ends with a usage chunk (``stream_options.include_usage``).

    >>> include_usage({"stream_options": {"include_usage": True}}), include_usage({})
    (True, False)
    """
    options = body.get("stream_options") if isinstance(body, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True
