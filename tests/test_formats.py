"""Format facts in one place each: the safetensors header reader and dtype table (shared
by lint and the converter), the GGUF value-type and file-type tables."""

from __future__ import annotations

import json
import os
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from hf_fixtures import tiny_model
from safetensors.numpy import load_file, save_file

from builder import ConvertError, convert
from builder.conversion import checkpoint
from builder.conversion.encode import file_type
from builder.manifest import file_type_name
from builder.quant_types import TYPES
from modelfile.gguf_metadata import FILE_TYPE_NUMBERS, FILE_TYPES, VALUE_TYPES, read_metadata
from modelfile.linter import lint_bytes
from modelfile.safetensors_header import DTYPE_BITS, MAX_HEADER, SafetensorsError, read_header
from modelfile.weights import Kind, inspect, safetensors_problem

#: Integer buffers real checkpoints carry, none of which a GGUF has a place for.
BUFFERS = {
    "model.layers.0.mlp.quant_state.counts": np.arange(6, dtype=np.uint16),
    "model.layers.0.mlp.down_proj.weight.absmax": np.arange(4, dtype=np.uint32),
    "model.layers.1.self_attn.seen_tokens": np.array([7, 8], dtype=np.uint64),
    "model.embed_positions.position_ids": np.arange(8, dtype=np.int64).reshape(1, 8),
    "model.layers.1.mlp.quant_map": np.arange(16, dtype=np.uint8),
}


def raw_safetensors(path: Path, header: dict[str, object], data: bytes) -> Path:
    """A safetensors file written byte by byte (for dtypes numpy has no type for)."""
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def with_buffers(folder: Path) -> Path:
    weights = load_file(str(folder / "model.safetensors"))
    save_file({**weights, **BUFFERS}, str(folder / "model.safetensors"))
    return folder


# ---- safetensors ---------------------------------------------------------------------------


def test_every_integer_dtype_is_read_with_its_size(tmp_path: Path) -> None:
    path = tmp_path / "buffers.safetensors"
    save_file({**BUFFERS, "b": np.array([True, False]), "i8": np.zeros(3, np.int8), "f64": np.ones(2)}, str(path))
    tensors = {t.name: t for t in read_header(path)}
    assert {name: tensors[name].dtype for name in BUFFERS} == {
        "model.layers.0.mlp.quant_state.counts": "U16",
        "model.layers.0.mlp.down_proj.weight.absmax": "U32",
        "model.layers.1.self_attn.seen_tokens": "U64",
        "model.embed_positions.position_ids": "I64",
        "model.layers.1.mlp.quant_map": "U8",
    }
    assert (tensors["b"].dtype, tensors["i8"].dtype, tensors["f64"].dtype) == ("BOOL", "I8", "F64")
    assert all(t.end - t.start == t.elements * DTYPE_BITS[t.dtype] // 8 for t in tensors.values())
    assert safetensors_problem(path) is None


def test_sub_byte_dtypes_must_fill_whole_bytes(tmp_path: Path) -> None:
    ok = raw_safetensors(
        tmp_path / "ok.safetensors",
        {
            "f4": {"dtype": "F4", "shape": [4], "data_offsets": [0, 2]},
            "f6": {"dtype": "F6_E2M3", "shape": [4], "data_offsets": [2, 5]},
        },
        bytes(5),
    )
    assert [(t.name, t.end - t.start) for t in read_header(ok)] == [("f4", 2), ("f6", 3)]
    odd = raw_safetensors(
        tmp_path / "odd.safetensors", {"f4": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}}, bytes(2)
    )
    with pytest.raises(
        SafetensorsError, match=r"tensor f4: 2 bytes for F4 \[3\] \(which needs 1.5 \(not a whole number\)\)"
    ):
        read_header(odd)


def test_a_dtype_safetensors_does_not_define_is_refused_by_name(tmp_path: Path) -> None:
    path = raw_safetensors(
        tmp_path / "model.safetensors", {"w": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 1]}}, bytes(1)
    )
    with pytest.raises(SafetensorsError, match=r"model.safetensors: tensor w: unknown dtype 'Q4'$"):
        read_header(path)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:0\n", "a Git LFS pointer, not the weights"),
        (b"\x05\x00", "2 bytes is too short for a safetensors file"),
        (struct.pack("<Q", 4) + b"{no}", "header is not valid JSON"),
        (struct.pack("<Q", 64) + b"{}", "header claims 64 bytes but the file has 10"),
        (struct.pack("<Q", 2) + b"[]", "header is not a JSON object"),
    ],
)
def test_lint_and_the_converter_give_one_error_text(data: bytes, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(data)
    with pytest.raises(SafetensorsError) as caught:
        read_header(path)
    assert caught.value.reason.startswith(reason)
    assert safetensors_problem(path) == f"model.safetensors: {caught.value.reason}"
    with pytest.raises(ConvertError) as converting:
        checkpoint.read_header(path)
    assert str(converting.value) == f"{path}: {caught.value.reason}"


def test_one_header_limit_safetensors_own(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    with path.open("wb") as handle:  # sparse: the claimed header is never read
        handle.write(struct.pack("<Q", MAX_HEADER + 1))
        handle.truncate(MAX_HEADER + 64)
    expected = f"header claims {MAX_HEADER + 1} bytes, more than safetensors allows ({MAX_HEADER})"
    assert safetensors_problem(path) == f"model.safetensors: {expected}"
    with pytest.raises(ConvertError, match=r"more than safetensors allows"):
        checkpoint.read_header(path)


def test_a_fifo_named_like_safetensors_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    result: list[str | None] = []
    reader = threading.Thread(target=lambda: result.append(safetensors_problem(fifo)), daemon=True)
    reader.start()
    reader.join(10)
    assert result == ["model.safetensors: is a named pipe (FIFO), not a regular file"]
    with pytest.raises(ConvertError, match=r"model.safetensors: is a named pipe \(FIFO\), not a regular file$"):
        checkpoint.read_header(fifo)
    with pytest.raises(OSError, match="named pipe"):
        read_metadata(fifo)


# ---- the converter decides what each tensor is ---------------------------------------------


def test_integer_buffers_are_skipped_by_the_converter(tmp_path: Path) -> None:
    plain = tiny_model("llama", tmp_path / "a" / "model", tokenizer="spm")
    buffered = with_buffers(tiny_model("llama", tmp_path / "b" / "model", tokenizer="spm"))
    assert {t.dtype for t in read_header(buffered / "model.safetensors")} >= {"U16", "U32", "U64", "I64", "U8"}
    expected = convert(plain, tmp_path / "plain.gguf", outtype="f16").path.read_bytes()
    assert convert(buffered, tmp_path / "buffered.gguf", outtype="f16").path.read_bytes() == expected


def test_a_weight_in_an_integer_dtype_is_refused_by_name_and_dtype(tmp_path: Path) -> None:
    folder = tiny_model("llama", tmp_path / "model", tokenizer="spm")
    weights = load_file(str(folder / "model.safetensors"))
    name = "model.layers.0.self_attn.q_proj.weight"
    weights[name] = weights[name].astype(np.int8)
    save_file(weights, str(folder / "model.safetensors"))
    with pytest.raises(ConvertError, match=rf"tensor {name} is I8; mfc converts F32, F16 and BF16 weights"):
        convert(folder, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()


def test_lint_finds_no_dtype_problem_in_a_folder_with_integer_buffers(tmp_path: Path) -> None:
    folder = with_buffers(tiny_model("llama", tmp_path / "model", tokenizer="spm"))
    assert inspect(folder).kind is Kind.SAFETENSORS_DIR and inspect(folder).usable
    found = lint_bytes(b"FROM ./model\n", path=str(tmp_path / "Modelfile"))
    assert [d for d in found if d.code in ("MF103", "MF104")] == []


# ---- GGUF ----------------------------------------------------------------------------------


def test_value_types_agree_with_gguf_py() -> None:
    from gguf.constants import GGUFValueType

    short = {"UINT": "u", "INT": "i", "FLOAT": "f"}
    for member in GGUFValueType:
        name = member.name.lower()
        for long, letter in short.items():
            if member.name.startswith(long):
                name = letter + member.name[len(long) :]
        assert VALUE_TYPES[int(member)].name == name
    assert len(VALUE_TYPES) == len(GGUFValueType)


def test_file_types_agree_with_llama_cpp_and_every_user_of_them() -> None:
    from gguf.constants import LlamaFileType

    known = {m.name.removeprefix("MOSTLY_").removeprefix("ALL_"): int(m) for m in LlamaFileType}
    assert all(known[name] == number for number, name in FILE_TYPES.items() if name in known)
    assert {t.name: t.ftype for t in TYPES} == {t.name: FILE_TYPE_NUMBERS[t.name] for t in TYPES}
    assert [file_type(o) for o in ("f32", "f16", "bf16", "q8_0")] == [0, 1, 32, 7]
    assert [file_type_name(v) for v in (None, 0, 15, 38, 99)] == [
        "unknown",
        "unknown",
        "Q4_K_M",
        "MXFP4_MOE",
        "unknown",
    ]
