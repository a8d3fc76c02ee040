"""Server-sent events as OpenAI's clients read them (ollama-api.md §10.3): each event
one ``data: <json>`` line and a blank line, ``text/event-stream``.  A failure after the
first event is one more event whose JSON has ``error`` (OpenAI's error object, which
openai-python raises as an ``APIError``), then ``[DONE]`` for clients that do not
look for errors; Ollama instead ends such a stream with an empty chunk and no
``[DONE]``, which clients take for a normal end.

>>> event({"a": 1}), event("[DONE]")
(b'data: {"a":1}\\n\\n', b'data: [DONE]\\n\\n')
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol

from starlette.responses import StreamingResponse

from builder.serve.encoding import go_json
from builder.serve.errors import status_of
from builder.serve.openai.chunks import DONE, Payload
from builder.serve.openai.errors import error_object, error_text
from modelfile.errors import MfcError

EVENT_STREAM = "text/event-stream"


class Writer(Protocol):
    """What turns Ollama's lines into events (``ChatChunks``, ``CompletionChunks``)."""

    done: bool

    def feed(self, line: dict[str, Any]) -> list[Payload]: ...


def event(payload: Payload) -> bytes:
    """One event: ``data:``, the payload (a JSON object, or a text such as ``[DONE]``), a blank line."""
    data = payload.encode("utf-8") if isinstance(payload, str) else go_json(payload)
    return b"data: " + data + b"\n\n"


async def events(first: dict[str, Any], lines: AsyncIterator[dict[str, Any]], writer: Writer) -> AsyncIterator[bytes]:
    """The events of an answer whose first line (already read, so that an error before it
    kept its status) is ``first`` and the rest ``lines``."""
    async with contextlib.aclosing(lines):  # type: ignore[type-var]
        try:
            for payload in writer.feed(first):
                yield event(payload)
            async for line in lines:
                for payload in writer.feed(line):
                    yield event(payload)
        except MfcError as error:
            yield event(error_object(status_of(error), error_text(error)))
            yield event(DONE)
            return
        except Exception as error:  # noqa: BLE001 - a bug: one error event, not a cut connection
            yield event(error_object(500, f"internal error: {type(error).__name__}: {error}"))
            yield event(DONE)
            return
    if not writer.done:
        yield event(DONE)


def event_stream(first: dict[str, Any], lines: AsyncIterator[dict[str, Any]], writer: Writer) -> StreamingResponse:
    """The streaming response of ``events``."""
    # the type as it is: Starlette would add a charset to a text/* media type
    return StreamingResponse(events(first, lines, writer), headers={"Content-Type": EVENT_STREAM})
