"""``POST /api/create`` whose client goes away: the build stops at its next progress
report, streamed or not, and the store is left as it was (builds are atomic).  The
application is driven through ASGI directly, so that the disconnect comes exactly while
the build runs: the real ``builder.create_model``, held at its first report until it is
cancelled."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import asgi
import pytest
from ggufs import write_gguf

import builder
from builder.events import Event, Progress
from builder.serve import app
from builder.serve.streaming import Cancelled
from builder.store import Store


def files_of(store: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(store)): p.read_bytes()
        for p in sorted(store.rglob("*"))
        if p.is_file() and p.name != ".mfc.lock"
    }


async def call_and_go_away(application: Any, body: dict[str, Any], building: threading.Event) -> None:
    """POST ``body`` to ``/api/create``; the client disconnects once the build runs."""

    async def gone() -> None:
        while not building.is_set():
            await asyncio.sleep(0.01)

    await asgi.post(application, "/api/create", body, gone=gone)


@pytest.mark.parametrize("stream", [True, False])
def test_a_client_that_goes_away_cancels_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    write_gguf(tmp_path / "test.gguf", {"general.architecture": "test"})
    (tmp_path / "store").mkdir()
    store = Store(tmp_path / "store")
    digest, _ = store.add_bytes((tmp_path / "test.gguf").read_bytes())
    before = files_of(store.root)
    building = threading.Event()
    ended: list[BaseException | None] = []
    real = builder.create_model

    def held(spec: Any, *, store: Any, progress: Progress) -> Any:
        def report(event: Event) -> None:
            building.set()
            for _ in range(500):  # until the client has gone (the report raises), 10 s at most
                progress(Event("waiting"))
                time.sleep(0.02)
            progress(event)

        try:
            result = real(spec, store=store, progress=report)
        except BaseException as error:
            ended.append(error)
            raise
        ended.append(None)
        return result

    monkeypatch.setattr(builder, "create_model", held)
    body = {"model": "cancelled", "files": {"test.gguf": digest}, "stream": stream}
    asyncio.run(call_and_go_away(app(store=store.root), body, building))
    assert len(ended) == 1 and isinstance(ended[0], Cancelled)  # ended before the answer did
    assert store.find_optional("cancelled") is None
    assert files_of(store.root) == before
