"""The scheduler's refusals, with Ollama's statuses and texts (ollama-api.md §2.3).

>>> ServerBusy().status, str(ServerBusy())
(503, 'server busy, please try again.  maximum pending requests exceeded')
>>> str(NotEnoughMemory(3 * 2**30, 2**30))
'model requires more system memory (3.0 GiB) than is available (1.0 GiB)'
"""

from __future__ import annotations

from builder.serve.errors import ApiError
from builder.serve.scheduler.memory import human_bytes

#: Ollama's ``ErrMaxQueue`` text (two spaces after the period).
BUSY = "server busy, please try again.  maximum pending requests exceeded"


class ServerBusy(ApiError):
    """Too many requests wait for a model to load (``OLLAMA_MAX_QUEUE``): 503."""

    code = "server-busy"

    def __init__(self) -> None:
        super().__init__(503, BUSY, code="server-busy")


class NotEnoughMemory(ApiError):
    """A model that does not fit in the machine's memory even with nothing else loaded:
    the 500 of Ollama's runner on Linux."""

    code = "not-enough-memory"

    def __init__(self, needed: int, available: int) -> None:
        text = f"model requires more system memory ({human_bytes(needed)}) than is available ({human_bytes(available)})"
        super().__init__(500, text, code="not-enough-memory")
        self.needed = needed
        self.available = available
