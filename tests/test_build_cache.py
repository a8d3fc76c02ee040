"""A build cache in a real registry (``mfc build --cache-to / --cache-from``): a second
store reuses the first one's conversion and quantization instead of doing them again
(proved by a converter and a quantizer that fail when called), and gets the same model
ID; a cache that cannot be reached, or that misses, only costs time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hf_fixtures import smollm2_checkpoint, tiny_model
from registries import Registry, registry

import builder
from builder import conversion, quantizer


@pytest.fixture(scope="module")
def cache_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with registry(tmp_path_factory.mktemp("cache-registry")) as started:
        yield started


def _forbid_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("the build converted or quantized although the cache had the result")

    monkeypatch.setattr(conversion, "convert", refuse)
    monkeypatch.setattr(quantizer, "run", refuse)


@pytest.mark.slow
def test_a_second_store_reuses_the_smollm2_conversion_and_quantization(
    tmp_path_factory: pytest.TempPathFactory, cache_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = smollm2_checkpoint(tmp_path_factory.mktemp("smollm2"))
    (folder / "Modelfile").write_text("FROM .\nPARAMETER temperature 0\n")
    cache = f"http://{cache_registry.host}/ci/build-cache"
    first = tmp_path_factory.mktemp("first-store")
    events: list[builder.Event] = []
    built = builder.build(
        folder / "Modelfile", "smollm2-q8", store=first, quantize="q8_0", cache_to=cache, progress=events.append
    )
    assert not [warning for warning in built.warnings if "cache" in warning]
    assert any(event.status.startswith("saved the quantized result") for event in events)

    _forbid_work(monkeypatch)
    second = tmp_path_factory.mktemp("second-store")
    events.clear()
    again = builder.build(
        folder / "Modelfile", "smollm2-q8", store=second, quantize="q8_0", cache_from=cache, progress=events.append
    )
    assert again.digest == built.digest
    assert not [warning for warning in again.warnings if "cache" in warning]
    assert any("from the build cache" in event.status for event in events)
    model = builder.Store(second).find("smollm2-q8")
    assert all(builder.Store(second).has_blob(layer.digest) for layer in model.manifest.layers)


def test_plain_conversions_are_shared_and_a_dead_cache_is_only_a_warning(
    tmp_path: Path, cache_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tiny_model("llama", tmp_path / "hf")
    (folder / "Modelfile").write_text("FROM .\n")
    cache = f"http://{cache_registry.host}/ci/tiny-cache"

    dead = builder.build(folder / "Modelfile", "tiny", store=tmp_path / "a", cache_from="http://127.0.0.1:9/ci/nothing")
    cache_warnings = [warning for warning in dead.warnings if warning.startswith("build cache")]
    assert len(cache_warnings) == 1 and "http://127.0.0.1:9/ci/nothing" in cache_warnings[0]
    assert "cannot reach 127.0.0.1:9" in cache_warnings[0]
    missed = builder.build(folder / "Modelfile", "tiny", store=tmp_path / "b", cache_from=cache, cache_to=cache)
    assert not [warning for warning in missed.warnings if "cache" in warning] and missed.digest == dead.digest

    _forbid_work(monkeypatch)
    hit = builder.build(folder / "Modelfile", "tiny", store=tmp_path / "c", cache_from=cache)
    assert hit.digest == dead.digest
    unreachable_push = builder.build(
        folder / "Modelfile", "tiny", store=tmp_path / "c", cache_to="http://127.0.0.1:9/x/y"
    )
    assert unreachable_push.digest == dead.digest  # nothing new was derived: nothing to push, no warning


def test_the_cli_takes_cache_options(tmp_path: Path, cache_registry: Registry) -> None:
    from click.testing import CliRunner

    from builder.cli.main import cli

    folder = tiny_model("llama", tmp_path / "hf", seed=3)
    (folder / "Modelfile").write_text("FROM .\n")
    cache = f"http://{cache_registry.host}/ci/cli-cache"
    args = ["build", "tiny", "-f", str(folder / "Modelfile"), "--store", str(tmp_path / "s"), "--json"]
    result = CliRunner().invoke(cli, [*args, "--cache-to", cache])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, [*args[:-2], str(tmp_path / "t"), "--json", "--cache-from", cache])
    assert result.exit_code == 0, result.output
