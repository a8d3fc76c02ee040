"""The models a server holds loaded: Ollama's scheduler, first sitting.

``LoadedModels.use(name, options=…, keep_alive=…)`` gives a request its ``Runner``:
loaded on first use (in a worker thread), kept afterwards for ``keep_alive``
nanoseconds (the request's, else the server's default, ``OLLAMA_KEEP_ALIVE``), reloaded
when the request's load-time options (``num_ctx`` …, ``run_options.LOAD_OPTIONS``)
differ from those it loaded with, unloaded when the time runs out or a request says
``keep_alive: 0``.  ``ps()`` lists them as ``/api/ps`` does.

Requests to one model share its runner, whose batching engine decodes them together
(``OLLAMA_NUM_PARALLEL`` slots: ``app()``'s loader sets them); ``LoadedModel.turn`` only
lets a reload wait until the requests in flight have ended.

>>> import asyncio
>>> models = LoadedModels(None, loader=lambda store, name, options: FakeRunner(name))
>>> async def demo() -> list[str]:
...     async with models.use("m", keep_alive=0) as runner:
...         inside = [entry["name"] for entry in models.ps()]
...     return inside + [entry["name"] for entry in models.ps()]
>>> asyncio.run(demo())
['m:latest']
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from builder.names import parse_name
from builder.run_options import LOAD_OPTIONS, request_options
from builder.serve.durations import DEFAULT_KEEP_ALIVE, FOREVER
from builder.store import StoreLike, as_store


class Loaded(Protocol):
    """What the registry needs of a loaded model (``builder.Runner`` has it)."""

    name: str

    def close(self) -> None: ...


Loader = Callable[[Any, str, dict[str, Any]], Any]


@dataclass(frozen=True)
class FakeRunner:
    """A stand-in ``Runner`` for examples and tests of the registry alone."""

    name: str

    def close(self) -> None:
        """Nothing to free."""


def _load_runner(store: Any, name: str, options: dict[str, Any]) -> Any:
    from builder.run import Runner

    return Runner(store, name, overrides=options)


def load_options(options: Mapping[str, object] | None) -> dict[str, Any]:
    """The options of a request that are fixed when a model loads (a change reloads it).

    >>> load_options({"num_ctx": 512, "temperature": 0})
    {'num_ctx': 512}
    """
    checked = request_options(options)
    return {key: checked[key] for key in sorted(LOAD_OPTIONS & checked.keys())}


class LoadedModel:
    """One loaded model: its runner, the load-time options it loaded with, the lock
    requests take turns on, and when it expires (``time.time()`` seconds; ``inf``)."""

    def __init__(self, key: str, runner: Any, options: dict[str, Any], keep_alive: int) -> None:
        self.key = key
        self.runner = runner
        self.options = options
        self.turn = asyncio.Condition()  # notified when the last request in flight ends
        self.users = 0
        self.keep_alive = keep_alive
        self.expires = _expiry(keep_alive)
        self.timer: asyncio.TimerHandle | None = None

    def ps_entry(self) -> dict[str, Any]:
        """This model as ``/api/ps`` lists it (Ollama's fields and order)."""
        runner = self.runner
        view = getattr(runner, "view", None)
        size = _file_size(getattr(runner, "model_path", None))
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


class LoadedModels:
    """The server's loaded models (see the module's docstring).  ``keep_alive`` is the
    default in nanoseconds; ``loader(store, name, load_options)`` makes a runner
    (``builder.Runner`` unless given)."""

    def __init__(self, store: StoreLike, *, keep_alive: int = DEFAULT_KEEP_ALIVE, loader: Loader | None = None) -> None:
        self.store = as_store(store)
        self.keep_alive = keep_alive
        self.loader = loader or _load_runner
        self._models: dict[str, LoadedModel] = {}
        self._loading = asyncio.Lock()  # one load at a time, as Ollama does

    @contextlib.asynccontextmanager
    async def use(
        self, name: str, *, options: Mapping[str, object] | None = None, keep_alive: int | None = None
    ) -> AsyncIterator[Any]:
        """The runner for ``name`` while the block runs (shared with the other requests
        in flight); afterwards ``keep_alive`` (else the default) starts counting."""
        wanted = load_options(options)
        entry = await self._entry(name, wanted)
        entry.users += 1
        try:
            yield entry.runner
        finally:
            entry.users -= 1
            if not entry.users:
                async with entry.turn:
                    entry.turn.notify_all()
            entry.keep_alive = self.keep_alive if keep_alive is None else keep_alive
            entry.expires = _expiry(entry.keep_alive)
            if not entry.users:
                await self._idle(entry)

    async def _entry(self, name: str, wanted: dict[str, Any]) -> LoadedModel:
        key = parse_name(name).display()
        async with self._loading:
            entry = self._models.get(key)
            if entry is not None and entry.options != wanted:
                busy = entry
                async with busy.turn:  # wait for the requests in flight, then reload
                    await busy.turn.wait_for(lambda: not busy.users)
                    await self._drop(busy)
                entry = None
            if entry is None:
                runner = await run_in_threadpool(self.loader, self.store, name, wanted)
                entry = LoadedModel(key, runner, wanted, self.keep_alive)
                self._models[key] = entry
            if entry.timer is not None:
                entry.timer.cancel()
                entry.timer = None
            return entry

    async def _idle(self, entry: LoadedModel) -> None:
        if entry.keep_alive <= 0:
            await self._drop(entry)
        elif entry.keep_alive < FOREVER:
            loop = asyncio.get_running_loop()
            entry.timer = loop.call_later(entry.keep_alive / 10**9, self._expire, entry)

    def _expire(self, entry: LoadedModel) -> None:
        if not entry.users and self._models.get(entry.key) is entry:
            asyncio.get_running_loop().create_task(self._drop(entry))

    async def _drop(self, entry: LoadedModel) -> None:
        if self._models.get(entry.key) is entry:
            del self._models[entry.key]
        if entry.timer is not None:
            entry.timer.cancel()
        await run_in_threadpool(entry.runner.close)

    async def unload(self, name: str) -> None:
        """Unload ``name`` now if it is loaded and idle, else when its requests end."""
        entry = self._models.get(parse_name(name).display())
        if entry is None:
            return
        entry.keep_alive = 0
        if not entry.users:
            await self._drop(entry)

    def loaded(self, name: str) -> bool:
        """Whether ``name`` is loaded."""
        return parse_name(name).display() in self._models

    def count(self) -> int:
        """How many models are loaded (``/metrics``)."""
        return len(self._models)

    def ps(self) -> list[dict[str, Any]]:
        """The loaded models as ``/api/ps`` lists them, latest expiry first."""
        entries = sorted(self._models.values(), key=lambda entry: entry.expires, reverse=True)
        return [entry.ps_entry() for entry in entries]

    async def close(self) -> None:
        """Unload everything (the server is shutting down)."""
        for entry in list(self._models.values()):
            await self._drop(entry)
