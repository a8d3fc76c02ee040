"""The lines of ``/api/generate`` and ``/api/chat`` answers, in Ollama's key order
(ollama-api.md §3.3, §4.3), made from the runner's chunks; and their collapse into one
object for ``stream: false``.

>>> line = generate_line("m", "Hi")
>>> list(line), line["done"]
(['model', 'created_at', 'response', 'done'], False)
>>> collapse([generate_line("m", "Hi"), {**generate_line("m", "!"), "done": True}])["response"]
'Hi!'

Log-probabilities (``logprobs: true``) ride on the line that carries their tokens'
text, after ``done``; in a chat answer whose parser holds text back, on the next line
it sends:

>>> from builder.generation import Logprob
>>> list(with_logprobs(generate_line("m", "Hi"), [Logprob("Hi", -0.5, (72, 105))]))
['model', 'created_at', 'response', 'done', 'logprobs']
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from builder.generation import Done, Generation, Logprob, TextChunk
from builder.serve.pump import chunks
from modelfile.output import ChatStream


def now() -> str:
    """``created_at``: RFC 3339 with nanoseconds' worth of digits, as Go writes it."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def generate_line(model: str, text: str) -> dict[str, Any]:
    """A streamed ``/api/generate`` line."""
    return {"model": model, "created_at": now(), "response": text, "done": False}


def chat_line(model: str, message: dict[str, Any]) -> dict[str, Any]:
    """A streamed ``/api/chat`` line."""
    return {"model": model, "created_at": now(), "message": message, "done": False}


def shortcut(model: str, reason: str, *, chat: bool) -> dict[str, Any]:
    """The answer to a load (``reason="load"``) or unload request (empty prompt or messages).

    >>> shortcut("m", "unload", chat=True)["message"], shortcut("m", "load", chat=False)["done_reason"]
    ({'role': 'assistant', 'content': ''}, 'load')
    """
    start = chat_line(model, {"role": "assistant", "content": ""}) if chat else generate_line(model, "")
    return {**start, "done": True, "done_reason": reason}


def debug_answer(model: str, info: dict[str, Any], *, chat: bool) -> dict[str, Any]:
    """The one object of a ``_debug_render_only`` request (streamed or not).

    >>> list(debug_answer("m", {"rendered_template": "x"}, chat=False))
    ['model', 'created_at', 'response', 'done', '_debug_info']
    """
    start = chat_line(model, {"role": "assistant", "content": ""}) if chat else generate_line(model, "")
    return {**start, "_debug_info": info}


def metrics(generation: Generation) -> dict[str, Any]:
    """The final line's counts and timings."""
    return {
        "total_duration": generation.total_duration,
        "load_duration": generation.load_duration,
        "prompt_eval_count": generation.prompt_eval_count,
        "prompt_eval_duration": generation.prompt_eval_duration,
        "eval_count": generation.eval_count,
        "eval_duration": generation.eval_duration,
    }


def with_logprobs(line: dict[str, Any], logprobs: Sequence[Logprob | dict[str, Any]]) -> dict[str, Any]:
    """``line`` with Ollama's ``logprobs`` (if any): last, except on a chat answer's
    final line, where they come before the metrics."""
    if not logprobs:
        return line
    entries = [entry if isinstance(entry, dict) else entry.to_dict() for entry in logprobs]
    if "message" not in line or "total_duration" not in line:
        return {**line, "logprobs": entries}
    out: dict[str, Any] = {}
    for key, value in line.items():
        if key == "total_duration":
            out["logprobs"] = entries
        out[key] = value
    return out


async def generate_lines(
    model: str, stream: Any, *, context: Sequence[int] | None, parser: ChatStream | None = None
) -> AsyncIterator[dict[str, Any]]:
    """The lines of a generate answer; ``context`` (the prompt's tokens) is returned with
    the answer's on the final line unless ``None`` (raw mode).  ``parser``: the model's
    builtin parser, which splits ``thinking`` off the ``response`` (and tool calls that
    complete with the last chunk onto the final line)."""
    pending: list[Logprob] = []  # of text the parser holds back
    async for chunk in chunks(stream):
        if isinstance(chunk, TextChunk):
            pending += chunk.logprobs
            if parser is None:
                yield with_logprobs(generate_line(model, chunk.text), pending)
                pending = []
            elif (parsed := parser.feed(chunk.text)) is not None:
                yield with_logprobs(_parsed_line(model, parsed.content, parsed.thinking), pending)
                pending = []
        elif isinstance(chunk, Done):
            generation = chunk.generation
            start, calls = generate_line(model, ""), []
            if parser is not None and (last := parser.feed("", done=True)) is not None:
                start = _parsed_line(model, last.content, last.thinking)
                calls = [call.to_dict() for call in last.tool_calls]
            final = {**start, "done": True, "done_reason": generation.done_reason}
            if context is not None:
                final["context"] = [*context, *generation.tokens]
            final.update(metrics(generation))
            if calls:  # Ollama's generate keeps only the calls of the done chunk, without ids
                final["tool_calls"] = [{"function": call["function"]} for call in calls]
            yield with_logprobs(final, pending)


def _parsed_line(model: str, response: str, thinking: str) -> dict[str, Any]:
    line = generate_line(model, response)
    return _after(line, "response", "thinking", thinking) if thinking else line


async def chat_lines(model: str, stream: Any, parser: ChatStream | None) -> AsyncIterator[dict[str, Any]]:
    """The lines of a chat answer; ``parser`` splits thinking and tool calls off the
    content (``None``: everything is content)."""
    pending: list[Logprob] = []  # of text the parser holds back
    async for chunk in chunks(stream):
        if isinstance(chunk, TextChunk):
            pending += chunk.logprobs
            if parser is None:
                yield with_logprobs(chat_line(model, {"role": "assistant", "content": chunk.text}), pending)
                pending = []
            elif (line := parser.feed(chunk.text)) is not None:
                yield with_logprobs(chat_line(model, line.message()), pending)
                pending = []
        elif isinstance(chunk, Done):
            message: dict[str, Any] = {"role": "assistant", "content": ""}
            if parser is not None and (last := parser.feed("", done=True)) is not None:
                message = last.message()
            generation = chunk.generation
            final = {**chat_line(model, message), "done": True, "done_reason": generation.done_reason}
            yield with_logprobs({**final, **metrics(generation)}, pending)


def collapse(lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The one object of ``stream: false``: texts and logprobs concatenated, tool calls
    gathered, the rest from the last line."""
    if not lines:
        return {"error": "no response"}
    logprobs = [entry for line in lines for entry in line.get("logprobs", ())]
    last = with_logprobs({key: value for key, value in lines[-1].items() if key != "logprobs"}, logprobs)
    if "response" in last:
        last["response"] = "".join(line.get("response", "") for line in lines)
        thinking = "".join(line.get("thinking", "") for line in lines)
        if thinking:
            last = _after(last, "response", "thinking", thinking)
        return last
    messages = [line["message"] for line in lines if "message" in line]
    message: dict[str, Any] = {"role": "assistant", "content": "".join(m.get("content", "") for m in messages)}
    thinking = "".join(m.get("thinking", "") for m in messages)
    if thinking:
        message["thinking"] = thinking
    calls = [call for m in messages for call in m.get("tool_calls", ())]
    if calls:
        message["tool_calls"] = calls
    last["message"] = message
    return last


def _after(record: dict[str, Any], anchor: str, key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, item in record.items():
        out[name] = item
        if name == anchor:
            out[key] = value
    return out
