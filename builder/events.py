"""Progress events: what long operations (build, convert, convert_lora, quantize, store
copies, hashing) report as they go, for a caller to render: the CLI's bar
(``builder/cli/progress.py``), JSON lines, or a server's streamed statuses.

Every operation takes one ``progress`` callable, ``Progress``, and calls it with an
``Event``: a status line (``parsing GGUF``), or a count of bytes or tensors done so far
under that status (``copying model.gguf`` 100 of 200 bytes).

>>> Event("parsing GGUF").to_dict()
{'status': 'parsing GGUF'}
>>> Event("copying model.gguf", 200, 100).to_dict()
{'status': 'copying model.gguf', 'total': 200, 'completed': 100}
>>> Event("converting model", 30, 3, TENSORS).to_dict()
{'status': 'converting model', 'total': 30, 'completed': 3, 'unit': 'tensors'}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BYTES = "B"
TENSORS = "tensors"


@dataclass(frozen=True)
class Event:
    """A ``status`` line as Ollama prints it; with ``total``, a count of ``unit`` (bytes,
    or tensors) of which ``completed`` are done; ``digest`` names the blob the status is
    about, where there is one (as Ollama's pull and push statuses do)."""

    status: str
    total: int = 0
    completed: int = 0
    unit: str = BYTES
    digest: str = ""

    @property
    def in_bytes(self) -> bool:
        """The count is of bytes (not tensors)."""
        return self.unit == BYTES

    @property
    def finished(self) -> bool:
        """A count that has reached its total."""
        return bool(self.total) and self.completed >= self.total

    def to_dict(self) -> dict[str, object]:
        """Ollama's streamed ``api.ProgressResponse``: ``status``, and ``digest``,
        ``total``, ``completed`` only when set (Go's ``omitempty``); ``unit`` is added
        for counts of something other than bytes (Ollama's clients ignore it)."""
        out: dict[str, object] = {"status": self.status}
        if self.digest:
            out["digest"] = self.digest
        if self.total:
            out["total"] = self.total
        if self.completed:
            out["completed"] = self.completed
        if self.total and self.unit != BYTES:
            out["unit"] = self.unit
        return out


Progress = Callable[[Event], None]
