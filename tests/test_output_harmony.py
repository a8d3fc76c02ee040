"""gpt-oss's harmony format (``../shared/vectors/tools/harmony.json``) through
``modelfile.output``: headers, the event stream, tool-name conversion; plus the
``harmony`` builtin parser end to end (thinking, content, one call at the done chunk)."""

from __future__ import annotations

from typing import Any

import pytest
from vectors import vector_params

from modelfile.output.builtin import OutputParseError
from modelfile.output.harmony_events import (
    ContentEmitted,
    HarmonyEvent,
    HarmonyEvents,
    HeaderComplete,
    MessageEnd,
    MessageStart,
    parse_header,
)
from modelfile.output.harmony_names import FunctionNameMap, convert_to_valid_chars
from modelfile.output.parsers import parser_for_name


def _event(event: HarmonyEvent) -> dict[str, Any]:
    if isinstance(event, HeaderComplete):
        header = event.header
        return {
            "type": "HeaderComplete",
            "header": {"role": header.role, "channel": header.channel, "recipient": header.recipient},
        }
    if isinstance(event, ContentEmitted):
        return {"type": "ContentEmitted", "content": event.content}
    assert isinstance(event, MessageStart | MessageEnd)
    return {"type": type(event).__name__}


def _parser(implicit_start: bool) -> HarmonyEvents:
    parser = HarmonyEvents()
    if implicit_start:
        parser.add_implicit_start()
    return parser


@pytest.mark.parametrize("vector", vector_params("tools/harmony.json", "parse_header"))
def test_parse_header(vector: dict[str, Any]) -> None:
    header = parse_header(vector["header"])
    assert {"role": header.role, "channel": header.channel, "recipient": header.recipient} == vector["expect"]


@pytest.mark.parametrize("vector", vector_params("tools/harmony.json", "first_header_event"))
def test_first_header_event(vector: dict[str, Any]) -> None:
    events = [_event(e) for e in _parser(vector["implicit_start"]).add(vector["input"])]
    first = next(e for e in events if e["type"] == "HeaderComplete")
    assert first["header"] == vector["expect"]


@pytest.mark.parametrize("vector", vector_params("tools/harmony.json", "events"))
def test_events(vector: dict[str, Any]) -> None:
    parser = _parser(vector["implicit_start"])
    for step in vector["steps"]:
        assert [_event(e) for e in parser.add(step["input"])] == step["expect"]["events"]


@pytest.mark.parametrize("vector", vector_params("tools/harmony.json", "convert_to_valid_chars"))
def test_convert_to_valid_chars(vector: dict[str, Any]) -> None:
    assert convert_to_valid_chars(vector["input"]) == vector["expect"]["name"]


@pytest.mark.parametrize("vector", vector_params("tools/harmony.json", "convert_and_add"))
def test_convert_and_add(vector: dict[str, Any]) -> None:
    names = FunctionNameMap()
    assert [names.convert_and_add(name) for name in vector["inputs"]] == vector["expect"]["names"]
    assert [names.original(name) for name in vector["expect"]["names"]] == vector["inputs"]


def test_harmony_parser_routes_channels_and_parses_one_call() -> None:
    parser = parser_for_name("harmony")
    assert parser is not None
    tools = parser.init([{"type": "function", "function": {"name": "get weather"}}], None, None)
    assert tools is not None and tools[0]["function"]["name"] == "get_weather"
    chunks = [
        "<|channel|>analysis<|message|>Need the ",
        "weather.<|end|><|start|>assistant<|channel|>final<|message|>Checking",
        "<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather<|constrain|>json<|message|>",
        '{"city": ',
        '"Paris"}',
    ]
    outs = [parser.add(chunk, position == len(chunks) - 1) for position, chunk in enumerate(chunks)]
    assert "".join(o.thinking for o in outs) == "Need the weather."
    assert "".join(o.content for o in outs) == "Checking"
    calls = [call for o in outs for call in o.tool_calls]
    assert [(c.name, c.arguments) for c in calls] == [("get weather", {"city": "Paris"})]


def test_harmony_invalid_call_body_raises() -> None:
    parser = parser_for_name("harmony")
    assert parser is not None
    parser.init(None, None, None)
    with pytest.raises(OutputParseError, match=r"error parsing tool call: raw='\{oops'"):
        parser.add("<|channel|>commentary to=functions.f<|message|>{oops", True)


def test_harmony_prefill_continues_the_final_channel() -> None:
    parser = parser_for_name("harmony")
    assert parser is not None
    parser.init(None, {"role": "assistant", "content": "Once upon"}, None)
    assert parser.add(" a time<|end|>", True).content == " a time"
