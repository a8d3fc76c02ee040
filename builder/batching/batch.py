"""One ``llama_batch``: the tokens decoded together in a step, each with its position,
its sequence and whether its logits are wanted."""

from __future__ import annotations

from typing import Any


class TokenBatch:
    """A ``llama_batch`` of up to ``capacity`` tokens, one sequence id per token.

    >>> batch = TokenBatch(4)
    >>> batch.add(token=7, pos=0, seq=1, logits=True), batch.add(token=8, pos=5, seq=0, logits=False)
    (0, 1)
    >>> len(batch), batch.room
    (2, 2)
    >>> batch.clear(); len(batch)
    0
    >>> batch.close()
    """

    def __init__(self, capacity: int) -> None:
        import llama_cpp

        self.capacity = capacity
        self._batch: Any = llama_cpp.llama_batch_init(capacity, 0, 1)

    def __len__(self) -> int:
        return int(self._batch.n_tokens)

    @property
    def room(self) -> int:
        """How many more tokens fit."""
        return self.capacity - len(self)

    def add(self, *, token: int, pos: int, seq: int, logits: bool) -> int:
        """Append a token; its index in the batch (where its logits are read)."""
        index = len(self)
        batch = self._batch
        batch.token[index] = token
        batch.pos[index] = pos
        batch.n_seq_id[index] = 1
        batch.seq_id[index][0] = seq
        batch.logits[index] = logits
        batch.n_tokens = index + 1
        return index

    def clear(self) -> None:
        self._batch.n_tokens = 0

    @property
    def native(self) -> Any:
        """The ``llama_batch`` struct, for ``llama_decode``."""
        return self._batch

    def close(self) -> None:
        """Free the native batch (once)."""
        if self._batch is not None:
            import llama_cpp

            llama_cpp.llama_batch_free(self._batch)
            self._batch = None
