"""How a request's ``options``, the model's PARAMETERs, ``OLLAMA_CONTEXT_LENGTH`` and the
default combine: every ``options_merge`` case of ``../shared/vectors/api/routes_options.json``
through ``run_options.effective_options`` (the environment read by ``ServerConfig``, as
``mfc serve`` reads it), and the same precedence seen from a loaded ``Runner``.

The vectors' ``server_default_num_ctx`` is Ollama's VRAM-tier default; mfc runs on the
CPU, where that tier is 4096 (``DEFAULT_NUM_CTX``), and the function takes it as
``default_num_ctx``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from models import smollm2_gguf
from vectors import vector_params

import builder
from builder.run import Runner
from builder.run_options import DEFAULT_NUM_CTX, automatic_num_batch, effective_options
from builder.serve.config import ServerConfig


@pytest.mark.parametrize("vector", vector_params("api/routes_options.json", "options_merge"))
def test_options_merge(vector: dict[str, Any]) -> None:
    config = ServerConfig.from_env(vector.get("env", {}))
    model, request = vector["model_options"], vector["request_options"]
    merged = effective_options(
        model,
        request,
        context_length=config.context_length,
        default_num_ctx=vector.get("server_default_num_ctx", DEFAULT_NUM_CTX),
        embedding="embedding" in vector.get("model_capabilities", ()),
        draft=vector.get("model_has_draft_layer", False),
    )
    for key, value in vector["expect"].items():
        if key == "num_batch_is_automatic":
            assert automatic_num_batch(model, request) is value
        else:
            assert merged[key] == value, key


def test_every_vector_is_an_options_merge() -> None:
    cases = vector_params("api/routes_options.json")
    if cases[0].values[0] is None:
        pytest.skip("vector api/routes_options.json not found")
    assert len(cases) == 22 and {case.values[0]["kind"] for case in cases} == {"options_merge"}


def test_cpu_default_and_unparsable_env() -> None:
    assert effective_options({}, {})["num_ctx"] == DEFAULT_NUM_CTX == 4096
    config = ServerConfig.from_env({"OLLAMA_CONTEXT_LENGTH": "lots"})
    assert config.context_length == 0 and "OLLAMA_CONTEXT_LENGTH" in config.warnings[0]
    assert effective_options({}, {}, context_length=config.context_length)["num_ctx"] == 4096


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("options")
    (folder / "model.gguf").symlink_to(smollm2_gguf())
    (folder / "Modelfile").write_text("FROM ./model.gguf\n")
    builder.build(folder / "Modelfile", "plain", store=folder / "store")
    (folder / "Modelfile").write_text("FROM ./model.gguf\nPARAMETER num_ctx 1536\n")
    builder.build(folder / "Modelfile", "sized", store=folder / "store")
    return folder / "store"


@pytest.mark.parametrize(
    ("name", "overrides", "default", "expected"),
    [
        ("plain", {}, 0, DEFAULT_NUM_CTX),  # nothing set: mfc's CPU default
        ("plain", {}, 1024, 1024),  # OLLAMA_CONTEXT_LENGTH
        ("sized", {}, 1024, 1536),  # the model's PARAMETER wins over it
        ("sized", {"num_ctx": 512}, 1024, 512),  # the request's option wins over both
        ("plain", {}, 65536, 8192),  # clamped to what SmolLM2 was trained for
    ],
)
def test_runner_loads_with_the_effective_context(
    store: Path, name: str, overrides: dict[str, Any], default: int, expected: int
) -> None:
    with Runner(store, name, overrides=overrides, default_num_ctx=default) as runner:
        assert runner.num_ctx == expected == runner.llm.n_ctx()
