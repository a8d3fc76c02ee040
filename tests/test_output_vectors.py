"""Ollama's tool-call and thinking parsers (``../shared/vectors/tools/``) run through
``modelfile.output``: every vector of ``tools.json``, ``thinking.json``,
``chat_pipeline.json`` and ``shipped_templates.json``, and the ``filter_think_tags``
cases of ``../shared/vectors/api/routes.json``.

Vectors applied in part (what is not checked, and why):

* ``chat_pipeline.json`` tool-call ids are random in Ollama; they are checked against the
  pattern ``call_[a-z0-9]{8}`` rather than compared.
* Argument objects are compared as values (key order ignored): Ollama copies them in
  random Go map order.

``chat_pipeline.json`` also runs end to end through ``/api/chat`` with a stand-in runner
in ``test_serve_standin_vectors.py``.  ``builtin_parsers.json`` and ``harmony.json`` run in ``test_output_builtin.py`` and
``test_output_harmony.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from vectors import REPO, file_fixtures, find, load_json, vector_params

from modelfile.output import (
    ChatStream,
    ThinkingParser,
    ToolParser,
    brackets_closed,
    filter_think_tags,
    find_arguments,
    find_tag,
    infer_tags,
    parse_tag,
)

CALL_ID = re.compile(r"call_[a-z0-9]{8}")


def _calls(calls: Any) -> list[dict[str, Any]]:
    """Calls as vector objects: ``function`` with index, name and arguments (ids left out)."""
    return [call.to_dict()["function"] for call in calls]


def _expected_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [call["function"] for call in calls]


# ---- thinking.json ----------------------------------------------------------------------


@pytest.mark.parametrize("vector", vector_params("tools/thinking.json", "stream"))
def test_thinking_stream(vector: dict[str, Any]) -> None:
    parser = ThinkingParser(vector["opening_tag"], vector["closing_tag"])
    for step in vector["steps"]:
        assert parser.add(step["input"]) == (step["expect"]["thinking"], step["expect"]["content"])
        state = step["expect"].get("state_after", step.get("state_after_from_code"))
        if state is not None:
            assert parser.state.value == state


@pytest.mark.parametrize("vector", vector_params("tools/thinking.json", "infer_tags"))
def test_infer_tags(vector: dict[str, Any]) -> None:
    expect = vector["expect"]
    assert infer_tags(vector["template"]) == (expect["opening_tag"], expect["closing_tag"])


# ---- tools.json -------------------------------------------------------------------------


@pytest.mark.parametrize("vector", vector_params("tools/tools.json", "parse_tag"))
def test_parse_tag(vector: dict[str, Any]) -> None:
    assert parse_tag(vector["template"]) == vector["expect"]["tag"]


@pytest.mark.parametrize("vector", vector_params("tools/tools.json", "parser"))
def test_tool_parser(vector: dict[str, Any]) -> None:
    fixtures = file_fixtures("tools/tools.json")
    template = fixtures["templates"][vector["template"]]
    names = [tool["function"]["name"] for tool in fixtures[vector["tools"]]]
    parser = ToolParser(parse_tag(template["template"]), names)
    from_code = vector.get("from_code", {})
    assert parser.tag == template["tag_from_code"] == from_code.get("tag", parser.tag)
    content, calls = [], []
    for position, chunk in enumerate(vector["chunks"]):
        step_calls, step_content = parser.add(chunk)
        content.append(step_content)
        calls.extend(step_calls)
        if "per_chunk" in from_code:
            step = from_code["per_chunk"][position]
            assert (step_content, _calls(step_calls)) == (step["content"], _expected_calls(step["tool_calls"]))
            assert parser.state.value == step["state_after"]
    assert "".join(content) == vector["expect"]["content"]
    assert _calls(calls) == _expected_calls(vector["expect"]["tool_calls"])
    if "content_method_at_end" in from_code:
        assert parser.content() == from_code["content_method_at_end"]


@pytest.mark.parametrize("vector", vector_params("tools/tools.json", "find_tag"))
def test_find_tag(vector: dict[str, Any]) -> None:
    expect = vector["expect"]
    assert find_tag(vector["buffer"], vector["tag"]) == (expect["index"], expect["found"])


@pytest.mark.parametrize("vector", vector_params("tools/tools.json", "done"))
def test_done(vector: dict[str, Any]) -> None:
    assert brackets_closed(vector["buffer"], vector["tag"]) is vector["expect"]["done"]


@pytest.mark.parametrize("vector", vector_params("tools/tools.json", "content"))
def test_content(vector: dict[str, Any]) -> None:
    parser = ToolParser(vector["tag"], [])
    parser.buffer = vector["buffer"]
    parser.calls_so_far = vector["calls_so_far"]
    assert parser.content() == vector["expect"]["content"]


@pytest.mark.parametrize("vector", vector_params("tools/tools.json", "find_arguments"))
def test_find_arguments(vector: dict[str, Any]) -> None:
    found = find_arguments(vector["tool_name"], vector["buffer"])
    assert (found[0] if found else None) == vector["expect"]["arguments"]


# ---- chat_pipeline.json -----------------------------------------------------------------


@pytest.mark.parametrize("vector", vector_params("tools/chat_pipeline.json", "chat_pipeline"))
def test_chat_pipeline(vector: dict[str, Any]) -> None:
    template = file_fixtures("tools/chat_pipeline.json")["templates"][vector["template"]]["template"]
    derived = vector["derived"]
    assert list(infer_tags(template)) == derived["think_tags"]
    stream = ChatStream.for_template(
        template, tools=vector["tools"], think=vector["think"], prompt=vector["prompt_tail"]
    )
    assert (stream.tools.tag if stream.tools else "") == derived["tool_tag"]
    assert (stream.thinking is not None) == bool(derived["effective_think"])
    lines = [stream.feed(chunk["content"], chunk.get("done", False)) for chunk in vector["runner_chunks"]]
    got = [line for line in lines if line is not None]
    assert len(got) == len(vector["expect_lines"])
    for line, expect in zip(got, vector["expect_lines"], strict=True):
        assert (line.content, line.thinking, line.done) == (
            expect["content"],
            expect.get("thinking", ""),
            expect["done"],
        )
        assert _calls(line.tool_calls) == _expected_calls(expect.get("tool_calls", []))
        assert all(CALL_ID.fullmatch(call.id) for call in line.tool_calls)


# ---- shipped_templates.json -------------------------------------------------------------


def _shipped_template(name: str) -> str:
    path = find(f"templates/ollama/{name}.gotmpl")
    if path is None:
        path = REPO / "modelfile" / "template" / "data" / f"{name}.gotmpl"
    return Path(path).read_text(encoding="utf-8")


@pytest.mark.parametrize("vector", vector_params("tools/shipped_templates.json"))
def test_shipped_template_tags(vector: dict[str, Any]) -> None:
    text = _shipped_template(vector["template"])
    assert parse_tag(text) == vector["tool_tag_from_code"]
    assert infer_tags(text) == (vector["think_opening_tag_from_code"], vector["think_closing_tag_from_code"])


# ---- api/routes.json: filterThinkTags ---------------------------------------------------


def _filter_cases() -> list[Any]:
    path = find("api/routes.json")
    if path is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason="vector api/routes.json not found"))]
    vectors = load_json("api/routes.json")["vectors"]
    return [pytest.param(v, id=v["id"]) for v in vectors if v["id"].startswith("filter_think_tags.")]


@pytest.mark.parametrize("vector", _filter_cases())
def test_filter_think_tags(vector: dict[str, Any]) -> None:
    model = vector["model"]
    got = filter_think_tags(vector["input"], family=model.get("model_family", ""), model=model.get("name", ""))
    assert got == vector["expect"]["messages"]


# ---- the pinned copies ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "tools.json",
        "thinking.json",
        "chat_pipeline.json",
        "shipped_templates.json",
        "builtin_parsers.json",
        "harmony.json",
    ],
)
def test_pinned_vectors_match_shared(name: str) -> None:
    """``fixtures/vectors/tools/`` holds unchanged copies of some shared vectors."""
    pinned_path = REPO / "fixtures" / "vectors" / "tools" / name
    shared_path = find(f"tools/{name}")
    if shared_path is None or shared_path == pinned_path:
        pytest.skip(f"shared tools/{name} not found: nothing to compare the pinned copy with")
    pinned = json.loads(pinned_path.read_text(encoding="utf-8"))
    shared = json.loads(shared_path.read_text(encoding="utf-8"))
    assert pinned.get("fixtures") == shared.get("fixtures")
    key = "template" if name == "shipped_templates.json" else "id"
    by_key = {vector[key]: vector for vector in shared["vectors"]}
    assert pinned["vectors"] and all(vector == by_key[vector[key]] for vector in pinned["vectors"])
