"""The models a server holds loaded: Ollama's scheduler (ollama-api.md §6.3, §8.3, §11.4).

``LoadedModels.use(name, options=…, keep_alive=…)`` gives a request its ``Runner``:
loaded on first use (in a worker thread), kept afterwards for ``keep_alive``
nanoseconds (the request's, else the server's default, ``OLLAMA_KEEP_ALIVE``), reloaded
when the request's load-time options (``num_ctx`` …, ``run_options.LOAD_OPTIONS``)
differ from those it loaded with, unloaded when the time runs out or a request says
``keep_alive: 0``.  ``ps()`` lists them as ``/api/ps`` does.

The rules, Ollama's:

* A request for a loaded model with the same load-time options takes it at once (it
  does not queue).  Every other request queues for a load: at most ``max_queue``
  wait beside the one being served (``OLLAMA_MAX_QUEUE``); one more is refused with
  ``ServerBusy`` (503 ``server busy, please try again.  maximum pending requests
  exceeded``).  ``queue_depth()`` is how many wait now.
* One load at a time.  Waiting for a model's requests to end (before a reload, or to
  evict it) is not a load: the load lock is let go meanwhile, so other models load.
  A model waited for takes no new requests (they queue); it unloads as its last request
  ends.  ``users`` counts the requests holding a model: the truth of "in flight",
  whatever the runner does with them inside (slots, batching).
* At most ``max_loaded`` models (``OLLAMA_MAX_LOADED_MODELS``): at the limit, the idle
  model with the shortest keep-alive is unloaded, else the busy one with the shortest
  when its requests end (``scheduler.eviction``).
* Memory: a model needs its GGUF file plus its KV cache for its ``num_ctx``
  (``scheduler.memory``); when that is more than the machine has available
  (``MemAvailable`` + ``SwapFree``), idle models are unloaded (shortest keep-alive
  first), then busy ones as their requests end.  When it still does not fit with
  nothing else loaded, the request fails with ``NotEnoughMemory`` (500 ``model requires
  more system memory (…) than is available (…)``): that is what Ollama does on Linux
  without a GPU (it refuses rather than load into swap-thrashing; only macOS loads
  anyway), so mfc refuses too.
* A load that fails leaves nothing registered; the next request tries again.
* Requests to one model share its runner, whose batching engine decodes them together
  (``OLLAMA_NUM_PARALLEL`` slots: ``app()``'s loader sets them); nothing here makes them
  take turns.

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
import hashlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import anyio
from starlette.concurrency import run_in_threadpool

from builder.names import parse_name
from builder.run_options import LOAD_OPTIONS, request_options
from builder.serve.durations import DEFAULT_KEEP_ALIVE, FOREVER
from builder.serve.scheduler import (
    NotEnoughMemory,
    ServerBusy,
    available_bytes,
    model_bytes,
    stored_model_bytes,
    victim,
)
from builder.serve.scheduler.loaded_model import LoadedModel
from builder.store import StoreLike, as_store


class Loaded(Protocol):
    """What the registry needs of a loaded model (``builder.Runner`` has it)."""

    name: str

    def close(self) -> None: ...


Loader = Callable[[Any, str, dict[str, Any]], Any]
#: ``sizer(store, name, load_options)``: the bytes the model needs loaded.
Sizer = Callable[[Any, str, dict[str, Any]], int]
#: The bytes the machine has available now; ``None`` when unknown (nothing is checked).
Memory = Callable[[], int | None]


@dataclass(frozen=True)
class FakeRunner:
    """A stand-in ``Runner`` for examples and tests of the registry alone."""

    name: str

    def close(self) -> None:
        """Nothing to free."""


def runner_loader(context_length: int = 0, *, parallel: int = 1) -> Loader:
    """The loader of ``builder.Runner``s, with ``context_length`` as the default
    ``num_ctx`` (``OLLAMA_CONTEXT_LENGTH``; 0: mfc's default, ``run_options.DEFAULT_NUM_CTX``)
    and ``parallel`` sequence slots (``OLLAMA_NUM_PARALLEL``).

    >>> callable(runner_loader(8192, parallel=4))
    True
    """

    def load_runner(store: Any, name: str, options: dict[str, Any]) -> Any:
        from builder.run import Runner

        return Runner(store, name, overrides=options, default_num_ctx=context_length, parallel=parallel)

    return load_runner


def load_options(options: Mapping[str, object] | None) -> dict[str, Any]:
    """The options of a request that are fixed when a model loads (a change reloads it).

    >>> load_options({"num_ctx": 512, "temperature": 0})
    {'num_ctx': 512}
    """
    checked = request_options(options)
    return {key: checked[key] for key in sorted(LOAD_OPTIONS & checked.keys())}


class LoadedModels:
    """The server's loaded models (see the module's docstring).  ``keep_alive`` is the
    default in nanoseconds; ``loader(store, name, load_options)`` makes a runner
    (``builder.Runner`` unless given); ``max_loaded`` and ``max_queue`` are the limits;
    ``sizer`` and ``memory`` measure a model and the machine (the GGUF file and KV cache,
    ``/proc/meminfo``, unless given)."""

    def __init__(
        self,
        store: StoreLike,
        *,
        keep_alive: int = DEFAULT_KEEP_ALIVE,
        loader: Loader | None = None,
        max_loaded: int = 3,
        max_queue: int = 512,
        sizer: Sizer | None = None,
        memory: Memory | None = None,
    ) -> None:
        self.store = as_store(store)
        self.keep_alive = keep_alive
        self.loader = loader or runner_loader()
        self.max_loaded = max(max_loaded, 1)
        self.max_queue = max(max_queue, 0)
        self.sizer = sizer or stored_model_bytes
        self.memory = memory or available_bytes
        self._models: dict[str, LoadedModel] = {}
        self._loading = asyncio.Lock()  # one load at a time, as Ollama does
        self._pending = 0
        self._closing: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def use(
        self, name: str, *, options: Mapping[str, object] | None = None, keep_alive: int | None = None
    ) -> AsyncIterator[Any]:
        """The runner for ``name`` while the block runs (shared with the other requests
        in flight).  ``keep_alive`` (else the default) becomes the model's as the request
        starts (a later request's, or an unload, replaces it) and counts once the model is
        idle.  ``ServerBusy`` when the load queue is full."""
        wanted = load_options(options)
        key = parse_name(name).display()
        entry = self._take(key, wanted) or await self._queued(name, key, wanted)
        entry.keep_alive = self.keep_alive if keep_alive is None else keep_alive
        try:
            yield entry.runner
        finally:
            entry.users -= 1
            entry.keep_for(entry.keep_alive)
            if not entry.users:
                with anyio.CancelScope(shield=True):  # a cancelled request still lets its model go
                    await self._idle(entry)

    def _take(self, key: str, wanted: dict[str, Any]) -> LoadedModel | None:
        """The loaded model ``key`` if it serves ``wanted`` and takes requests, counted
        as used (no ``await`` between the check and the count: nothing can unload it)."""
        entry = self._models.get(key)
        if entry is None or entry.retiring or entry.options != wanted or self._rebuilt(entry):
            return None
        entry.users += 1
        if entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None
        return entry

    def _rebuilt(self, entry: LoadedModel) -> bool:
        """Whether the store now holds another manifest under the model's name (it was
        rebuilt or pulled again since it loaded): then it is loaded again, as Ollama, which
        keys loaded models by their files, does."""
        model = getattr(getattr(entry.runner, "view", None), "model", None)
        path, loaded = getattr(model, "path", None), getattr(model, "digest", None)
        if not isinstance(path, Path) or not isinstance(loaded, str):
            return False
        try:  # the manifest it loaded from: one small read per request, not a walk of the store
            return hashlib.sha256(path.read_bytes()).hexdigest() != loaded
        except OSError:  # gone (removed, or rebuilt under another casing): look the name up
            current = self.store.find_optional(entry.key)
            return current is not None and current.digest != loaded

    async def _queued(self, name: str, key: str, wanted: dict[str, Any]) -> LoadedModel:
        """Wait in the load queue, then load ``name`` (or find it loaded meanwhile)."""
        if self._pending > self.max_queue:
            raise ServerBusy
        self._pending += 1
        size: int | None = None
        try:
            while True:
                async with self._loading:  # first come, first served
                    entry = self._take(key, wanted)
                    if entry is not None:
                        return entry
                    if size is None:
                        size = await run_in_threadpool(self.sizer, self.store, name, wanted)
                    blocker = await self._make_room(key, size)
                    if blocker is None:
                        return await self._load(name, key, wanted, size)
                await blocker.gone.wait()  # outside the lock: other models load meanwhile
        finally:
            self._pending -= 1

    async def _make_room(self, key: str, size: int) -> LoadedModel | None:
        """Unload what must go before ``key`` loads (``size`` bytes): its version loaded
        with other options, then models over the limit, then models for memory.  A busy model
        that must go is retired and returned, to be waited for; ``None``: go ahead."""
        old = self._models.get(key)
        if old is not None:  # loaded with other options (or retiring): reload
            if old.users or old.retiring:
                return self._retire(old)
            await self._unload(old)
        while len(self._models) >= self.max_loaded:
            going = self._evict()
            if going is not None:
                return going
        return await self._fit(size)

    def _evict(self) -> LoadedModel | None:
        """Make one step of room: a model already retiring is waited for; else Ollama's
        choice unloads an idle model now (``None``) or retires a busy one (returned)."""
        retiring = [entry for entry in self._models.values() if entry.retiring]
        if retiring:
            return retiring[0]
        chosen = victim(self._models.values())
        assert chosen is not None  # called with models loaded
        if chosen.users:
            return self._retire(chosen)
        self._forget(chosen)
        self._close_soon(chosen)
        return None

    async def _fit(self, needed: int) -> LoadedModel | None:
        """Unload models until ``needed`` bytes fit in memory; ``NotEnoughMemory`` when
        they do not with nothing else loaded."""
        await self._settled()
        while True:
            available = await run_in_threadpool(self.memory)
            if available is None or needed <= available:
                return None
            if not self._models:
                raise NotEnoughMemory(needed, available)
            going = self._evict()
            if going is not None:
                return going
            await self._settled()

    async def _load(self, name: str, key: str, wanted: dict[str, Any], size: int) -> LoadedModel:
        """Load ``name``; if the request is cancelled meanwhile, the load still ends and
        the model stays (for the default keep-alive), as in Ollama: never lost unclosed."""
        task = asyncio.ensure_future(self._register(name, key, wanted, size))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(self._abandoned)
            raise

    async def _register(self, name: str, key: str, wanted: dict[str, Any], size: int) -> LoadedModel:
        runner = await run_in_threadpool(self.loader, self.store, name, wanted)
        path, num_ctx = getattr(runner, "model_path", None), getattr(runner, "num_ctx", None)
        if isinstance(path, Path) and isinstance(num_ctx, int):  # the context it has, not the one asked for
            slots = getattr(runner, "parallel", 1)  # the context holds num_ctx tokens per slot
            size = await run_in_threadpool(model_bytes, path, num_ctx * (slots if isinstance(slots, int) else 1))
        entry = LoadedModel(key, runner, wanted, self.keep_alive, size)
        entry.users = 1
        self._models[key] = entry
        return entry

    def _abandoned(self, task: asyncio.Future[LoadedModel]) -> None:
        """A load whose request was cancelled has ended: nobody uses the model."""
        if task.cancelled() or task.exception() is not None:
            return
        entry = task.result()
        entry.users -= 1
        if not entry.users:
            asyncio.get_running_loop().create_task(self._idle(entry))

    def _retire(self, entry: LoadedModel) -> LoadedModel:
        """``entry`` takes no more requests and unloads when its last one ends."""
        entry.retiring = True
        return entry

    async def _idle(self, entry: LoadedModel) -> None:
        if entry.keep_alive <= 0 or entry.retiring:
            await self._unload(entry)
        elif entry.keep_alive < FOREVER:
            loop = asyncio.get_running_loop()
            entry.timer = loop.call_later(entry.keep_alive / 10**9, self._expire, entry)

    def _expire(self, entry: LoadedModel) -> None:
        if not entry.users and self._models.get(entry.key) is entry:
            self._forget(entry)  # at once: no request can take it between now and its close
            self._close_soon(entry)

    def _forget(self, entry: LoadedModel) -> None:
        if self._models.get(entry.key) is entry:
            del self._models[entry.key]
        entry.retiring = True
        if entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None

    async def _close(self, entry: LoadedModel) -> None:
        try:
            await run_in_threadpool(entry.runner.close)
        finally:
            entry.gone.set()

    def _close_soon(self, entry: LoadedModel) -> None:
        """Close ``entry`` (already forgotten) in a task; ``_settled`` waits for it."""
        task = asyncio.get_running_loop().create_task(self._close(entry))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _unload(self, entry: LoadedModel) -> None:
        self._forget(entry)
        await self._close(entry)

    async def _settled(self) -> None:
        """Wait for the unloads under way (their memory is not free before)."""
        while self._closing:
            await asyncio.wait(list(self._closing))

    async def unload(self, name: str) -> None:
        """Unload ``name`` now if it is loaded and idle, else when its requests end."""
        entry = self._models.get(parse_name(name).display())
        if entry is None:
            return
        entry.keep_alive = 0
        if not entry.users:
            await self._unload(entry)

    def loaded(self, name: str) -> bool:
        """Whether ``name`` is loaded."""
        return parse_name(name).display() in self._models

    def count(self) -> int:
        """How many models are loaded (``/metrics``)."""
        return len(self._models)

    def queue_depth(self) -> int:
        """How many requests wait for a model to load or reload (``/metrics``)."""
        return self._pending

    def waiting(self) -> int:
        """How many requests wait inside the loaded runners for a slot (the runner's
        ``waiting``, where it counts them; ``/metrics``)."""
        total = 0
        for entry in list(self._models.values()):
            count = getattr(entry.runner, "waiting", 0)
            count = count() if callable(count) else count
            total += count if isinstance(count, int) and not isinstance(count, bool) else 0
        return total

    def ps(self) -> list[dict[str, Any]]:
        """The loaded models as ``/api/ps`` lists them, latest expiry first."""
        entries = sorted(self._models.values(), key=lambda entry: entry.expires, reverse=True)
        return [entry.ps_entry() for entry in entries]

    async def close(self) -> None:
        """Unload everything (the server is shutting down)."""
        for entry in list(self._models.values()):
            await self._unload(entry)
        await self._settled()
