"""The SHA-256 of a blob being downloaded in parallel ranges, computed while the
download goes on: a thread hashes each range as soon as it and every range before it
are complete (reading them back from the page cache), so that when the last byte
arrives little is left to hash.  Hashing cannot start at a later range (SHA-256 is
sequential), which is why ranges are fetched, and finish, roughly in order.

>>> import os, tempfile, hashlib
>>> handle, name = tempfile.mkstemp()
>>> _ = os.write(handle, b"hello world")
>>> prefix = PrefixHash(handle, [(0, 5), (5, 11)])
>>> prefix.start()
>>> prefix.finished(1); prefix.finished(0)
>>> prefix.result() == "sha256:" + hashlib.sha256(b"hello world").hexdigest()
True
>>> os.close(handle); os.unlink(name)
"""

from __future__ import annotations

import hashlib
import os
import threading

READ = 4 * 2**20


class PrefixHash:
    """Hashes the ranges ``parts`` (start, end) of the open file ``handle`` in order, as
    ``finished`` reports each one complete."""

    def __init__(self, handle: int, parts: list[tuple[int, int]]) -> None:
        self.handle = handle
        self.parts = parts
        self.complete = [False] * len(parts)
        self.hashed = 0  # ranges hashed so far
        self.stopped = False
        self.sha = hashlib.sha256()
        self.condition = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="mfc-prefix-hash", daemon=True)

    def start(self, already: list[bool] | None = None) -> None:
        """Begin; ``already``: the ranges complete before this download started."""
        if already:
            self.complete = list(already)
        self.thread.start()

    def finished(self, index: int) -> None:
        with self.condition:
            self.complete[index] = True
            self.condition.notify()

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            self.condition.notify()

    def result(self) -> str | None:
        """The digest (``sha256:<hex>``) once every range is hashed; ``None`` if stopped."""
        self.thread.join()
        return "sha256:" + self.sha.hexdigest() if self.hashed == len(self.parts) else None

    def _run(self) -> None:
        for index, (start, end) in enumerate(self.parts):
            with self.condition:
                while not self.complete[index] and not self.stopped:
                    self.condition.wait()
                if self.stopped:
                    return
            position = start
            while position < end:
                block = os.pread(self.handle, min(READ, end - position), position)
                if not block:
                    return  # the file is shorter than the plan: leave it to the full check
                self.sha.update(block)
                position += len(block)
            self.hashed = index + 1
