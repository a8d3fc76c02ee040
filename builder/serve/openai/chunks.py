"""The chunks of a streamed OpenAI answer, made from Ollama's lines one at a time
(ollama-api.md §10.3, §10.4): ``ChatChunks`` for ``/v1/chat/completions``,
``CompletionChunks`` for ``/v1/completions``.  Each ``feed`` returns the payloads of
the server-sent events the line gives: chunk objects, and the text ``[DONE]`` after
the final line.

>>> writer = ChatChunks("chatcmpl-1")
>>> first = writer.feed({"model": "m", "message": {"role": "assistant", "content": "Hi"}, "done": False})
>>> first[0]["choices"][0]["delta"]
{'role': 'assistant', 'content': 'Hi'}
>>> last = writer.feed({"model": "m", "message": {"role": "assistant", "content": ""}, "done": True,
...                     "done_reason": "stop"})
>>> [item if isinstance(item, str) else item["choices"] for item in last]
[[{'index': 0, 'delta': {}, 'finish_reason': 'stop'}], '[DONE]']
"""

from __future__ import annotations

import time
from typing import Any

from builder.serve.openai.ids import unix_seconds
from builder.serve.openai.responses import FINGERPRINT, tool_calls, usage

#: The last event of every OpenAI stream.
DONE = "[DONE]"

Payload = dict[str, Any] | str


def stream_choices(line: dict[str, Any], *, include_role: bool) -> list[dict[str, Any]]:
    """The choices of the content chunks one Ollama chat line gives: one, or two when it
    carries thinking beside content or tool calls (the reasoning first); the line's
    logprobs go on the first.  A chunk that carries reasoning has no ``content``."""
    message = line.get("message") or {}
    thinking = message.get("thinking") or ""
    content = message.get("content") or ""
    calls = message.get("tool_calls") or []
    role = {"role": "assistant"} if include_role else {}
    deltas: list[dict[str, Any]]
    if thinking and (content or calls):
        rest: dict[str, Any] = {"content": content}
        if calls:
            rest["tool_calls"] = tool_calls(calls)
        deltas = [{**role, "reasoning": thinking}, rest]
    elif thinking:
        deltas = [{**role, "reasoning": thinking}]
    else:
        delta: dict[str, Any] = {**role, "content": content}
        if calls:
            delta["tool_calls"] = tool_calls(calls)
        deltas = [delta]
    choices: list[dict[str, Any]] = [{"index": 0, "delta": delta, "finish_reason": None} for delta in deltas]
    if line.get("logprobs"):
        choices[0]["logprobs"] = {"content": line["logprobs"]}
    return choices


def finish_choice(done_reason: str | None, *, tool_call_sent: bool) -> dict[str, Any]:
    """The choice of the finish chunk: an empty delta and the reason (``stop`` when Ollama
    gives none; ``tool_calls`` instead of ``stop`` once a tool call was sent).

    >>> finish_choice("", tool_call_sent=False), finish_choice("stop", tool_call_sent=True)["finish_reason"]
    ({'index': 0, 'delta': {}, 'finish_reason': 'stop'}, 'tool_calls')
    """
    reason = done_reason or "stop"
    if reason == "stop" and tool_call_sent:
        reason = "tool_calls"
    return {"index": 0, "delta": {}, "finish_reason": reason}


class ChatChunks:
    """The ``chat.completion.chunk`` events of one streamed chat answer.

    ``include_usage`` (``stream_options.include_usage``) adds the usage chunk
    (``choices: []``) before ``[DONE]``.  Every chunk carries the ``created`` of the first
    line."""

    def __init__(self, completion_id: str, *, include_usage: bool = False) -> None:
        self.completion_id = completion_id
        self.include_usage = include_usage
        self.created: int | None = None
        self.sent = False
        self.tool_call_sent = False
        self.done = False

    def chunk(self, line: dict[str, Any], choices: list[dict[str, Any]]) -> dict[str, Any]:
        """A chunk object around ``choices``."""
        if self.created is None:
            self.created = unix_seconds(line.get("created_at"))
        return {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": line.get("model", ""),
            "system_fingerprint": FINGERPRINT,
            "choices": choices,
        }

    def feed(self, line: dict[str, Any]) -> list[Payload]:
        """The events of one Ollama chat line."""
        out: list[Payload] = []
        message = line.get("message") or {}
        empty = not (message.get("content") or message.get("thinking") or message.get("tool_calls"))
        if not (line.get("done") and empty and self.sent and not line.get("logprobs")):
            for choice in stream_choices(line, include_role=not self.sent):
                out.append(self.chunk(line, [choice]))
                self.tool_call_sent = self.tool_call_sent or bool(choice["delta"].get("tool_calls"))
            self.sent = True
        if line.get("done"):
            out.append(self.chunk(line, [finish_choice(line.get("done_reason"), tool_call_sent=self.tool_call_sent)]))
            if self.include_usage:
                out.append({**self.chunk(line, []), "usage": usage(line)})
            out.append(DONE)
            self.done = True
        return out


class CompletionChunks:
    """The ``text_completion`` events of one streamed generate answer: a chunk per line
    (``created`` now, ``finish_reason`` on the last); with ``include_usage`` each chunk
    carries a zero ``usage`` and a last chunk (``choices: []``) the real one."""

    def __init__(self, completion_id: str, *, include_usage: bool = False) -> None:
        self.completion_id = completion_id
        self.include_usage = include_usage
        self.done = False

    def chunk(self, line: dict[str, Any], choices: list[dict[str, Any]]) -> dict[str, Any]:
        """A chunk object around ``choices``."""
        chunk: dict[str, Any] = {
            "id": self.completion_id,
            "object": "text_completion",
            "created": int(time.time()),
            "model": line.get("model", ""),
            "system_fingerprint": FINGERPRINT,
            "choices": choices,
        }
        if self.include_usage:
            chunk["usage"] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        return chunk

    def feed(self, line: dict[str, Any]) -> list[Payload]:
        """The events of one Ollama generate line."""
        reason = (line.get("done_reason") or "stop") if line.get("done") else None
        out: list[Payload] = [
            self.chunk(line, [{"text": line.get("response", ""), "index": 0, "finish_reason": reason}])
        ]
        if line.get("done"):
            if self.include_usage:
                out.append({**self.chunk(line, []), "usage": usage(line)})
            out.append(DONE)
            self.done = True
        return out
