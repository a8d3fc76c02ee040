"""The scheduler's rules (``LoadedModels`` with stand-in runners, sizes and memory):
``OLLAMA_MAX_LOADED_MODELS`` and Ollama's eviction order, the bounded load queue and
its 503, a reload that waits for the model's requests without blocking other loads,
memory, and a failed load that leaves nothing behind."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asgi
import pytest
from serving import tiny_model
from starlette.testclient import TestClient

from builder.generation import Done, Generation, TextChunk
from builder.serve import app
from builder.serve.config import ServerConfig
from builder.serve.models_loaded import LoadedModels
from builder.serve.scheduler import BUSY, NotEnoughMemory, ServerBusy

SECOND = 10**9


@dataclass
class Stand:
    name: str
    options: dict[str, Any]
    closed: bool = False
    waiting: int = 0

    def close(self) -> None:
        self.closed = True


@dataclass
class Machine:
    """Stand-in loader, sizes and memory: ``total`` bytes, each model ``sizes[name]``
    (100 unless said) while it is loaded and not closed."""

    total: int = 10**6
    sizes: dict[str, int] = field(default_factory=dict)
    made: list[Stand] = field(default_factory=list)
    gate: threading.Event | None = None  # a load waits for it
    fail: set[str] = field(default_factory=set)  # names whose next load fails

    def load(self, store: Any, name: str, options: dict[str, Any]) -> Stand:
        if self.gate is not None:
            self.gate.wait(10)
        if name in self.fail:
            self.fail.discard(name)
            raise RuntimeError(f"{name} failed to load")
        self.made.append(Stand(name, options))
        return self.made[-1]

    def size(self, store: Any, name: str, options: dict[str, Any]) -> int:
        return self.sizes.get(name, 100)

    def available(self) -> int:
        return self.total - sum(self.sizes.get(stand.name, 100) for stand in self.made if not stand.closed)

    def registry(self, tmp_path: Path, **limits: int) -> LoadedModels:
        return LoadedModels(tmp_path, loader=self.load, sizer=self.size, memory=self.available, **limits)

    def loaded(self) -> list[str]:
        return sorted(stand.name for stand in self.made if not stand.closed)


def names(models: LoadedModels) -> list[str]:
    return sorted(entry["name"] for entry in models.ps())


async def use_once(models: LoadedModels, name: str, **kwargs: Any) -> None:
    async with models.use(name, **kwargs):
        pass


def test_at_the_limit_the_idle_model_with_the_shortest_keep_alive_goes(tmp_path: Path) -> None:
    machine = Machine()

    async def run() -> tuple[list[str], list[str]]:
        models = machine.registry(tmp_path, max_loaded=2)
        await use_once(models, "long", keep_alive=600 * SECOND)
        await use_once(models, "short", keep_alive=60 * SECOND)
        await use_once(models, "third")
        shown = names(models), machine.loaded()
        await models.close()
        return shown

    assert asyncio.run(run()) == (["long:latest", "third:latest"], ["long", "third"])
    assert machine.loaded() == []


def test_at_the_limit_with_every_model_busy_the_load_waits_for_the_shortest(tmp_path: Path) -> None:
    machine = Machine()
    order: list[str] = []

    async def hold(models: LoadedModels, name: str, keep_alive: int, release: asyncio.Event) -> None:
        async with models.use(name, keep_alive=keep_alive):
            order.append(f"{name} in")
            await release.wait()
        order.append(f"{name} out")

    async def run() -> tuple[list[str], list[str]]:
        models = machine.registry(tmp_path, max_loaded=2)
        done_a, done_b = asyncio.Event(), asyncio.Event()
        a = asyncio.create_task(hold(models, "a", 600 * SECOND, done_a))
        b = asyncio.create_task(hold(models, "b", 60 * SECOND, done_b))
        await asyncio.sleep(0.05)
        c = asyncio.create_task(use_once(models, "c"))
        await asyncio.sleep(0.05)
        during = machine.loaded()
        assert models.queue_depth() == 1 and not c.done()
        done_a.set()  # a ends, but b (shortest keep-alive) is the one waited for
        await a
        await asyncio.sleep(0.05)
        assert not c.done() and machine.loaded() == ["a", "b"]
        done_b.set()
        await asyncio.gather(b, c)
        after = names(models)
        await models.close()
        return during, after

    during, after = asyncio.run(run())
    assert during == ["a", "b"]
    assert after == ["a:latest", "c:latest"]
    assert order == ["a in", "b in", "a out", "b out"]


def test_a_busy_model_chosen_for_eviction_takes_no_new_requests(tmp_path: Path) -> None:
    machine = Machine()

    async def run() -> list[str]:
        models = machine.registry(tmp_path, max_loaded=1)
        release = asyncio.Event()

        async def hold() -> None:
            async with models.use("a"):
                await release.wait()

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0.02)
        other = asyncio.create_task(use_once(models, "b"))
        await asyncio.sleep(0.02)
        again = asyncio.create_task(use_once(models, "a"))  # a is retiring: it queues
        await asyncio.sleep(0.02)
        assert models.queue_depth() == 2 and not again.done()
        release.set()
        await asyncio.gather(holder, other, again)
        await models.close()
        return [stand.name for stand in machine.made]

    assert asyncio.run(run()) == ["a", "b", "a"]


def test_the_queue_is_bounded_and_a_loaded_model_bypasses_it(tmp_path: Path) -> None:
    machine = Machine()

    async def run() -> tuple[str, int, int]:
        models = machine.registry(tmp_path, max_queue=1)
        await use_once(models, "ready")
        machine.gate = threading.Event()
        first = asyncio.create_task(use_once(models, "slow"))  # loading
        second = asyncio.create_task(use_once(models, "other"))  # queued behind it
        await asyncio.sleep(0.05)
        depth = models.queue_depth()
        with pytest.raises(ServerBusy) as refused:
            await use_once(models, "third")
        await asyncio.wait_for(use_once(models, "ready"), 1)  # loaded: no queue
        machine.gate.set()
        await asyncio.gather(first, second)
        await models.close()
        return str(refused.value), refused.value.status, depth

    text, status, depth = asyncio.run(run())
    assert (text, status, depth) == (BUSY, 503, 2)
    assert [stand.name for stand in machine.made] == ["ready", "slow", "other"]


def test_a_reload_waits_for_the_model_without_blocking_other_loads(tmp_path: Path) -> None:
    machine = Machine()
    order: list[str] = []

    async def run() -> None:
        models = machine.registry(tmp_path)
        release = asyncio.Event()

        async def hold() -> None:
            async with models.use("a", options={"num_ctx": 512}) as runner:
                order.append("a512 in")
                await release.wait()
                assert not runner.closed  # the reload waits for this request
            order.append("a512 out")

        async def reload() -> None:
            async with models.use("a", options={"num_ctx": 1024}) as runner:
                order.append(f"a{runner.options['num_ctx']} in")

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0.02)
        reloading = asyncio.create_task(reload())
        await asyncio.sleep(0.02)
        await asyncio.wait_for(use_once(models, "b"), 1)  # loads while the reload waits
        order.append("b done")
        release.set()
        await asyncio.gather(holder, reloading)
        await models.close()

    asyncio.run(run())
    assert order == ["a512 in", "b done", "a512 out", "a1024 in"]
    assert [(stand.name, stand.options) for stand in machine.made] == [
        ("a", {"num_ctx": 512}),
        ("b", {}),
        ("a", {"num_ctx": 1024}),
    ]
    assert machine.made[0].closed


def test_a_model_that_does_not_fit_evicts_idle_models_first(tmp_path: Path) -> None:
    machine = Machine(total=1000, sizes={"a": 400, "b": 400, "c": 400})

    async def run() -> tuple[list[str], list[str]]:
        models = machine.registry(tmp_path)
        await use_once(models, "a", keep_alive=600 * SECOND)
        await use_once(models, "b", keep_alive=60 * SECOND)
        await use_once(models, "c")
        shown = names(models), machine.loaded()
        await models.close()
        return shown

    assert asyncio.run(run()) == (["a:latest", "c:latest"], ["a", "c"])


def test_a_model_too_large_for_the_machine_is_refused_as_ollama_does(tmp_path: Path) -> None:
    machine = Machine(total=1000, sizes={"big": 3 * 2**30})

    async def run() -> tuple[str, int, list[str]]:
        models = machine.registry(tmp_path)
        await use_once(models, "small")
        with pytest.raises(NotEnoughMemory) as refused:
            await use_once(models, "big")
        return str(refused.value), refused.value.status, names(models)

    text, status, left = asyncio.run(run())
    assert status == 500
    assert text == "model requires more system memory (3.0 GiB) than is available (1000 B)"
    assert left == []  # the idle model was unloaded first, as Ollama evicts before it gives up


def test_a_failed_load_leaves_nothing_and_the_next_request_loads_again(tmp_path: Path) -> None:
    machine = Machine(fail={"m"})

    async def run() -> tuple[int, int, list[str]]:
        models = machine.registry(tmp_path)
        with pytest.raises(RuntimeError, match="m failed to load"):
            await use_once(models, "m")
        after_failure = (models.count(), models.queue_depth())
        await use_once(models, "m")
        shown = names(models)
        await models.close()
        return *after_failure, shown

    assert asyncio.run(run()) == (0, 0, ["m:latest"])


def test_waiting_counts_the_runners_waiting_requests(tmp_path: Path) -> None:
    machine = Machine()

    async def run() -> int:
        models = machine.registry(tmp_path)
        await use_once(models, "a")
        await use_once(models, "b")
        machine.made[0].waiting = 3
        machine.made[1].waiting = 2
        return models.waiting()

    assert asyncio.run(run()) == 5


# ---- load_duration, as Ollama measures it ------------------------------------------------------

LOAD_SECONDS = 0.5
RUNNER_LOAD = 10**15  # what the stand-in runner claims on every answer


@dataclass
class TimedStream:
    prompt: str = "p"
    request: Any = field(default_factory=lambda: type("R", (), {"tokens": (1, 2)})())

    def __iter__(self) -> Iterator[TextChunk | Done]:
        yield TextChunk("Hi")
        yield Done(Generation(model="m", response="Hi", eval_count=1, load_duration=RUNNER_LOAD))

    def cancel(self) -> None:
        """Nothing to stop."""


class SlowRunner:
    capabilities = ("completion",)

    def __init__(self, name: str) -> None:
        time.sleep(LOAD_SECONDS)
        self.name = name

    def require(self, action: str) -> None:
        """Every action is allowed."""

    def stream(self, messages: Any, **options: Any) -> TimedStream:
        return TimedStream()

    def close(self) -> None:
        """Nothing to free."""


def test_load_duration_is_the_wait_for_the_model_not_the_first_load_again(tmp_path: Path) -> None:
    tiny_model(tmp_path / "m", tmp_path / "store", "m", "", **{"general.architecture": "llama"})
    application = app(store=tmp_path / "store")
    application.state.models = LoadedModels(tmp_path / "store", loader=lambda store, name, o: SlowRunner(name))
    with TestClient(application) as client:
        first, second = (
            client.post("/api/generate", json={"model": "m", "prompt": "hi", "stream": stream}).json()
            for stream in (False, False)
        )
        answer = client.post("/api/generate", json={"model": "m", "prompt": "hi"})
        streamed = [json.loads(line) for line in answer.text.splitlines()]
    assert first["load_duration"] >= LOAD_SECONDS * 1e9  # this request waited for the load
    assert first["total_duration"] >= first["load_duration"]
    for later in (second, streamed[-1]):  # the model was loaded: the wait is short, not the load again
        assert 0 < later["load_duration"] < LOAD_SECONDS * 1e9
        assert later["total_duration"] >= later["load_duration"]
    assert list(streamed[-1]).index("load_duration") == list(streamed[-1]).index("total_duration") + 1


def test_an_unload_during_a_request_wins_over_its_keep_alive(tmp_path: Path) -> None:
    machine = Machine()

    async def run() -> tuple[list[str], list[str]]:
        models = machine.registry(tmp_path)
        async with models.use("m", keep_alive=600 * SECOND):
            await models.unload("m")  # keep_alive: 0 from another request
            during = names(models)
        return during, names(models)

    assert asyncio.run(run()) == (["m:latest"], [])
    assert machine.made[0].closed


def test_a_cancelled_load_is_kept_not_lost(tmp_path: Path) -> None:
    machine = Machine(gate=threading.Event())

    async def run() -> list[str]:
        models = machine.registry(tmp_path)
        loading = asyncio.create_task(use_once(models, "m"))
        await asyncio.sleep(0.05)
        loading.cancel()  # the client went away (or the server stops) mid-load
        machine.gate.set()  # type: ignore[union-attr]
        with pytest.raises(asyncio.CancelledError):
            await loading
        for _ in range(1000):  # the load ends in its own time
            if models.count():
                break
            await asyncio.sleep(0.01)
        shown = names(models)
        await models.close()
        return shown

    assert asyncio.run(run()) == ["m:latest"]
    assert len(machine.made) == 1 and machine.made[0].closed  # closed by close(), not leaked


def test_a_model_that_cannot_load_is_a_500_each_time_and_leaves_nothing(tmp_path: Path) -> None:
    """The real loader on a GGUF llama.cpp refuses (no tensors, no hyperparameters)."""
    tiny_model(tmp_path / "m", tmp_path / "store", "m", "", **{"general.architecture": "llama"})
    with TestClient(app(store=tmp_path / "store")) as client:
        answers = [client.post("/api/generate", json={"model": "m", "prompt": "hi", "stream": False}) for _ in "12"]
        shown = client.get("/api/ps").json()
    assert [answer.status_code for answer in answers] == [500, 500]
    assert answers[0].json() == answers[1].json()  # tried again, failed again the same way
    assert answers[0].json()["error"].startswith("cannot load m:latest: ")
    assert shown == {"models": []}


def test_the_limits_and_the_grace_period_from_the_environment() -> None:
    config = ServerConfig.from_env(
        {"OLLAMA_MAX_LOADED_MODELS": "1", "OLLAMA_MAX_QUEUE": "0", "MFC_SHUTDOWN_GRACE": "1m"}
    )
    assert (config.max_loaded_models, config.max_queue, config.shutdown_grace_seconds) == (1, 0, 60)
    defaults = ServerConfig.from_env({"OLLAMA_MAX_LOADED_MODELS": "0", "MFC_SHUTDOWN_GRACE": "soon"})
    assert (defaults.max_loaded_models, defaults.max_queue, defaults.shutdown_grace_seconds) == (3, 512, 10)
    assert defaults.warnings == ("invalid MFC_SHUTDOWN_GRACE 'soon', using the default 10s",)
    assert ServerConfig.from_env({"MFC_SHUTDOWN_GRACE": "-1"}).shutdown_grace_seconds is None  # no limit


def test_a_client_gone_while_waiting_for_a_load_is_a_499_and_loads_nothing(tmp_path: Path) -> None:
    for name in ("a", "b"):
        tiny_model(tmp_path / name, tmp_path / "store", name, "", **{"general.architecture": "llama"})
    machine = Machine(gate=threading.Event())
    application = app(store=tmp_path / "store", loader=machine.load)
    models = application.state.models

    async def depth(count: int) -> None:
        while models.queue_depth() != count:
            await asyncio.sleep(0.01)

    async def run() -> tuple[list[dict[str, Any]], int]:
        first = asyncio.create_task(asgi.post(application, "/api/generate", {"model": "a"}))  # loads a
        await depth(1)
        body = {"model": "b", "prompt": "hi", "stream": False}
        second = await asgi.post(application, "/api/generate", body, gone=lambda: depth(2))
        left = models.queue_depth()
        machine.gate.set()  # type: ignore[union-attr]
        await first
        return second, left

    second, left = asyncio.run(run())
    assert (asgi.status(second), json.loads(asgi.body(second))) == (499, {"error": "request canceled"})
    assert left == 1  # its place in the queue was given up
    assert [stand.name for stand in machine.made] == ["a"]  # b never loaded


def test_a_model_rebuilt_under_its_name_is_loaded_again(tmp_path: Path) -> None:
    """Ollama keys loaded models by their files: a rebuild (another manifest under the
    same name) serves the new model, not the one loaded before."""
    import builder

    tiny_model(tmp_path / "v1", tmp_path / "store", "m", "SYSTEM first\n")
    loaded: list[str] = []

    def load(store: Any, name: str, options: dict[str, Any]) -> Any:
        view = builder.show.load(store, name)  # what a Runner holds: the manifest it loaded
        loaded.append(view.system or "")
        return type("Loaded", (), {"name": name, "view": view, "close": lambda self: None})()

    models = LoadedModels(tmp_path / "store", loader=load)

    async def twice() -> None:
        await use_once(models, "m")
        await use_once(models, "m")  # unchanged: the same runner
        tiny_model(tmp_path / "v2", tmp_path / "store", "m", "SYSTEM second\n")
        await use_once(models, "m")

    asyncio.run(twice())
    assert loaded == ["first", "second"]


def test_a_models_memory_counts_the_kv_cache_of_every_slot(tmp_path: Path) -> None:
    """The context holds ``num_ctx`` tokens per sequence slot (``OLLAMA_NUM_PARALLEL``)."""
    from builder.serve.scheduler import stored_model_bytes

    shape = {"llama.block_count": 2, "llama.embedding_length": 64, "llama.attention.head_count": 4}
    tiny_model(
        tmp_path / "m",
        tmp_path / "store",
        "m",
        "PARAMETER num_ctx 1024\n",
        **{"general.architecture": "llama", **shape},
    )
    import builder

    store = builder.Store(tmp_path / "store")
    one, four = (stored_model_bytes(store, "m", {}, parallel=slots) for slots in (1, 4))
    kv_per_slot = 2 * 2 * 1024 * 4 * 16 * 2  # k and v, layers, tokens, heads, head size, f16
    assert four - one == 3 * kv_per_slot
