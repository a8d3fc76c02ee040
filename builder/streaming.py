"""Decoding one request on a loaded model, as an iterator of typed chunks.

A ``GenerationStream`` hands its ``Request`` to the model's batching ``Engine``
(``builder.batching``) when it is first read, then yields the chunks the engine's
thread decodes for it: ``TextChunk``s, then one ``Done``.  Several streams of one
model decode together, each in its own sequence slot; requests beyond the slots wait
in the engine's queue.

A stream stops within one token when it is closed (``close()``, leaving a ``with``
block, or the stream being dropped) or cancelled (``cancel()`` or the
``threading.Event`` the caller passed, from any thread): closed, it ends at once;
cancelled, it still yields its final ``Done`` with ``done_reason`` ``"cancel"``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from builder.batching.sampler import SamplerSettings
from builder.batching.sequence import END, Sequence
from builder.generation import Chunk, Done, Generation


class Signal(Protocol):
    """Anything with ``is_set()``, such as ``threading.Event``."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class Request:
    """A request ready to decode: the rendered prompt and its tokens, and the settings."""

    model: str
    prompt: str
    tokens: tuple[int, ...]
    limit: int  # most tokens to sample
    stops: tuple[str, ...] = ()
    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    grammar: Any = None  # a LlamaGrammar, or None
    logprobs: bool = False
    top_logprobs: int = 0
    started: int = 0  # time.perf_counter_ns() when the request arrived
    load_duration: int = 0

    @property
    def seed(self) -> int:
        return self.sampler.seed


class GenerationStream:
    """The chunks of one answer: ``TextChunk``s, then one ``Done`` (also in ``result``).

    ``engine`` is the model's ``builder.batching.Engine``; ``chain`` the sequence's
    sampler chain (closed when it ends); ``on_end`` runs once the stream has ended."""

    def __init__(
        self,
        engine: Any,
        request: Request,
        chain: Any,
        *,
        cancel: Signal | None = None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self.request = request
        self.prompt = request.prompt
        self._engine = engine
        self._sequence = Sequence(request, chain, signal=cancel)
        self._on_end = on_end
        self._submitted = False
        self._over = False
        self._result: Generation | None = None
        # a stream nobody holds any more leaves the batch at the next step
        weakref.finalize(self, self._sequence.closed.set)

    @property
    def result(self) -> Generation | None:
        """The final record, once the stream has ended (``None`` if it was closed)."""
        return self._result

    def __iter__(self) -> GenerationStream:
        return self

    def __next__(self) -> Chunk:
        if self._over:
            raise StopIteration
        if not self._submitted:
            self._submitted = True
            self._engine.submit(self._sequence)
        item = self._sequence.get()
        if item is END:
            self._end()
            raise StopIteration
        if isinstance(item, BaseException):
            self._end()
            raise item
        if isinstance(item, Done):
            self._result = item.generation
        return item  # type: ignore[return-value]

    def __enter__(self) -> GenerationStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop now; the sequence leaves the batch at the next step."""
        self._sequence.closed.set()
        if not self._submitted:
            self._sequence.finish("cancel")
        self._end()

    def cancel(self) -> None:
        """Stop after the current token, from any thread; the stream still ends with ``Done``."""
        self._sequence.cancelled.set()

    def _end(self) -> None:
        if not self._over:
            self._over = True
            if self._on_end is not None:
                self._on_end()
