"""Every case of Ollama's OpenAI-layer tests (``../shared/vectors/api/openai_compat.json``)
against the layer's pure parts: the request translation (``openai_request_to_ollama``),
the answer translation (``ollama_response_to_openai``), the chunk writer
(``ollama_stream_to_sse``), the error object (``error_mapping``) and the base64 of an
embedding (``function``).  ``NOT_APPLIED`` lists the cases not replayed and why;
``DEVIATIONS`` the cases where mfc deliberately answers otherwise than Ollama (the
README's "Differences from Ollama"), each checked for mfc's answer.  A case in no list
and of no known kind fails, so that a new vector is noticed."""

from __future__ import annotations

import base64
import json
import struct
import time
from typing import Any

import pytest
from vectors import load_json, vector_params

from builder.serve.errors import status_of
from builder.serve.openai.chunks import ChatChunks, Payload, finish_choice, stream_choices
from builder.serve.openai.errors import error_object, error_text
from builder.serve.openai.floats import floats_to_base64
from builder.serve.openai.requests import chat_request, completion_request, embedding_request
from builder.serve.openai.responses import (
    chat_completion,
    embedding_list,
    model_entry,
    model_list,
    tool_calls,
    usage,
)
from builder.serve.openai.sse import event, event_stream
from modelfile.errors import MfcError

FILE = "api/openai_compat.json"

#: Cases not replayed, and why.
NOT_APPLIED = {
    "responses.plain": "/v1/responses is not served (issue 11 asks for chat/completions, completions, embeddings, models)",
    "responses.zstd": "/v1/responses is not served (nor zstd request bodies)",
    "responses.zstd_oversized": "/v1/responses is not served (nor zstd request bodies)",
}

#: Cases where mfc answers otherwise on purpose; the test checks mfc's answer.
DEVIATIONS = {"models.list_empty": 'an empty store is "data": [] (Ollama: null)'}

ABSENT = "<absent>"


def test_every_case_is_known() -> None:
    cases = load_json(FILE)["vectors"]
    assert len(cases) == 109
    ids = {case["id"] for case in cases}
    assert set(NOT_APPLIED) | set(DEVIATIONS) <= ids


# ---- helpers -----------------------------------------------------------------------------


def translate(endpoint: str, body: Any) -> Any:
    if endpoint == "/v1/chat/completions":
        return chat_request(body)
    if endpoint == "/v1/completions":
        return completion_request(body)
    if endpoint == "/v1/embeddings":
        return embedding_request(body)[0]
    raise AssertionError(f"no translation for {endpoint}")


def error_of(endpoint: str, body: Any) -> tuple[int, dict[str, Any]]:
    """The status and OpenAI error body a request the translation refuses is answered with."""
    with pytest.raises(MfcError) as raised:
        translate(endpoint, body)
    status = status_of(raised.value)
    return status, error_object(status, error_text(raised.value))


def subset(actual: Any, expected: Any, where: str = "") -> None:
    """``expected`` (with ``<absent>`` markers) is found in ``actual``."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        for key, value in expected.items():
            if value == ABSENT:
                assert key not in actual, f"{where}.{key} should be absent"
            elif value == "<absent or false>":
                assert not actual.get(key), f"{where}.{key}"
            elif value == "<absent or 0>":
                assert actual.get(key, 0) == 0, f"{where}.{key}"
            else:
                assert key in actual, f"{where}.{key} missing in {actual!r}"
                subset(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r}"
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            subset(got, want, f"{where}[{index}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def path(value: Any, dotted: str) -> Any:
    """The value at ``a.b[0].c`` (``ABSENT`` when missing); ``x_len``: the length of ``x``."""
    if dotted.endswith("_len"):
        found = path(value, dotted[: -len("_len")])
        return 0 if found in (ABSENT, None) else len(found)
    for part in dotted.replace("]", "").replace("[", ".").split("."):
        if isinstance(value, list):
            value = value[int(part)] if int(part) < len(value) else ABSENT
        elif isinstance(value, dict):
            value = value.get(part, ABSENT)
        else:
            return ABSENT
        if value is ABSENT:
            return ABSENT
    return value


# ---- openai_request_to_ollama --------------------------------------------------------------


@pytest.mark.parametrize("case", vector_params(FILE, "openai_request_to_ollama"))
def test_request_to_ollama(case: dict[str, Any]) -> None:
    if case["id"] in NOT_APPLIED:
        pytest.skip(NOT_APPLIED[case["id"]])
    endpoint, body, expect = case["endpoint"], case["request_body"], case["expect"]
    if "ollama_request" in expect:
        assert translate(endpoint, body) == expect["ollama_request"]
    elif "ollama_request_subset" in expect:
        subset(translate(endpoint, body), expect["ollama_request_subset"])
    elif expect.get("status") == 200:
        ollama = translate(endpoint, body)
        assert ollama["model"] == body["model"]
        assert embedding_request(body)[1] == body["encoding_format"].lower()
    elif "body_json" in expect:
        assert error_of(endpoint, body) == (expect["status"], expect["body_json"])
    elif "error_message_from_code" in expect:
        status, error = error_of(endpoint, body)
        assert status == expect.get("status", expect.get("status_from_code"))
        assert error["error"]["message"] == expect["error_message_from_code"]
        assert error["error"]["type"] == expect.get("error_type", "invalid_request_error")
        assert expect.get("error_message_contains", "") in error["error"]["message"]
    else:
        raise AssertionError(f"unknown expectation {expect}")


def test_max_completion_tokens_is_honoured() -> None:
    """Ollama ignores it (a quirk, README); mfc reads it as ``max_tokens``, the smaller winning."""
    base = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert chat_request({**base, "max_completion_tokens": 7})["options"]["num_predict"] == 7
    assert chat_request({**base, "max_completion_tokens": 7, "max_tokens": 5})["options"]["num_predict"] == 5
    assert chat_request({**base, "max_completion_tokens": 3, "max_tokens": 5})["options"]["num_predict"] == 3
    assert "num_predict" not in chat_request(base)["options"]


def test_request_errors_beyond_the_vectors() -> None:
    base = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    chat = "/v1/chat/completions"
    assert error_of(chat, {"model": "m"})[1]["error"]["message"] == "[] is too short - 'messages'"
    image = {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
    assert error_of(chat, {**base, "messages": [{"role": "user", "content": [image]}]})[1]["error"]["message"] == (
        "image URLs are not currently supported, please use base64 encoded data instead"
    )
    bad_call = {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{nope"}}]}
    assert error_of(chat, {**base, "messages": [bad_call]})[1]["error"]["message"] == "invalid tool call arguments"
    assert error_of(chat, {**base, "temperature": "hot"}) == (
        400,
        error_object(
            400, "json: cannot unmarshal string into Go struct field ChatCompletionRequest.temperature of type float64"
        ),
    )
    both = {**base, "reasoning_effort": "low", "reasoning": {"effort": "high"}}
    assert chat_request(both)["think"] == "high"  # reasoning.effort wins
    assert chat_request({**base, "stop": "x"})["options"]["stop"] == ["x"]
    assert chat_request({**base, "stop": ["x", 1]})["options"]["stop"] == ["x"]
    schema = {"type": "object"}
    response_format = {"type": "JSON_SCHEMA", "json_schema": {"name": "n", "schema": schema}}
    assert chat_request({**base, "response_format": response_format})["format"] == schema
    assert "format" not in chat_request({**base, "response_format": {"type": "text"}})


# ---- ollama_response_to_openai ---------------------------------------------------------------


def _embedding_checks(answer: dict[str, Any], expect: dict[str, Any]) -> None:
    data = answer["data"]
    if "data_len" in expect:
        assert len(data) == expect["data_len"]
    kinds = {"array": list, "array of numbers": list, "string": str, "base64 string": str}
    for key in ("data[0].embedding", "embedding_type", "all_embeddings"):
        if key in expect:
            assert all(isinstance(item["embedding"], kinds[expect[key]]) for item in data)
    if "decoded_bytes" in expect:
        assert len(base64.b64decode(data[0]["embedding"])) == expect["decoded_bytes"]
    if "indices" in expect:
        assert [item["index"] for item in data] == expect["indices"]
    if "embeddings_base64" in expect:
        assert [item["embedding"] for item in data] == expect["embeddings_base64"]
    if "model" in expect:
        assert answer["model"] == expect["model"]
    if "usage.prompt_tokens" in expect:
        assert answer["usage"]["prompt_tokens"] == expect["usage.prompt_tokens"]


@pytest.mark.parametrize("case", vector_params(FILE, "ollama_response_to_openai"))
def test_response_to_openai(case: dict[str, Any]) -> None:
    ident, endpoint, expect = case["id"], case["endpoint"], case["expect"]
    response = case.get("ollama_response", {})
    if endpoint == "/v1/embeddings":
        if "request_body" in case:
            ollama, encoding = embedding_request(case["request_body"])
            model = str(ollama["model"])
        else:
            encoding, model = case["encoding_format"], "test-model"
        _embedding_checks(embedding_list(response, model, encoding), expect)
    elif ident == "models.list_empty":
        assert model_list(response) == {**expect["body_json_exact"], "data": []}  # DEVIATIONS
    elif endpoint == "/v1/models":
        answer = model_list(response)
        if "body_json_exact" in expect:
            assert answer == expect["body_json_exact"]
        else:
            subset(answer, expect["body_json_subset"])
    elif case.get("ollama_status", 200) != 200:
        assert error_object(case["ollama_status"], response["error"]) == expect["body_json_exact"]
    elif endpoint.startswith("/v1/models/"):
        name = endpoint.removeprefix("/v1/models/")
        assert model_entry(name, response["modified_at"]) == expect["body_json_exact"]
    elif ident == "fn.to_usage":
        assert usage(response) == expect["usage"]
    elif ident == "fn.to_tool_calls":
        assert tool_calls(case["ollama_tool_calls"]) == expect["openai_tool_calls"]
    elif endpoint == "/v1/chat/completions":
        answer = chat_completion(response, case.get("completion_id", "chatcmpl-1"))
        if "body_json_subset" in expect:
            subset(answer, expect["body_json_subset"])
        for key, value in expect.items():
            if key != "body_json_subset":
                assert path(answer, key) == value, key
    else:
        raise AssertionError(f"unknown case {ident}")


# ---- ollama_stream_to_sse --------------------------------------------------------------------


def frames(payloads: list[Payload]) -> list[bytes]:
    return [event(payload) for payload in payloads]


def _frame_check(frame: bytes, check: dict[str, Any]) -> None:
    assert frame.startswith(b"data: ") and frame.endswith(b"\n\n")
    raw = frame[len(b"data: ") : -2].decode()
    for key, value in check.items():
        if key == "i":
            continue
        if key == "raw":
            assert raw == value
        elif key == "raw_contains":
            for text in [value] if isinstance(value, str) else value:
                assert text in raw, (text, raw)
        elif key == "raw_not_contains":
            assert value not in raw
        else:
            chunk = json.loads(raw)
            top = path(chunk, key)
            where = top if top is not ABSENT and not key.startswith(("delta", "finish_reason")) else None
            found = where if where is not None else path(chunk, "choices.0." + key)
            assert found == value, (key, found, raw)


@pytest.mark.parametrize("case", vector_params(FILE, "ollama_stream_to_sse"))
def test_stream_to_sse(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if "ollama_lines" in case:
        writer = case["writer"]
        options = writer.get("stream_options") or {}
        chunks = ChatChunks(writer["id"], include_usage=bool(options.get("include_usage")))
        sent = frames([payload for line in case["ollama_lines"] for payload in chunks.feed(line)])
        assert len(sent) == expect["frames"], [frame.decode() for frame in sent]
        for check in expect.get("frame_checks", ()):
            _frame_check(sent[check["i"]], check)
        if expect.get("no_done_frame"):
            assert b"data: [DONE]\n\n" not in sent
        if "tool_call_sent" in expect:
            assert chunks.tool_call_sent is expect["tool_call_sent"]
        if "frames_0_to_2_created" in expect:
            assert {json.loads(frame[6:])["created"] for frame in sent[:3]} == {expect["frames_0_to_2_created"]}
        if "content_type" in expect:
            response = event_stream(case["ollama_lines"][0], _nothing(), ChatChunks("x"))
            assert response.headers["content-type"] == expect["content_type"]
        assert all(json.loads(frame[6:])["id"] == writer["id"] for frame in sent if frame != b"data: [DONE]\n\n")
        return
    response = case["ollama_response"]
    if "tool_call_sent" in case:
        choice = finish_choice(response.get("done_reason"), tool_call_sent=case["tool_call_sent"])
        if "finish_chunk" in expect:
            assert {"choices": [choice]} == expect["finish_chunk"]
        if "raw_json_choice" in expect:
            subset(choice, expect["raw_json_choice"])
            assert b'"delta":{}' in event(choice)
        if "finish_chunk.created" in expect:
            assert ChatChunks("x").chunk(response, [choice])["created"] == expect["finish_chunk.created"]
            zero = ChatChunks("x").chunk({**response, "created_at": "0001-01-01T00:00:00Z"}, [choice])
            assert abs(zero["created"] - time.time()) < 3600  # now, not year 1
        return
    if "include_role_true" in expect:
        subset(stream_choices(response, include_role=True)[0], _nested(expect["include_role_true"]))
        subset(stream_choices(response, include_role=False)[0], _nested(expect["include_role_false"]))
        return
    choices = stream_choices(response, include_role=case["include_role"])
    if "chunk_count" in expect:
        assert len(choices) == expect["chunk_count"]
    if "raw_delta" in expect:
        assert choices[0]["delta"] == expect["raw_delta"]
    for key in expect.get("absent_keys", ()):
        assert key not in choices[0]["delta"]
    if "chunks" in expect:
        assert len(choices) == len(expect["chunks"])
        for choice, check in zip(choices, expect["chunks"], strict=True):
            for key, value in check.items():
                assert path(choice, key) == value, (key, choice)


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"delta.role": x}`` as ``{"delta": {"role": x}}``."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        head, _, tail = key.partition(".")
        out.setdefault(head, {})[tail] = value
    return out


async def _nothing() -> Any:
    return
    yield


# ---- error_mapping and function --------------------------------------------------------------


@pytest.mark.parametrize("case", vector_params(FILE, "error_mapping"))
def test_error_mapping(case: dict[str, Any]) -> None:
    assert error_object(case["status"], case["message"]) == case["expect"]["body_json"]


@pytest.mark.parametrize("case", vector_params(FILE, "function"))
def test_function(case: dict[str, Any]) -> None:
    encoded = floats_to_base64(case["input"])
    if "base64" in case["expect"]:
        assert encoded == case["expect"]["base64"]
    if "decoded_bytes" in case["expect"]:
        raw = base64.b64decode(encoded)
        assert len(raw) == case["expect"]["decoded_bytes"]
        decoded = struct.unpack(f"<{len(case['input'])}f", raw)  # float32 little-endian
        assert decoded == pytest.approx(case["input"], rel=1e-6)
