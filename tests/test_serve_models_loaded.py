"""``LoadedModels``, the server's model registry, with stand-in runners: expiry after
keep_alive, ``keep_alive: 0``, a reload when a load-time option changes, one request at
a time per model, and the unload of everything at shutdown."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.serve.models_loaded import LoadedModels

SECOND = 10**9


@dataclass
class Stand:
    name: str
    options: dict[str, Any]
    closed: bool = False
    log: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.closed = True


def registry(tmp_path: Path, made: list[Stand], keep_alive: int = 300 * SECOND) -> LoadedModels:
    def load(store: Any, name: str, options: dict[str, Any]) -> Stand:
        made.append(Stand(name, options))
        return made[-1]

    return LoadedModels(tmp_path, keep_alive=keep_alive, loader=load)


def test_a_model_stays_for_keep_alive_then_unloads(tmp_path: Path) -> None:
    made: list[Stand] = []

    async def run() -> tuple[list[str], list[str]]:
        models = registry(tmp_path, made)
        async with models.use("m", keep_alive=SECOND // 10):
            pass
        during = [entry["name"] for entry in models.ps()]
        await asyncio.sleep(0.3)
        return during, [entry["name"] for entry in models.ps()]

    assert asyncio.run(run()) == (["m:latest"], [])
    assert len(made) == 1 and made[0].closed


def test_reuse_reload_and_keep_alive_zero(tmp_path: Path) -> None:
    made: list[Stand] = []

    async def run() -> list[str]:
        models = registry(tmp_path, made)
        async with models.use("m", options={"temperature": 0}) as first:
            pass
        async with models.use("m", options={"temperature": 1}) as second:
            assert second is first  # a sampling option does not reload
        async with models.use("m", options={"num_ctx": 512}) as third:
            assert third is not first and first.closed and third.options == {"num_ctx": 512}
        async with models.use("m", options={"num_ctx": 512}, keep_alive=0):
            pass
        return [entry["name"] for entry in models.ps()]

    assert asyncio.run(run()) == []
    assert len(made) == 2 and all(stand.closed for stand in made)


def test_requests_share_a_model_and_a_reload_waits_for_those_in_flight(tmp_path: Path) -> None:
    made: list[Stand] = []
    order: list[str] = []

    async def request(models: LoadedModels, tag: str, options: dict[str, Any] | None = None) -> None:
        async with models.use("m", options=options):
            order.append(f"{tag} in")
            await asyncio.sleep(0.05)
            order.append(f"{tag} out")

    async def run() -> None:
        models = registry(tmp_path, made)
        await asyncio.gather(request(models, "a"), request(models, "b"))  # the runner decodes both at once
        assert len(made) == 1
        await asyncio.gather(request(models, "c"), request(models, "d", {"num_ctx": 512}))
        await models.close()

    asyncio.run(run())
    assert order == ["a in", "b in", "a out", "b out", "c in", "c out", "d in", "d out"]
    assert len(made) == 2 and all(stand.closed for stand in made)  # close() unloads what is left
