"""One request in the engine: its prompt and settings, its sampler chain, where it is
(prompt tokens fed, position, last sampled token), the answer so far, and the queue its
chunks go through to the thread that reads them.

The engine's thread calls ``take`` for each sampled token and ``finish`` once; the
reader calls ``get`` (blocking) and may set ``cancelled`` or ``closed`` from any thread.

>>> from builder.streaming import Request
>>> request = Request(model="m", prompt="p", tokens=(1, 2), limit=2, stops=("!",))
>>> sequence = Sequence(request, chain=None)
>>> sequence.take(5, b"Hi", None), sequence.take(6, b"!", None)
(False, True)
>>> sequence.finish("stop")
>>> [type(sequence.get()).__name__ for _ in range(2)], sequence.get() is END
(['TextChunk', 'Done'], True)
"""

from __future__ import annotations

import queue
import threading
import time
from typing import TYPE_CHECKING, Any

from builder.generation import Done, Generation, Logprob, TextChunk
from builder.textstream import TextStream

if TYPE_CHECKING:
    from builder.streaming import Request, Signal

#: What the queue holds after the last chunk (or the error).
END = object()


class Sequence:
    """A request's state while it waits for a slot, decodes, and after (see the module)."""

    def __init__(self, request: Request, chain: Any, *, signal: Signal | None = None) -> None:
        self.request = request
        self.chain = chain  # a LlamaSampler, closed when the sequence ends
        self.signal = signal
        self.cancelled = threading.Event()
        self.closed = threading.Event()
        self.outbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.slot = -1  # the llama.cpp sequence id, once admitted
        self.cached: list[int] = []  # the tokens in its slot's KV cache, in order
        self.last = -1  # the sampled token to feed next
        self.completion: list[int] = []
        self.evaluated = 0  # tokens sampled, end-of-generation included
        self.first = 0  # perf_counter_ns of the first sampled token
        self.ended = False
        self._reason = "length"  # why it ended, once ``take`` says it has
        self._pending: list[Logprob] = []
        self._pieces: list[str] = []
        self._text = TextStream(request.stops, self._pieces.append)

    # ---- the reader's side -----------------------------------------------------------------------

    def get(self) -> object:
        """The next chunk, an exception to raise, or ``END`` (blocks until there is one)."""
        return self.outbox.get()

    # ---- the engine's side -----------------------------------------------------------------------

    @property
    def prefilling(self) -> bool:
        """Whether prompt tokens remain to be fed."""
        return len(self.cached) < len(self.request.tokens)

    def stop_reason(self) -> str | None:
        """``"closed"`` or ``"cancel"`` when the reader wants no more, else ``None``."""
        if self.closed.is_set():
            return "closed"
        if self.cancelled.is_set() or (self.signal is not None and self.signal.is_set()):
            return "cancel"
        return None

    def take(self, token: int, piece: bytes | None, logprob: Logprob | None) -> bool:
        """A sampled token (``piece``: its bytes; ``None`` for end of generation); True
        when the answer is complete (end of generation, a stop string, ``limit``)."""
        self.first = self.first or time.perf_counter_ns()
        self.evaluated += 1
        if piece is None:
            self._reason = "stop"
            return True
        self.completion.append(token)
        if logprob is not None:
            self._pending.append(logprob)
        stopped = self._text.feed(piece)
        self._flush()
        if stopped:
            self._reason = "stop"
            return True
        if len(self.completion) >= self.request.limit:
            self._reason = "length"
            return True
        return False

    def _flush(self) -> None:
        if self._pieces:
            self.outbox.put(TextChunk("".join(self._pieces), tuple(self._pending)))
            self._pieces.clear()
            self._pending = []

    def finish(self, reason: str | None = None) -> None:
        """End the answer: the text held back, then ``Done`` (unless the reader closed it)."""
        if self.ended:
            return
        self.ended = True
        if self.chain is not None:
            self.chain.close()
        reason = reason or self._reason
        response = self._text.finish()
        finished = time.perf_counter_ns()
        self._flush()
        if self._pending:
            self.outbox.put(TextChunk("", tuple(self._pending)))
        request = self.request
        first = self.first or finished
        generation = Generation(
            model=request.model,
            response=response,
            done_reason=reason,
            prompt=request.prompt,
            total_duration=finished - request.started + request.load_duration,
            load_duration=request.load_duration,
            prompt_eval_count=len(request.tokens),
            prompt_eval_duration=first - request.started,
            eval_count=self.evaluated,
            eval_duration=finished - first,
            tokens=list(self.completion),
        )
        self.outbox.put(Done(generation))
        self.outbox.put(END)

    def fail(self, error: BaseException) -> None:
        """End with ``error``, raised in the reader's thread."""
        if self.ended:
            return
        self.ended = True
        if self.chain is not None:
            self.chain.close()
        self.outbox.put(error)
        self.outbox.put(END)
