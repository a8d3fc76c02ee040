"""A blocking ``GenerationStream`` read from the event loop: a worker thread decodes and
hands each chunk over; when the reader stops early (the client went away, the server
stops) the stream is cancelled, and the reader waits for the thread to let go of the
model before the request's turn ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anyio

from builder.generation import Chunk

_END = object()


async def chunks(stream: Any) -> AsyncIterator[Chunk]:
    """The chunks of ``stream`` (a ``GenerationStream``), decoded in a worker thread.

    >>> async def first(items: list[int]) -> list[Chunk]:
    ...     return [chunk async for chunk in chunks(_Listed(items))]
    >>> asyncio.run(first([1, 2]))
    [1, 2]
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()

    def pump() -> None:
        try:
            for chunk in stream:
                loop.call_soon_threadsafe(queue.put_nowait, chunk)
        except BaseException as error:  # noqa: BLE001 - handed to the reader, which raises it
            loop.call_soon_threadsafe(queue.put_nowait, error)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, _END)

    worker = loop.run_in_executor(None, pump)
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stream.cancel()
        with anyio.CancelScope(shield=True):
            await worker


class _Listed:
    """A stand-in stream for the example."""

    def __init__(self, items: list[Any]) -> None:
        self.items = iter(items)

    def __iter__(self) -> _Listed:
        return self

    def __next__(self) -> Any:
        return next(self.items)

    def cancel(self) -> None:
        """Nothing to stop."""
