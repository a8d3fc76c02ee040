"""Concurrent embedding requests to one model, embedded together: a request that comes
while a batch is running waits for it, then everything that arrived meanwhile goes
into the next call, and each request gets its own vectors back.  No thread of its
own: the first waiting request's thread runs the call.

>>> calls: list[list[str]] = []
>>> def embed(texts: list[str], normalize: bool) -> list[list[float]]:
...     calls.append(texts)
...     return [[float(len(text))] for text in texts]
>>> EmbeddingBatcher(embed).embed(["a", "bcd"], normalize=True), calls
([[1.0], [3.0]], [['a', 'bcd']])
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

Vectors = list[list[float]]


@dataclass
class _Job:
    texts: list[str]
    normalize: bool
    vectors: Vectors | None = None
    error: BaseException | None = None
    done: bool = field(default=False)


class EmbeddingBatcher:
    """Gathers the texts of concurrent ``embed`` calls into calls of ``run(texts, normalize)``."""

    def __init__(self, run: Callable[[list[str], bool], Vectors]) -> None:
        self._run = run
        self._condition = threading.Condition()
        self._pending: list[_Job] = []
        self._running = False
        self.calls = 0  # calls of ``run`` made

    def embed(self, texts: list[str], *, normalize: bool) -> Vectors:
        """The vectors of ``texts``, embedded with whatever else is waiting."""
        job = _Job(list(texts), normalize)
        with self._condition:
            self._pending.append(job)
            while not job.done and self._running:
                self._condition.wait()
            if job.done:
                return self._result(job)
            self._running = True
            jobs, self._pending = self._pending, []
        try:
            for normalize in (True, False):
                self._embed([j for j in jobs if j.normalize is normalize], normalize)
        finally:
            with self._condition:
                self._running = False
                for pending in jobs:
                    pending.done = True
                self._condition.notify_all()
        return self._result(job)

    def _embed(self, jobs: list[_Job], normalize: bool) -> None:
        if not jobs:
            return
        texts = [text for job in jobs for text in job.texts]
        try:
            self.calls += 1
            vectors = self._run(texts, normalize)
        except BaseException as error:  # noqa: BLE001 - raised again in each request's thread
            for job in jobs:
                job.error = error
            return
        start = 0
        for job in jobs:
            job.vectors = vectors[start : start + len(job.texts)]
            start += len(job.texts)

    @staticmethod
    def _result(job: _Job) -> Vectors:
        if job.error is not None:
            raise job.error
        assert job.vectors is not None
        return job.vectors
