"""One model the server holds loaded (``LoadedModel``), and how ``/api/ps`` shows it
(ollama-api.md §8.3: Ollama's fields and order, ``size_vram`` 0 on a CPU,
``expires_at`` now + keep-alive while requests hold it).

>>> entry = LoadedModel("m:latest", None, {}, keep_alive=60 * 10**9, size=1234)
>>> shown = entry.ps_entry()
>>> list(shown), shown["size"]
(['name', 'model', 'size', 'digest', 'details', 'expires_at', 'size_vram', 'context_length'], 1234)
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from builder.serve.durations import FOREVER


class LoadedModel:
    """One loaded model: its runner, the load-time options it loaded with, how many
    requests hold it (``users``), whether it takes no more (``retiring``: it unloads
    when ``users`` drops to 0), its size in bytes, and when it expires
    (``time.time()`` seconds; ``inf``).  ``gone`` is set once it is unloaded."""

    def __init__(self, key: str, runner: Any, options: dict[str, Any], keep_alive: int, size: int = 0) -> None:
        self.key = key
        self.runner = runner
        self.options = options
        self.users = 0
        self.retiring = False
        self.size = size
        self.keep_alive = keep_alive
        self.expires = _expiry(keep_alive)
        self.timer: asyncio.TimerHandle | None = None
        self.gone = asyncio.Event()

    def keep_for(self, keep_alive: int) -> None:
        """Stay loaded ``keep_alive`` nanoseconds from now (once idle)."""
        self.keep_alive = keep_alive
        self.expires = _expiry(keep_alive)

    def ps_entry(self) -> dict[str, Any]:
        """This model as ``/api/ps`` lists it (Ollama's fields and order)."""
        runner = self.runner
        view = getattr(runner, "view", None)
        size = self.size or _file_size(getattr(runner, "model_path", None))
        expires = min(self.expires if not self.users else _expiry(self.keep_alive), _FAR)
        return {
            "name": self.key,
            "model": self.key,
            "size": size,
            "digest": view.model.digest if view is not None else "",
            "details": _details(view),
            "expires_at": datetime.fromtimestamp(expires, UTC).astimezone().isoformat(),
            "size_vram": 0,
            "context_length": int(getattr(runner, "num_ctx", 0)),
        }


#: The latest ``expires_at`` shown (FOREVER is about 292 years ahead, as in Ollama).
_FAR = time.time() + FOREVER / 10**9


def _expiry(keep_alive: int) -> float:
    return float("inf") if keep_alive >= FOREVER else time.time() + keep_alive / 10**9


def _file_size(path: Any) -> int:
    try:
        return int(path.stat().st_size) if path is not None else 0
    except OSError:
        return 0


def _details(view: Any) -> dict[str, Any]:
    from builder.show import details_of

    return details_of(view.model, view.config) if view is not None else {}
