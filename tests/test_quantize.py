"""Quantization through llama.cpp: every check before the work, the types the issue
names loading and generating, reproducible bytes, no partial files, and builds that
quantize once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from models import REPO, mfc, smollm2_gguf, tree

from builder import Store, build
from builder.errors import BuildError, QuantizeError
from builder.ggml_types import tensor_bytes
from builder.manifest import MODEL, Config
from builder.quant_types import TYPES, available, parse_type
from builder.quantizer import estimate_size, quantize
from builder.run import Runner
from modelfile.gguf_metadata import read_metadata


@pytest.fixture(scope="module")
def f16(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An F16 GGUF of SmolLM2, made with llama.cpp from the bundled Q4_1 file."""
    path = tmp_path_factory.mktemp("f16") / "smollm2-f16.gguf"
    result = quantize(smollm2_gguf(), path, "F16", allow_requantize=True)
    assert result.file_type == 1
    return path


def no_work(*args: object, **kwargs: object) -> None:
    raise AssertionError("the quantization started")


@pytest.mark.parametrize("name", ["Q8_0", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_XS"])
def test_types_load_and_generate(f16: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / f"smollm2-{name}.gguf"
    ticks: list[tuple[int, int]] = []
    result = quantize(f16, out, name.lower(), progress=lambda e: ticks.append((e.completed, e.total)))
    meta = read_metadata(out, tensors=True)
    assert meta.file_type == result.file_type == parse_type(name).ftype
    tensor_data = sum(tensor_bytes(t) for t in meta.tensors)
    assert abs(tensor_data / 2**20 - result.quant_mib) < 0.01  # the size llama.cpp reported
    assert result.size == out.stat().st_size
    assert ticks[-1] == (272, 272) and len(ticks) == 272  # one progress step per tensor
    assert result.size <= estimate_size(read_metadata(f16, tensors=True), parse_type(name))
    (tmp_path / "Modelfile").write_text(f"FROM ./{out.name}\nPARAMETER num_predict 8\nPARAMETER seed 1\n")
    store = Store(tmp_path / "store")
    build(tmp_path / "Modelfile", "q", store=store)
    answer = Runner(store, "q").generate([{"role": "user", "content": "What is the capital of France?"}])
    assert answer.eval_count > 0 and answer.response.strip()


def test_output_is_byte_reproducible_for_any_thread_count(f16: Path, tmp_path: Path) -> None:
    one = quantize(f16, tmp_path / "a.gguf", "Q4_K_M", threads=1)
    two = quantize(f16, tmp_path / "b.gguf", "Q4_K_M")
    assert one.path.read_bytes() == two.path.read_bytes()


def test_requantizing_is_refused_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("builder.quantizer.run", no_work)
    with pytest.raises(QuantizeError, match=r"already quantized \(Q4_1.*--allow-requantize"):
        quantize(smollm2_gguf(), tmp_path / "out.gguf", "Q4_K_M")
    assert list(tmp_path.iterdir()) == []
    result = mfc("quantize", str(smollm2_gguf()), str(tmp_path / "out.gguf"), "q4_k_m")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1


def test_allow_requantize_works_and_warns(tmp_path: Path) -> None:
    result = quantize(smollm2_gguf(), tmp_path / "out.gguf", "Q8_0", allow_requantize=True)
    assert result.file_type == 7
    assert any("quality will be lower" in w for w in result.warnings)


def test_a_type_that_needs_an_imatrix_is_refused_before_any_work(
    f16: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builder.quantizer.run", no_work)
    with pytest.raises(QuantizeError, match="IQ2_XXS needs an importance matrix for this model"):
        quantize(f16, tmp_path / "out.gguf", "iq2_xxs")
    assert list(tmp_path.iterdir()) == []


def write_imatrix(path: Path, source: Path, *, width_error: int = 0) -> Path:
    """A dummy importance matrix in llama-imatrix's GGUF format: ones for every weight."""
    import gguf

    writer = gguf.GGUFWriter(path, arch="imatrix")
    for tensor in read_metadata(source, tensors=True).tensors:
        if len(tensor.shape) == 2 and tensor.name.endswith("weight"):
            writer.add_tensor(tensor.name + ".in_sum2", np.ones(tensor.shape[0] + width_error, dtype=np.float32))
            writer.add_tensor(tensor.name + ".counts", np.ones(1, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_an_imatrix_makes_iq2_xxs(f16: Path, tmp_path: Path) -> None:
    imatrix = write_imatrix(tmp_path / "imatrix.gguf", f16)
    result = quantize(f16, tmp_path / "out.gguf", "IQ2_XXS", imatrix=imatrix)
    assert result.file_type == 19


def test_a_failed_quantization_leaves_no_file(f16: Path, tmp_path: Path) -> None:
    imatrix = write_imatrix(tmp_path / "bad.gguf", f16, width_error=3)  # sizes llama.cpp refuses mid-way
    with pytest.raises(QuantizeError, match=r"llama\.cpp failed to quantize"):
        quantize(f16, tmp_path / "out.gguf", "IQ2_XXS", imatrix=imatrix)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.gguf"]


def test_ctrl_c_leaves_no_file(f16: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.gguf"
    process = subprocess.Popen(
        [sys.executable, "-m", "builder.cli.main", "quantize", str(f16), str(out), "IQ4_XS"],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.gguf.mfc-*.tmp")):
        assert time.monotonic() < deadline and process.poll() is None, "the quantization did not start"
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["q4_km"], "unknown quantization type 'q4_km'; did you mean Q4_K_M?"),
        (["Q4_K_M", "--output-tensor-type", "q9"], "unknown GGML type 'q9'"),
        (["Q4_K_M", "--imatrix", "/nonexistent.gguf"], "importance matrix /nonexistent.gguf: no such file"),
    ],
)
def test_bad_options_are_one_line_errors(f16: Path, tmp_path: Path, args: list[str], expected: str) -> None:
    result = mfc("quantize", str(f16), str(tmp_path / "out.gguf"), *args)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {expected}" or result.stderr.startswith(f"error: {expected}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_output_folder_and_disk_are_checked_first(f16: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("builder.quantizer.run", no_work)
    with pytest.raises(QuantizeError, match="no such folder"):
        quantize(f16, tmp_path / "missing" / "out.gguf", "Q8_0")
    with pytest.raises(QuantizeError, match="is the source"):
        quantize(f16, f16, "Q8_0")
    monkeypatch.setattr("os.access", lambda path, mode: False)
    with pytest.raises(QuantizeError, match="not writable"):
        quantize(f16, tmp_path / "out.gguf", "Q8_0")
    monkeypatch.undo()
    monkeypatch.setattr("builder.quantizer.run", no_work)

    class Usage:
        free = 10_000_000

    monkeypatch.setattr("shutil.disk_usage", lambda path: Usage())
    with pytest.raises(QuantizeError, match=r"not enough free disk .* about \d+ MB needed, 10 MB free"):
        quantize(f16, tmp_path / "out.gguf", "Q8_0")


def test_llama_cpp_chatter_is_hidden_unless_verbose(f16: Path, tmp_path: Path) -> None:
    quiet = mfc("quantize", str(f16), str(tmp_path / "a.gguf"), "q8_0")
    assert quiet.returncode == 0, quiet.stderr
    assert "llama_model_loader" not in quiet.stderr
    assert quiet.stdout.startswith(f"wrote {tmp_path / 'a.gguf'}: Q8_0")
    loud = mfc("quantize", str(f16), str(tmp_path / "b.gguf"), "q8_0", "--verbose")
    assert "llama_model_loader" in loud.stderr


def test_list_names_every_type_with_bits_and_imatrix() -> None:
    rows = json.loads(mfc("quantize", "--list", "--json").stdout)["types"]
    assert [r["type"] for r in rows] == [t.name for t in available()]
    assert {r["type"] for r in rows} >= {"Q4_K_M", "IQ2_XXS", "TQ1_0", "BF16", "MXFP4_MOE"}
    by_name = {r["type"]: r for r in rows}
    assert by_name["IQ2_XXS"]["imatrix"] == "required" and by_name["Q8_0"]["imatrix"] == "no"
    assert by_name["Q4_K_M"]["bits_per_weight"] == 4.5
    text = mfc("quantize", "--list").stdout
    assert "Q4_K_M" in text and "required for most models" in text


def test_ollama_spellings() -> None:
    assert parse_type("q4_K").name == "Q4_K_M"
    assert parse_type("Q5_k").name == "Q5_K_M"
    assert parse_type("fp16").name == "F16"
    assert parse_type(" mxfp4 ").name == "MXFP4_MOE"
    assert len({t.ftype for t in TYPES}) == len(TYPES)


def test_build_quantizes_once_and_reproducibly(f16: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Modelfile").write_text(f"FROM {f16}\nSYSTEM Be brief.\n")
    store = Store(tmp_path / "store")
    events: list[str] = []
    first = build(
        tmp_path / "Modelfile", "q", store=store, quantize="q4_K_M", progress=lambda e: events.append(e.status)
    )
    assert "quantizing F16 model to Q4_K_M" in events
    manifest = store.find("q").manifest
    config = Config.decode(store.read_blob(manifest.config.digest))
    assert config.file_type == "Q4_K_M"
    assert read_metadata(store.blob_path(manifest.layers_of(MODEL)[0].digest)).file_type == 15
    assert not any(p.stat().st_size == f16.stat().st_size for p in store.blobs.iterdir())  # no F16 copy stored
    monkeypatch.setattr("builder.quantizer.run", no_work)  # a rebuild must not quantize again
    assert build(tmp_path / "Modelfile", "q", store=store, quantize="Q4_K_M").digest == first.digest
    monkeypatch.undo()
    other = Store(tmp_path / "other")  # and a fresh quantization gives the same bytes
    assert build(tmp_path / "Modelfile", "q", store=other, quantize="Q4_K_M").digest == first.digest


def test_build_refuses_to_requantize_before_writing(tmp_path: Path) -> None:
    (tmp_path / "Modelfile").write_text(f"FROM {smollm2_gguf()}\n")
    store = Store(tmp_path / "store")
    with pytest.raises(BuildError, match=r"--quantize Q4_K_M: .* is already quantized"):
        build(tmp_path / "Modelfile", "q", store=store, quantize="Q4_K_M")
    assert tree(store.root) == {}
    result = mfc("build", "-t", "q", "-q", "q4_K_M", "--store", str(store.root), cwd=tmp_path)
    assert result.returncode == 1 and "already quantized" in result.stderr
    assert tree(store.root) == {}


def test_a_failed_quantization_in_a_build_leaves_the_store_as_it_was(f16: Path, tmp_path: Path) -> None:
    (tmp_path / "Keep").write_text(f"FROM {smollm2_gguf()}\n")
    store = Store(tmp_path / "store")
    build(tmp_path / "Keep", "keep", store=store)
    before = tree(store.root)
    imatrix = write_imatrix(tmp_path / "bad.gguf", f16, width_error=3)
    (tmp_path / "Modelfile").write_text(f"FROM {f16}\nSYSTEM new text\n")
    result = mfc(
        "build", "-t", "q", "-q", "IQ2_XXS", "--imatrix", str(imatrix), "--store", str(store.root), cwd=tmp_path
    )
    assert result.returncode == 1
    assert "llama.cpp failed to quantize" in result.stderr.strip().splitlines()[-1]
    assert tree(store.root) == before


def test_the_api_names_are_the_functions() -> None:
    import builder.create
    import builder.quantizer
    from builder import build as build_function
    from builder import quantize as quantize_function

    assert callable(build_function) and build_function is builder.create.build
    assert quantize_function is quantize


def test_a_failed_quantization_of_a_converted_folder_names_the_folder(tmp_path: Path) -> None:
    """The error named the build's scratch file (``.mfc/tmp/model-1700-….gguf``)."""
    from hf_fixtures import tiny_model

    from builder import convert

    tiny_model("llama", tmp_path / "hf", tokenizer="spm")
    imatrix = write_imatrix(tmp_path / "bad.gguf", convert(tmp_path / "hf", tmp_path / "ref.gguf").path, width_error=3)
    (tmp_path / "Modelfile").write_text("FROM ./hf\n")
    result = mfc("build", "t", "-q", "Q4_K_M", "--imatrix", str(imatrix), "--store", str(tmp_path / "s"), cwd=tmp_path)
    assert result.returncode == 1
    assert "failed to quantize model converted from hf to Q4_K_M: " in result.stderr
    assert ".mfc" not in result.stderr and "model-" not in result.stderr


#: ``mfc`` with llama.cpp's quantizer replaced by one that never ends and reports a
#: tensor as fast as it can from its thread: a Ctrl-C then always meets a bar in use,
#: and the thread goes on reporting while the process takes a moment to end.
ENDLESS_QUANTIZER = """
import atexit, itertools, sys, time
import builder.quantizer
from builder.events import TENSORS, Event

def endless(source, target, opts, *, dry_run=False, progress=None, status=""):
    target.write_bytes(b"")
    for done in itertools.count():
        progress(Event(status, 10**9, done, TENSORS))
        time.sleep(0)

builder.quantizer._run_llama = endless
atexit.register(time.sleep, 0.2)
from builder.cli.main import main
main(sys.argv[1:])
"""


def test_ctrl_c_on_a_terminal_shows_the_cursor_again(f16: Path, tmp_path: Path) -> None:
    """click's bar hides the cursor while it draws; after Ctrl-C, with the quantizer's
    thread still reporting, the terminal gets it back (the last hide is followed by a
    show) and the output file is gone."""
    import os
    import pty

    leader, follower = pty.openpty()
    command = [sys.executable, "-c", ENDLESS_QUANTIZER, "quantize", str(f16), str(tmp_path / "out.gguf"), "IQ4_XS"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    output = b""
    try:
        while b"\x1b[?25l" not in output:  # the bar is drawn
            chunk = _read_terminal(leader)
            assert chunk, f"the quantization ended before its bar was drawn: {output!r}"
            output += chunk
        process.send_signal(signal.SIGINT)
        while chunk := _read_terminal(leader):
            output += chunk
        assert process.wait(timeout=30) == 130
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    assert output.rindex(b"\x1b[?25h") > output.rindex(b"\x1b[?25l"), output[-300:]
    # the message is the last thing shown (a drawing thread may still send a cursor-show after it)
    assert output.replace(b"\x1b[?25h", b"").endswith(b"mfc: interrupted\r\n")
    assert list(tmp_path.iterdir()) == []


def _read_terminal(fd: int) -> bytes:
    import os

    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the other end is closed and drained
        return b""
