"""Ollama's own parser tests and the real-world corpus: same verdict, same commands,
same error text, through ``parse(...).ollama_commands()``."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from vectors import corpus_dir, params

import modelfile
from modelfile import ModelfileError

PARSE_KINDS = {"parse", "roundtrip", "encoding", "create_request", "create_request_fs"}


def outcome(data: bytes) -> list[list[str]] | str:
    try:
        return [list(command) for command in modelfile.parse(data).ollama_commands()]
    except ModelfileError as error:
        assert error.ollama is not None
        return error.ollama


def case_bytes(case: dict[str, Any]) -> bytes:
    if "input_bytes_b64" in case:
        return base64.b64decode(case["input_bytes_b64"])
    return case["input"].encode("utf-8")


@pytest.mark.parametrize(
    "case",
    params("parser/cases.json", lambda c: c["kind"] in PARSE_KINDS and ("commands" in c or c["expect"] == "error")),
)
def test_ollama_parser_case(case: dict[str, Any]) -> None:
    expected = case["commands"] if case["expect"] == "ok" else case.get("error_exact", case["error"])
    assert outcome(case_bytes(case)) == expected


@pytest.mark.parametrize(
    "case", params("parser/cases.json", lambda c: c["kind"] == "parse" and c["expect"] == "error" and "line" in c)
)
def test_parser_error_points_at_the_line(case: dict[str, Any]) -> None:
    with pytest.raises(ModelfileError) as caught:
        modelfile.parse(case_bytes(case))
    assert caught.value.line == case["line"]


def corpus_params() -> list[Any]:
    folder = corpus_dir()
    return (
        params("parser/corpus/EXPECTED.json", ident=lambda item: item["file"][:3])
        if folder
        else params("parser/corpus/EXPECTED.json")
    )


@pytest.mark.parametrize("entry", corpus_params())
def test_real_world_corpus(entry: dict[str, Any]) -> None:
    folder = corpus_dir()
    assert folder is not None
    data = (folder / entry["file"]).read_bytes()
    expected = entry["commands"] if entry["parse"] == "ok" else entry["error"]
    assert outcome(data) == expected


def accepted_inputs() -> list[Any]:
    cases = [
        pytest.param(case_bytes(c), id=c["name"])
        for c in (p.values[0] for p in params("parser/cases.json", lambda c: c["kind"] in PARSE_KINDS) if p.values[0])
        if c["expect"] == "ok"
    ]
    folder = corpus_dir()
    files = (
        [pytest.param(path.read_bytes(), id=path.name[:3]) for path in sorted(folder.glob("*.Modelfile"))]
        if folder
        else []
    )
    return cases + files


@pytest.mark.parametrize("data", accepted_inputs())
def test_format_round_trips_every_accepted_input(data: bytes) -> None:
    try:
        parsed = modelfile.parse(data)
    except ModelfileError:
        return  # rejected inputs have nothing to format
    formatted = modelfile.format(parsed)
    again = modelfile.parse(formatted)
    assert again.ollama_commands() == parsed.ollama_commands()
    assert modelfile.format(again) == formatted


def test_typed_parameters_follow_ollama_create() -> None:
    parsed = modelfile.parse(
        "FROM x\nPARAMETER temperature 0.7\nPARAMETER num_ctx +4096\nPARAMETER use_mmap T\nPARAMETER mirostat 1\n"
    )
    values = [p.typed() for p in parsed.of_type(modelfile.Parameter)]
    assert values == [pytest.approx(0.7), 4096, True, None]
    assert values[0] == 0.699999988079071  # float32, as Ollama stores it
