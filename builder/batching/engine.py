"""The decode loop: one thread per loaded model that, step after step, admits waiting
requests into free sequence slots, puts every active sequence's next token (and the
next chunk of prompts being prefilled) into one ``llama_batch``, decodes it, and
samples each sequence with its own chain.

Requests beyond ``parallel`` wait in a FIFO (``waiting``); a request whose reader
cancels or closes it leaves at the next step and its slot is free again.  A slot keeps
the KV cache of its last finished sequence, so that a prompt that starts the same way
(a chat's history) is fed from where they part; a cancelled one's cells are freed.

A sequence's answer does not depend on what else runs: every token's numbers are
computed row by row (a batch's other rows do not change them); each slot has a KV
stream of its own (``unified=False``), whose cells hold its positions in order, so
attention sums over the same cells in the same order as alone; each sequence samples
with its own chain and seed.  (With one KV cache shared by all sequences,
``unified=True``, other sequences' cells sit between a sequence's own and its later
tokens may land in cells freed before its earlier ones; attention, which sums in cell
order, changes in the last bits: on SmolLM2, seeded answers decoded while other
requests came and went differed from the lone ones in 4 tries of 4, with or without
flash attention; with streams, in none.)
"""

from __future__ import annotations

import collections
import threading
from typing import Any

from builder import llama_log
from builder.batching.batch import TokenBatch
from builder.batching.context import multi_sequence_context
from builder.batching.logprobs import logprobs_of
from builder.batching.sequence import Sequence
from builder.errors import RunError

#: Prompt tokens in a step from which it runs with the batch threads: any prompt, as
#: llama.cpp's own server does (on a quiet machine two threads halve a short prompt's
#: time, and with it the time to first token; a step of one new token per sequence keeps
#: the generation threads).
PREFILL_THREADS_FROM = 2


class Engine:
    """Continuous batching over ``llm`` (a ``Llama``) with ``parallel`` slots of
    ``num_ctx`` tokens each (see the module)."""

    def __init__(self, llm: Any, *, parallel: int, num_ctx: int, name: str = "", unified: bool = False) -> None:
        import llama_cpp

        self.llm = llm
        self.name = name
        self.parallel = max(1, parallel)
        self.num_ctx = num_ctx
        self.context = multi_sequence_context(llm, parallel=self.parallel, num_ctx=num_ctx, unified=unified)
        self._memory = llama_cpp.llama_get_memory(self.context.ctx)
        self._vocab = llm._model.vocab
        self._n_vocab = int(llm.n_vocab())
        self._batch = TokenBatch(int(llm.n_batch))
        self._condition = threading.Condition()
        self._waiting: collections.deque[Sequence] = collections.deque()
        self._active: list[Sequence] = []
        self._slots: dict[int, list[int]] = {slot: [] for slot in range(self.parallel)}  # a slot's cached tokens
        self._threads = int(llm.n_threads)
        self._prefill_threads = int(getattr(llm, "n_threads_batch", self._threads))
        self._batch_threads = self._prefill_threads  # what the context uses for a batch now
        self._thread: threading.Thread | None = None
        self._closing = False
        self.steps = 0  # decode steps run
        self.decoded = 0  # tokens decoded, prompts included

    # ---- what callers see ------------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot."""
        return len(self._waiting)

    @property
    def active(self) -> int:
        """Requests holding a slot (prefilling or decoding)."""
        return len(self._active)

    def submit(self, sequence: Sequence) -> None:
        """Queue ``sequence``; its chunks arrive in its outbox."""
        with self._condition:
            if self._closing:
                raise RunError(f"{self.name}: the model was unloaded")
            self._waiting.append(sequence)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"decode {self.name}", daemon=True)
                self._thread.start()
            self._condition.notify()

    def close(self) -> None:
        """Stop the loop; requests still queued or decoding end with an error."""
        with self._condition:
            self._closing = True
            self._condition.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        error = RunError(f"{self.name}: the model was unloaded")
        for sequence in [*self._active, *self._waiting]:
            sequence.fail(error)
        self._active.clear()
        self._waiting.clear()
        self._batch.close()

    # ---- the loop ------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._closing and not self._waiting and not self._active:
                    self._condition.wait()
                if self._closing:
                    return
                self._admit()
            try:
                self._step()
            except Exception as error:  # noqa: BLE001 - every sequence in flight gets it; the loop goes on
                failure = RunError(f"{self.name}: {llama_log.reason(error)}")
                for sequence in list(self._active):
                    self._release(sequence, clear=True)
                    sequence.fail(failure)

    def _admit(self) -> None:
        """Waiting requests that were cancelled end; the first ones take the free slots."""
        for sequence in [s for s in self._waiting if s.stop_reason() is not None]:
            self._waiting.remove(sequence)
            sequence.finish("cancel")
        used = {sequence.slot for sequence in self._active}
        while self._waiting and len(used) < self.parallel:
            sequence = self._waiting.popleft()
            free = [slot for slot in self._slots if slot not in used]
            prompt = sequence.request.tokens
            slot = max(free, key=lambda s: (_common(self._slots[s], prompt), -s))
            keep = min(_common(self._slots[slot], prompt), len(prompt) - 1)
            if not self._remove(slot, keep):
                keep = 0
                self._remove(slot, 0)
            sequence.slot = slot
            sequence.cached = list(prompt[:keep])
            used.add(slot)
            self._active.append(sequence)

    def _step(self) -> None:
        import llama_cpp

        for sequence in list(self._active):
            reason = sequence.stop_reason()
            if reason is not None:
                self._release(sequence, clear=True)
                sequence.finish("cancel")
        batch = self._batch
        batch.clear()
        outputs: list[tuple[Sequence, int]] = []
        for sequence in self._active:
            if not sequence.prefilling:
                index = batch.add(token=sequence.last, pos=len(sequence.cached), seq=sequence.slot, logits=True)
                sequence.cached.append(sequence.last)
                outputs.append((sequence, index))
        generating = len(batch)
        for sequence in self._active:
            if sequence.prefilling and batch.room:
                prompt = sequence.request.tokens
                start = len(sequence.cached)
                end = min(len(prompt), start + batch.room)
                for position in range(start, end):
                    batch.add(
                        token=prompt[position], pos=position, seq=sequence.slot, logits=position == len(prompt) - 1
                    )
                sequence.cached.extend(prompt[start:end])
                if end == len(prompt):
                    outputs.append((sequence, len(batch) - 1))
        if not len(batch):
            return
        self._use_threads(prefilling=len(batch) - generating >= PREFILL_THREADS_FROM)
        code = llama_cpp.llama_decode(self.context.ctx, batch.native)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code}")
        self.steps += 1
        self.decoded += len(batch)
        for sequence, index in outputs:
            self._sample(sequence, index)

    def _use_threads(self, *, prefilling: bool) -> None:
        """Prompts are evaluated with the batch threads (``n_threads_batch``, as llama.cpp
        does); a step of one new token per sequence with the generation threads
        (``n_threads``).  llama.cpp takes any batch of more than one token for a prompt,
        and threads that wait for each other at every operation cost more than they give
        for such steps: on the shared 2-core machine, under load, a step of 4 sequences
        took 6x longer with 2 threads than with 1."""
        import llama_cpp

        wanted = self._prefill_threads if prefilling else self._threads
        if wanted != self._batch_threads:
            llama_cpp.llama_set_n_threads(self.context.ctx, self._threads, wanted)
            self._batch_threads = wanted

    def _sample(self, sequence: Sequence, index: int) -> None:
        import llama_cpp
        import numpy as np

        ctx = self.context.ctx
        token = int(llama_cpp.llama_sampler_sample(sequence.chain.sampler, ctx, index))
        request = sequence.request
        logprob = None
        if request.logprobs:
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, index), shape=(self._n_vocab,))
            logprob = logprobs_of(logits, token, request.top_logprobs, self._piece)
        piece = None if llama_cpp.llama_vocab_is_eog(self._vocab, token) else self._piece(token)
        if sequence.take(token, piece, logprob):
            self._release(sequence)
            sequence.finish()
        else:
            sequence.last = token

    def _piece(self, token: int) -> bytes:
        piece: bytes = self.llm.detokenize([token])
        return piece

    def _release(self, sequence: Sequence, *, clear: bool = False) -> None:
        """Take ``sequence`` out of the batch and free its KV cells (``clear``: a
        cancelled, closed or failed one), else keep them as its slot's cache for a later
        prompt that starts the same way (a chat's next turn), as llama.cpp's server does."""
        if sequence in self._active:
            self._active.remove(sequence)
        if clear:
            self._remove(sequence.slot, 0)
            self._slots[sequence.slot] = []
        else:
            self._slots[sequence.slot] = sequence.cached

    def _remove(self, slot: int, keep: int) -> bool:
        """Free the slot's cells from position ``keep`` on."""
        import llama_cpp

        self._slots[slot] = self._slots[slot][:keep]
        return bool(llama_cpp.llama_memory_seq_rm(self._memory, slot, keep, -1))


def _common(cached: list[int], prompt: tuple[int, ...]) -> int:
    """How many leading tokens ``cached`` and ``prompt`` share.

    >>> _common([1, 2, 3], (1, 2, 4, 5)), _common([], (1,))
    (2, 0)
    """
    count = 0
    for cached_token, token in zip(cached, prompt, strict=False):
        if cached_token != token:
            break
        count += 1
    return count
