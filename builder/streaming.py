"""Decoding one request on a loaded model, as an iterator of typed chunks.

A llama.cpp context decodes one sequence at a time, so each loaded model has one
``Slot``: a stream holds it from its first chunk to its end.  Requests from other
threads wait their turn; a new request on the thread that left a stream unfinished
(neither exhausted nor closed) closes that stream first, so an abandoned iterator
never blocks its own thread.

A stream stops within one token when it is closed (``close()``, leaving a ``with``
block, or the iterator being dropped) or cancelled (``cancel()`` or the
``threading.Event`` the caller passed, from any thread): closed, it ends at once;
cancelled, it still yields its final ``Done`` with ``done_reason`` ``"cancel"``.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from builder import llama_log
from builder.errors import RunError
from builder.generation import Chunk, Done, Generation, TextChunk
from builder.textstream import TextStream


class Signal(Protocol):
    """Anything with ``is_set()``, such as ``threading.Event``."""

    def is_set(self) -> bool: ...


class Slot:
    """Exclusive use of one llama.cpp context, by one ``Turn`` at a time."""

    def __init__(self) -> None:
        self._condition = threading.Condition()  # re-entrant: closing a stream releases inside acquire
        self._owner: Turn | None = None
        self._thread: threading.Thread | None = None

    def acquire(self, turn: Turn) -> None:
        """Wait until the slot is free; an unfinished stream of this same thread is closed."""
        with self._condition:
            while self._owner is not None and self._owner is not turn:
                if self._thread is threading.current_thread():
                    self._owner.abandon()
                else:
                    self._condition.wait()
            self._owner, self._thread = turn, threading.current_thread()

    def release(self, turn: Turn) -> None:
        with self._condition:
            if self._owner is turn:
                self._owner, self._thread = None, None
                self._condition.notify_all()


class Turn:
    """One request's claim on the slot, and what its decoding shares with its stream:
    the cancel flags and, at the end, the result.  It refers to the decoding generator
    only weakly, so that a stream nobody holds any more is closed at once (and frees
    the slot) instead of waiting for the garbage collector."""

    def __init__(self, signal: Signal | None = None) -> None:
        self.cancelled = threading.Event()
        self.signal = signal
        self.result: Generation | None = None
        self.generator: Callable[[], Generator[Chunk, None, None] | None] = lambda: None

    def stopped(self) -> bool:
        return self.cancelled.is_set() or (self.signal is not None and self.signal.is_set())

    def abandon(self) -> None:
        """Close the decoding (its ``finally`` releases the slot)."""
        generator = self.generator()
        if generator is not None:
            generator.close()


@dataclass(frozen=True)
class Request:
    """A request ready to decode: the rendered prompt and its tokens, and the settings."""

    model: str
    prompt: str
    tokens: tuple[int, ...]
    limit: int  # most tokens to sample
    stops: tuple[str, ...]
    seed: int  # -1: llama.cpp draws one
    sampling: dict[str, Any]  # keyword arguments of Llama.generate
    grammar: Any  # a LlamaGrammar, or None
    started: int  # time.perf_counter_ns() when the request arrived
    load_duration: int


class GenerationStream:
    """The chunks of one answer: ``TextChunk``s, then one ``Done`` (also in ``result``)."""

    def __init__(
        self,
        llm: Any,
        slot: Slot,
        request: Request,
        *,
        cancel: Signal | None = None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self.request = request
        self.prompt = request.prompt
        self._turn = Turn(cancel)
        self._chunks = _decode(llm, slot, request, self._turn, on_end)
        self._turn.generator = weakref.ref(self._chunks)

    @property
    def result(self) -> Generation | None:
        """The final record, once the stream has ended (``None`` if it was closed)."""
        return self._turn.result

    def __iter__(self) -> GenerationStream:
        return self

    def __next__(self) -> Chunk:
        return next(self._chunks)

    def __enter__(self) -> GenerationStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop now and free the model for the next request (from the consuming thread)."""
        self._chunks.close()

    def cancel(self) -> None:
        """Stop after the current token, from any thread; the stream still ends with ``Done``."""
        self._turn.cancelled.set()


def _decode(
    llm: Any, slot: Slot, request: Request, turn: Turn, on_end: Callable[[], None] | None
) -> Generator[Chunk, None, None]:
    slot.acquire(turn)
    pieces: list[str] = []
    text = TextStream(request.stops, pieces.append)
    completion: list[int] = []
    reason, first, evaluated = "length", 0, 0
    tokens = None
    try:
        if turn.stopped():
            reason = "cancel"
        else:
            llm.set_seed(request.seed)
            tokens = llm.generate(list(request.tokens), grammar=request.grammar, **request.sampling)
            end_of_generation = _end_of_generation(llm)
            try:
                for token in tokens:
                    first = first or time.perf_counter_ns()
                    evaluated += 1
                    if end_of_generation(token):
                        reason = "stop"
                        break
                    completion.append(token)
                    stopped = text.feed(llm.detokenize([token]))
                    if pieces:
                        yield TextChunk("".join(pieces))
                        pieces.clear()
                    if stopped:
                        reason = "stop"
                        break
                    if len(completion) >= request.limit:
                        break
                    if turn.stopped():
                        reason = "cancel"
                        break
            except (ValueError, RuntimeError) as error:
                raise RunError(f"{request.model}: {llama_log.reason(error)}") from None
        response = text.finish()
        finished = time.perf_counter_ns()
    finally:
        if tokens is not None:
            tokens.close()
        slot.release(turn)
        if on_end is not None:
            on_end()
    if pieces:
        yield TextChunk("".join(pieces))
    first = first or finished
    turn.result = Generation(
        model=request.model,
        response=response,
        done_reason=reason,
        prompt=request.prompt,
        total_duration=finished - request.started + request.load_duration,
        load_duration=request.load_duration,
        prompt_eval_count=len(request.tokens),
        prompt_eval_duration=first - request.started,
        eval_count=evaluated,
        eval_duration=finished - first,
        tokens=completion,
    )
    yield Done(turn.result)


def _end_of_generation(llm: Any) -> Callable[[int], bool]:
    """llama.cpp's end-of-generation test for this model's vocabulary."""
    import llama_cpp

    vocab = llm._model.vocab

    def test(token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(vocab, token))

    return test
