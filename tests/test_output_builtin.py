"""Ollama's builtin output parsers (``../shared/vectors/tools/builtin_parsers.json``)
through ``modelfile.output.parsers``.

Not run (listed by the skip reason): the ``qwen3.5`` vectors (``qwen35.*``): that parser
(thinking, then qwen3-coder XML calls typed from the tool schema) is not built yet.
"""

from __future__ import annotations

from typing import Any

import pytest
from vectors import vector_params

from modelfile.output.builtin import OutputParseError, ParsedOutput
from modelfile.output.parsers import parser_for_name

NOT_BUILT = {"qwen3.5": "the qwen3.5 parser (qwen3-coder XML tool calls) is not built yet"}


def _check_calls(expected: list[dict[str, Any]], got: ParsedOutput | list[Any]) -> None:
    calls = list(got.tool_calls) if isinstance(got, ParsedOutput) else got
    assert [call.name for call in calls] == [call["name"] for call in expected]
    for call, want in zip(calls, expected, strict=True):
        if "index" in want:
            assert call.index == want["index"]
        if "arguments" in want:
            if want.get("arguments_match") == "exact":
                assert call.arguments == want["arguments"]
            else:
                assert {key: call.arguments.get(key) for key in want["arguments"]} == want["arguments"]


def _check(expect: dict[str, Any], out: ParsedOutput) -> None:
    if "content" in expect:
        assert out.content == expect["content"]
    if "thinking" in expect:
        assert out.thinking == expect["thinking"]
    if "tool_calls_count" in expect:
        assert len(out.tool_calls) == expect["tool_calls_count"]
    if "tool_calls" in expect:
        _check_calls(expect["tool_calls"], out)


@pytest.mark.parametrize("vector", vector_params("tools/builtin_parsers.json"))
def test_builtin_parser(vector: dict[str, Any]) -> None:
    if vector["parser"] in NOT_BUILT:
        pytest.skip(NOT_BUILT[vector["parser"]])
    parser = parser_for_name(vector["parser"])
    assert parser is not None
    init = vector["init"]
    parser.init(init["tools"], init["last_message"], init["think"])
    collected = ParsedOutput()
    for step in vector["steps"]:
        if "reinit" in step:
            again = step["reinit"]
            parser.init(again["tools"], again["last_message"], again["think"])
            continue
        out = parser.add(step["input"], step["done"])
        _check(step["expect"], out)
        collected = ParsedOutput(
            collected.content + out.content, collected.thinking + out.thinking, collected.tool_calls + out.tool_calls
        )
    if "expect_all" in vector:
        _check(vector["expect_all"], collected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("<tool_call>{not json}</tool_call>", "failed to parse JSON: "),
        ('<tool_call>{"arguments": {}}</tool_call>', "empty function name"),
    ],
)
def test_qwen3_invalid_call_raises(raw: str, message: str) -> None:
    parser = parser_for_name("qwen3")
    assert parser is not None
    parser.init(None, None, False)
    with pytest.raises(OutputParseError, match=message):
        parser.add(raw, True)
