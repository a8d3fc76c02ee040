"""Graceful shutdown inside the application (``builder.serve.shutdown``): once the
server is stopping, a streamed answer that would never end (a stand-in runner that
writes until it is cancelled) ends with one last complete line, NDJSON and SSE alike,
its runner is cancelled and its model given back.  Driven through ASGI directly, so
that the stop comes exactly after the first line (tests/test_serve_scheduler_live.py
sends a real SIGTERM to a real ``mfc serve``)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import asgi
import pytest
from serving import tiny_model
from standin import StandIn, StandInRunner

from builder.generation import Chunk, TextChunk
from builder.serve import app
from builder.serve.shutdown import SHUTTING_DOWN


class Endless:
    """A stream that writes ``la`` every 10 ms until it is cancelled."""

    def __init__(self, prompt: str, request: Any) -> None:
        self.prompt = prompt
        self.request = request
        self.result = None
        self.cancelled = False

    def __iter__(self) -> Iterator[Chunk]:
        for _ in range(3000):  # 30 s at most
            if self.cancelled:
                return
            time.sleep(0.01)
            yield TextChunk("la ")

    def cancel(self) -> None:
        self.cancelled = True


STREAMS: list[Endless] = []


class EndlessRunner(StandInRunner):
    def stream(  # type: ignore[override]
        self, messages: str | Sequence[dict[str, Any]], **options: Any
    ) -> Endless:
        scripted = super().stream(messages, **options)
        STREAMS.append(Endless(scripted.prompt, scripted.request))
        return STREAMS[-1]


async def stop_after_the_first_line(application: Any, path: str, body: Mapping[str, Any]) -> list[bytes]:
    """POST ``body`` to ``path``; once the first line of the answer is sent, the server
    begins to stop.  The body's pieces, as sent."""
    pieces: list[bytes] = []

    def seen(piece: bytes) -> None:
        pieces.append(piece)
        if len(pieces) == 1:
            application.state.stopping.set()

    await asgi.post(application, path, body, on_body=seen)
    return pieces


@pytest.fixture
def application(tmp_path: Path) -> Any:
    tiny_model(tmp_path / "m", tmp_path / "store", "m", "", **{"general.architecture": "llama"})
    backend = StandIn()
    return app(store=tmp_path / "store", loader=lambda store, name, o: EndlessRunner(store, name, o, backend))


def test_an_ndjson_stream_ends_with_a_whole_error_line(application: Any) -> None:
    body = {"model": "m", "prompt": "sing"}
    pieces = asyncio.run(stop_after_the_first_line(application, "/api/generate", body))
    lines = b"".join(pieces).decode().splitlines()
    records = [json.loads(line) for line in lines]  # every line whole
    assert records[0]["response"] == "la " and records[-1] == {"error": SHUTTING_DOWN}
    assert all(record.get("done") is False for record in records[:-1])
    assert STREAMS[-1].cancelled  # the runner stopped writing
    asyncio.run(application.state.models.unload("m"))  # unloads now only if no request holds it
    assert application.state.models.count() == 0


def test_an_sse_stream_ends_with_an_error_event_and_done(application: Any) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "sing"}], "stream": True}
    pieces = asyncio.run(stop_after_the_first_line(application, "/v1/chat/completions", body))
    events = [event for event in b"".join(pieces).decode().split("\n\n") if event]
    assert all(event.startswith("data: ") for event in events)
    assert events[-1] == "data: [DONE]"
    last = json.loads(events[-2].removeprefix("data: "))
    assert last == {"error": {"message": SHUTTING_DOWN, "type": "api_error", "param": None, "code": None}}
    assert json.loads(events[0].removeprefix("data: "))["object"] == "chat.completion.chunk"
    assert STREAMS[-1].cancelled
