"""Turning sampled tokens into streamed text: bytes decoded as UTF-8 only once a
character is complete, and text held back while it could still be the start of a stop
sequence (which, once complete, ends the answer without appearing in it)."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Sequence


class TextStream:
    def __init__(self, stops: Sequence[str], emit: Callable[[str], None] | None = None) -> None:
        self.stops = [s for s in stops if s]
        self.emit = emit
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.text = ""  # everything decoded so far
        self.sent = 0  # how much of it has been emitted
        self.stopped = False

    def feed(self, data: bytes) -> bool:
        """Add a token's bytes; True when a stop sequence has just completed."""
        self.text += self.decoder.decode(data)
        if self._stop_at() is not None:
            self.text = self.text[: self._stop_at()]
            self._send(len(self.text))
            self.stopped = True
            return True
        self._send(len(self.text) - self._pending())
        return False

    def finish(self) -> str:
        """Flush what is held back; the whole answer."""
        if not self.stopped:
            self.text += self.decoder.decode(b"", final=True)
            self._send(len(self.text))
        return self.text

    def _stop_at(self) -> int | None:
        found = [i for i in (self.text.find(stop, max(0, self.sent - len(stop))) for stop in self.stops) if i >= 0]
        return min(found) if found else None

    def _pending(self) -> int:
        """The length of the longest tail of the text that begins a stop sequence."""
        longest = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(self.text)), longest, -1):
                if self.text.endswith(stop[:size]):
                    longest = size
                    break
        return longest

    def _send(self, upto: int) -> None:
        if upto > self.sent:
            if self.emit is not None:
                self.emit(self.text[self.sent : upto])
            self.sent = upto
