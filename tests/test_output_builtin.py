"""Ollama's builtin output parsers (``../shared/vectors/tools/builtin_parsers.json``)
through ``modelfile.output.parsers``.

The vector with ``chunking: every_split_and_one_rune_per_chunk`` runs its continuation
split in two at every offset (second half ``done``) and one character per chunk.
"""

from __future__ import annotations

from typing import Any

import pytest
from vectors import vector_params

from modelfile.output.builtin import OutputParseError, ParsedOutput
from modelfile.output.parsers import parser_for_name


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
    if "continuation" in vector:
        _run_every_split(vector)
        return
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


def _run_every_split(vector: dict[str, Any]) -> None:
    text: str = vector["continuation"]
    splits = [[text[:cut], text[cut:]] for cut in range(len(text) + 1)]
    for chunks in [*splits, list(text)]:
        parser = parser_for_name(vector["parser"])
        assert parser is not None
        init = vector["init"]
        parser.init(init["tools"], init["last_message"], init["think"])
        outs = [parser.add(chunk, position == len(chunks) - 1) for position, chunk in enumerate(chunks)]
        collected = ParsedOutput(
            "".join(o.content for o in outs),
            "".join(o.thinking for o in outs),
            tuple(call for o in outs for call in o.tool_calls),
        )
        _check(vector["expect_all"], collected)


@pytest.mark.parametrize(
    ("raw", "types", "value"),
    [
        ("\n42\n", ["integer"], 42),
        ("4.5", ["integer"], "4.5"),
        ("4.0", ["number"], 4),
        ("4.5", ["string", "number"], 4.5),
        ("[1, 2]", ["array"], [1.0, 2.0]),
        ('{"a": 1}', ["object"], {"a": 1.0}),
        ("nope", ["object"], "nope"),
        ("True", ["boolean"], True),
        ("null", ["integer"], None),
        ("plain", [], "plain"),
    ],
)
def test_qwen3_coder_values_typed_from_schema(raw: str, types: list[str], value: Any) -> None:
    from modelfile.output.qwen3_coder import parse_value

    assert parse_value(raw, types) == value
    assert type(parse_value(raw, types)) is type(value)


def test_qwen35_malformed_xml_call_raises() -> None:
    parser = parser_for_name("qwen3.5")
    assert parser is not None
    parser.init(None, None, False)
    with pytest.raises(OutputParseError, match="failed to parse model-generated tool call"):
        parser.add("<tool_call><function=f><parameter=a>1</function></tool_call>", True)


def test_chat_stream_with_a_builtin_parser_gives_ids_and_skips_empty_lines() -> None:
    from modelfile.output import ChatStream

    parser = parser_for_name("qwen3-thinking")
    assert parser is not None
    parser.init(None, None, None)
    stream = ChatStream.for_parser(parser)
    chunks = ["Plan", "</think>", "\n\n", '<tool_call>{"name": "f", "arguments": {}}', "</tool_call>", ""]
    lines = [stream.feed(chunk, done=position == len(chunks) - 1) for position, chunk in enumerate(chunks)]
    got = [line for line in lines if line is not None]
    assert [(line.thinking, line.content, line.done) for line in got] == [
        ("Plan", "", False),
        ("", "", False),
        ("", "", True),
    ]
    assert got[1].tool_calls[0].name == "f" and got[1].tool_calls[0].id.startswith("call_")
