"""Progress events that long operations (build, convert, quantize) report, and the
printer (``builder/cli/progress.py``) shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """``status`` lines as Ollama prints them; with ``total``, a count of bytes (or of
    tensors) done so far."""

    status: str
    total: int = 0
    completed: int = 0
    unit: str = "B"  # what total and completed count: bytes, or tensors


Progress = Callable[[Event], None]
