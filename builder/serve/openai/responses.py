"""Ollama answers as OpenAI's JSON (ollama-api.md §10.2, §10.4–10.6): a chat completion,
a text completion, an embedding list, the model list and one model.

>>> usage({"prompt_eval_count": 10, "eval_count": 20})
{'prompt_tokens': 10, 'completion_tokens': 20, 'total_tokens': 30}
>>> model_entry("me/m:v1", "2009-02-13T23:31:30Z")
{'id': 'me/m:v1', 'object': 'model', 'created': 1234567890, 'owned_by': 'me'}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from builder.names import parse_bare
from builder.serve.encoding import go_json
from builder.serve.openai.floats import floats_to_base64
from builder.serve.openai.ids import unix_seconds

FINGERPRINT = "fp_ollama"


def usage(line: dict[str, Any]) -> dict[str, int]:
    """``usage`` from an Ollama answer's counts."""
    prompt, completion = int(line.get("prompt_eval_count") or 0), int(line.get("eval_count") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def tool_calls(calls: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI's tool calls for Ollama's: the arguments as compact JSON (keys in order),
    the index from Ollama's ``function.index``."""
    out = []
    for call in calls:
        function = call.get("function") or {}
        arguments = function.get("arguments") or {}
        out.append(
            {
                "id": call.get("id", ""),
                "index": function.get("index", 0),
                "type": "function",
                "function": {"name": function.get("name", ""), "arguments": go_json(arguments).decode("utf-8")},
            }
        )
    return out


def finish_reason(done_reason: str | None, *, tool_called: bool) -> str | None:
    """OpenAI's ``finish_reason``: ``tool_calls`` for a stop after tool calls, else
    Ollama's reason (``None`` when there is none).

    >>> finish_reason("stop", tool_called=True), finish_reason("length", tool_called=True)
    ('tool_calls', 'length')
    """
    if done_reason == "stop" and tool_called:
        return "tool_calls"
    return done_reason or None


def with_logprobs(whole: dict[str, Any], lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``whole`` (the collapsed answer) with the logprobs of all its ``lines``, in order.

    >>> with_logprobs({"done": True}, [{"logprobs": [{"token": "a"}]}, {"logprobs": [{"token": "b"}]}])
    {'done': True, 'logprobs': [{'token': 'a'}, {'token': 'b'}]}
    >>> with_logprobs({"done": True}, [{}])
    {'done': True}
    """
    logprobs = [entry for line in lines for entry in line.get("logprobs") or ()]
    return {**whole, "logprobs": logprobs} if logprobs else whole


def chat_completion(line: dict[str, Any], completion_id: str) -> dict[str, Any]:
    """The ``chat.completion`` object for an ``/api/chat`` answer (``stream: false``)."""
    message = line.get("message") or {}
    out: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
    if message.get("thinking"):
        out["reasoning"] = message["thinking"]
    calls = message.get("tool_calls") or []
    if calls:
        out["tool_calls"] = tool_calls(calls)
    choice: dict[str, Any] = {
        "index": 0,
        "message": out,
        "finish_reason": finish_reason(line.get("done_reason"), tool_called=bool(calls)),
    }
    if line.get("logprobs"):
        choice["logprobs"] = {"content": line["logprobs"]}
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": unix_seconds(line.get("created_at")),
        "model": line.get("model", ""),
        "system_fingerprint": FINGERPRINT,
        "choices": [choice],
        "usage": usage(line),
    }


def text_completion(line: dict[str, Any], completion_id: str) -> dict[str, Any]:
    """The ``text_completion`` object for an ``/api/generate`` answer (``stream: false``)."""
    return {
        "id": completion_id,
        "object": "text_completion",
        "created": unix_seconds(line.get("created_at")),
        "model": line.get("model", ""),
        "system_fingerprint": FINGERPRINT,
        "choices": [{"text": line.get("response", ""), "index": 0, "finish_reason": line.get("done_reason") or None}],
        "usage": usage(line),
    }


def embedding_list(answer: dict[str, Any], model: str, encoding: str) -> dict[str, Any]:
    """The embedding ``list`` for an ``/api/embed`` answer; ``encoding`` ``base64`` sends
    each vector as base64 float32s, anything else as numbers."""
    vectors = answer.get("embeddings") or []
    data = [
        {
            "object": "embedding",
            "embedding": floats_to_base64(vector) if encoding == "base64" else vector,
            "index": index,
        }
        for index, vector in enumerate(vectors)
    ]
    count = int(answer.get("prompt_eval_count") or 0)
    return {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": count, "total_tokens": count}}


def model_entry(name: str, modified_at: str | None) -> dict[str, Any]:
    """One model as OpenAI lists it: ``owned_by`` is the name's namespace."""
    namespace = parse_bare(name)["namespace"] or "library"
    return {"id": name, "object": "model", "created": unix_seconds(modified_at), "owned_by": namespace}


def model_list(tags: dict[str, Any]) -> dict[str, Any]:
    """The model ``list`` for an ``/api/tags`` answer, in its order; an empty store is
    ``"data": []`` (Ollama answers ``null``)."""
    rows = tags.get("models") or []
    return {
        "object": "list",
        "data": [model_entry(row.get("model") or row.get("name", ""), row.get("modified_at")) for row in rows],
    }
