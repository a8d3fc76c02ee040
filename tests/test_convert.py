"""safetensors → GGUF: every architecture against transformers' forward pass, real
checkpoints (all-MiniLM-L6-v2, SmolLM2-135M), LoRA adapters, damaged inputs, memory,
the CLI, and conversion inside ``mfc build``."""

from __future__ import annotations

import json
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hf_fixtures import (
    DEFAULT_TOKENIZER,
    broken_safetensors,
    lora_adapter,
    merged_model,
    minilm_folder,
    reference_embeddings,
    reference_logits,
    smollm2_checkpoint,
    tiny_model,
)
from models import mfc, tree

from builder import ConvertError, Store, build, convert, convert_lora, llama_log
from builder.conversion.checkpoint import open_checkpoint
from builder.run import Runner
from modelfile.gguf_metadata import read_metadata

TEXT = "The quick brown fox jumps over the lazy dog. 3 + 4 = 7, isn't it?"


@pytest.fixture(autouse=True)
def quiet_llama() -> None:
    llama_log.install(verbose=False)


def llama_logits(gguf_path: Path, ids: list[int], lora: Path | None = None) -> np.ndarray:
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(gguf_path), logits_all=True, n_ctx=256, verbose=False, lora_path=str(lora) if lora else None
    )
    llm.eval(ids)
    logits = np.array(llm.scores[: len(ids)], dtype=np.float32)
    llm.close()
    return logits


CASES = {
    "llama": ("llama", {}),
    "llama-bpe": ("llama", {"tokenizer": "bpe"}),
    "llama-tied": ("llama", {"tied": True}),
    "llama3-rope": ("llama", {"llama3_rope": True}),
    "llama-bf16": ("llama", {"dtype": "bfloat16"}),
    "mistral": ("mistral", {}),
    "qwen2": ("qwen2", {}),
    "qwen2-f16": ("qwen2", {"dtype": "float16"}),
    "qwen3": ("qwen3", {}),
    "gemma": ("gemma", {}),
    "gemma2": ("gemma2", {}),
    "phi3": ("phi3", {}),
    "llama3-rope-v5-config": ("llama", {"llama3_rope": True, "config_format": "v5"}),
    "phi3-v5-config": ("phi3", {"config_format": "v5"}),
    "qwen3-v5-config": ("qwen3", {"config_format": "v5"}),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_llama_cpp_matches_transformers(case: tuple[str, dict[str, object]], tmp_path: Path) -> None:
    arch, options = case
    folder = tiny_model(
        arch, tmp_path / "hf", tokenizer=str(options.pop("tokenizer", DEFAULT_TOKENIZER[arch])), **options
    )  # type: ignore[arg-type]
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    ids, expected = reference_logits(folder, TEXT)
    got = llama_logits(result.path, ids)
    assert got.shape == expected.shape
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert np.abs(got - expected).max() < 0.05 * np.abs(expected).max()
    assert llama_log.take_errors() == []


@pytest.mark.parametrize("kind", ["spm", "bpe", "wordpiece"])
def test_llama_cpp_tokenizes_like_the_reference_tokenizer(kind: str, tmp_path: Path) -> None:
    """SentencePiece models against sentencepiece itself (transformers' LlamaTokenizer
    differs from it on leading spaces); BPE and WordPiece against transformers."""
    from llama_cpp import Llama
    from transformers import AutoTokenizer

    arch = {"spm": "llama", "bpe": "qwen2", "wordpiece": "bert"}[kind]
    folder = tiny_model(arch, tmp_path / "hf", tokenizer=kind)
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    if kind == "spm":
        import sentencepiece

        processor = sentencepiece.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))

        def reference(text: str) -> list[int]:
            return [processor.bos_id(), *processor.encode(text)]
    else:
        reference = AutoTokenizer.from_pretrained(folder).encode
    llm = Llama(model_path=str(result.path), vocab_only=True, verbose=False)
    for text in (TEXT, "Hello world", "  leading spaces and\nnew lines\t tabs", "numbers 12345 and ümlauts"):
        assert llm.tokenize(text.encode(), add_bos=True, special=False) == reference(text), text


def test_bert_embeddings_match_sentence_transformers(tmp_path: Path) -> None:
    folder = tiny_model("bert", tmp_path / "hf", tokenizer="wordpiece")
    store = tmp_path / "store"
    (tmp_path / "Modelfile").write_text(f"FROM {folder}\n")
    assert mfc("build", "--quiet", "-t", "tiny-bert", "--store", str(store), cwd=tmp_path).returncode == 0
    sentences = ["The cat sits on the mat.", "A quick brown fox.", "Quantum chromodynamics."]
    result = mfc("embed", "tiny-bert", *sentences, "--store", str(store))
    got = np.array(json.loads(result.stdout)["embeddings"])
    expected = reference_embeddings(folder, sentences)
    assert (got * expected).sum(axis=1).min() > 0.999


def test_all_minilm_l6_v2_embeddings(tmp_path: Path) -> None:
    """The real sentence-transformers model: cosine >= 0.999 to the reference on every sentence."""
    store = tmp_path / "store"
    (tmp_path / "Modelfile").write_text(f"FROM {minilm_folder()}\n")
    assert mfc("build", "--quiet", "-t", "minilm", "--store", str(store), cwd=tmp_path).returncode == 0
    sentences = [
        "The cat sits on the mat.",
        "A man is playing a guitar.",
        "Stocks fell sharply on Monday.",
        "How do I bake sourdough bread?",
        "Photosynthesis converts light into chemical energy.",
        "I love pizza",
        "The weather is lovely today",
    ]
    got = np.array(json.loads(mfc("embed", "minilm", *sentences, "--store", str(store)).stdout)["embeddings"])
    expected = reference_embeddings(minilm_folder(), sentences)
    cosine = (got * expected).sum(axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(expected, axis=1)
    assert cosine.min() >= 0.999, cosine


def test_smollm2_continues_a_prompt_exactly_as_transformers(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A real trained Llama-family checkpoint: 32 greedy tokens, identical."""
    import torch
    from llama_cpp import Llama
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = smollm2_checkpoint(tmp_path_factory.mktemp("smollm2"))
    out = tmp_path_factory.mktemp("gguf") / "smollm2-f32.gguf"
    convert(folder, out, outtype="f32")
    prompt = "The three primary colors are"
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ids = tokenizer.encode(prompt)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    with torch.no_grad():
        generated = model.generate(torch.tensor([ids]), max_new_tokens=32, do_sample=False)[0][len(ids) :].tolist()
    llm = Llama(model_path=str(out), n_ctx=256, verbose=False)
    ours = []
    for token in llm.generate(ids, temp=0.0, top_k=1, repeat_penalty=1.0):
        ours.append(int(token))
        if len(ours) == 32:
            break
    assert ours == generated[: len(ours)] and len(ours) == 32, (tokenizer.decode(ours), tokenizer.decode(generated))


def test_lora_applied_by_llama_cpp_equals_the_merged_model(tmp_path: Path) -> None:
    base = tiny_model("llama", tmp_path / "base", tokenizer="spm")
    adapter = lora_adapter(base, tmp_path / "adapter")
    merged = merged_model(base, adapter, tmp_path / "merged")
    base_gguf = convert(base, tmp_path / "base.gguf", outtype="f32").path
    lora_gguf = convert_lora(adapter, base, tmp_path / "lora.gguf").path
    merged_gguf = convert(merged, tmp_path / "merged.gguf", outtype="f32").path
    meta = read_metadata(lora_gguf)
    assert (meta.metadata["general.type"], meta.metadata["adapter.type"]) == ("adapter", "lora")
    ids, _ = reference_logits(base, TEXT)
    with_adapter = llama_logits(base_gguf, ids, lora=lora_gguf)
    expected = llama_logits(merged_gguf, ids)
    without = llama_logits(base_gguf, ids)
    assert np.abs(with_adapter - expected).max() < 1e-3 * np.abs(expected).max() + 1e-3
    assert np.abs(without - expected).max() > 100 * np.abs(with_adapter - expected).max()  # the adapter matters
    # and against a GGUF base, whose shapes come from the GGUF's metadata
    again = convert_lora(adapter, base_gguf, tmp_path / "lora2.gguf").path
    assert again.read_bytes() == lora_gguf.read_bytes()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("truncated", "truncated"),
        ("lying-header", "past the"),
        ("header-too-long", "header claims"),
        ("bad-json", "header is not valid JSON"),
        ("nan", "NaN or infinite"),
        ("shape-mismatch", "but config.json implies"),
        ("missing-config-key", "missing 'num_attention_heads'"),
    ],
)
def test_damaged_inputs_are_clear_errors_and_write_nothing(kind: str, message: str, tmp_path: Path) -> None:
    folder = broken_safetensors(kind, tmp_path / "hf")
    out = tmp_path / "out" / "model.gguf"
    out.parent.mkdir()
    with pytest.raises(ConvertError, match=message) as caught:
        convert(folder, out, outtype="f16")
    assert "\n" not in str(caught.value)
    assert list(out.parent.iterdir()) == []
    result = mfc("convert", str(folder), "-o", str(out))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert list(out.parent.iterdir()) == []


def test_sharded_checkpoints_convert_like_single_files(tmp_path: Path) -> None:
    sharded = broken_safetensors("sharded", tmp_path / "a" / "model")  # same folder name: same general.name
    assert len(list(sharded.glob("*.safetensors"))) > 1
    single = tiny_model("llama", tmp_path / "b" / "model", tokenizer="spm")
    a = convert(sharded, tmp_path / "a.gguf", outtype="f16").path.read_bytes()
    b = convert(single, tmp_path / "b.gguf", outtype="f16").path.read_bytes()
    assert a == b


def test_an_unsupported_architecture_fails_before_any_tensor_is_read(tmp_path: Path) -> None:
    folder = broken_safetensors("truncated", tmp_path / "hf")
    config = json.loads((folder / "config.json").read_text())
    config["architectures"] = ["GPTNeoXForCausalLM"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConvertError, match=r"GPTNeoXForCausalLM is not supported \(mfc converts .*LlamaForCausalLM"):
        convert(folder, tmp_path / "out.gguf")


def test_an_unknown_pre_tokenizer_is_an_error_naming_its_hash(tmp_path: Path) -> None:
    folder = tiny_model("qwen2", tmp_path / "hf", tokenizer="bpe")
    data = json.loads((folder / "tokenizer.json").read_text())
    data["model"]["merges"] = data["model"]["merges"][:-5000]  # another tokenizer: other ids for the test text
    (folder / "tokenizer.json").write_text(json.dumps(data))
    with pytest.raises(ConvertError, match=r"unknown BPE pre-tokenizer \(hash [0-9a-f]{64}\)"):
        convert(folder, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()


def test_output_types_and_one_d_tensors(tmp_path: Path) -> None:
    folder = tiny_model("llama", tmp_path / "hf", tokenizer="spm", dtype="bfloat16")
    for outtype, expected in (("auto", "BF16"), ("f16", "F16"), ("q8_0", "Q8_0"), ("f32", "F32")):
        result = convert(folder, tmp_path / f"{outtype}.gguf", outtype=outtype)
        meta = read_metadata(result.path, tensors=True)
        from builder.ggml_types import type_name

        types = {t.name: type_name(t.ggml_type) for t in meta.tensors}
        assert types["blk.0.attn_q.weight"] == expected
        assert types["blk.0.attn_norm.weight"] == types["output_norm.weight"] == "F32"


def test_memory_stays_within_a_slab_whatever_the_tensor_size(tmp_path: Path) -> None:
    """A 128 MB float32 tensor is written as F16 with traced allocations of a few slabs."""
    from safetensors.numpy import save_file

    from builder.conversion.encode import T
    from builder.conversion.stream import SLAB, StreamedTensor, TensorJob

    rows, width = 2048, 16384
    save_file(
        {"w": np.random.default_rng(0).standard_normal((rows, width), dtype=np.float32)},
        str(tmp_path / "model.safetensors"),
    )
    big = rows * width * 4
    checkpoint = open_checkpoint(tmp_path)
    tensor = checkpoint.tensors["w"]
    tracemalloc.start()
    with (tmp_path / "out.bin").open("wb") as handle:
        StreamedTensor(TensorJob("w.weight", tensor.shape, T.F16, tensor), checkpoint).tofile(handle)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    checkpoint.close()
    assert (tmp_path / "out.bin").stat().st_size == big // 2
    assert peak < 3 * SLAB + 4_000_000 < big / 2, (peak, big)


def test_cli_convert_json_and_lora(tmp_path: Path) -> None:
    folder = tiny_model("qwen3", tmp_path / "hf", tokenizer="bpe")
    result = mfc("convert", str(folder), "-o", str(tmp_path / "q.gguf"), "--outtype", "q8_0", "--json")
    data = json.loads(result.stdout)
    assert (data["ok"], data["architecture"], data["outtype"], data["pre_tokenizer"]) == (
        True,
        "qwen3",
        "q8_0",
        "smollm",
    )
    base = tiny_model("llama", tmp_path / "base", tokenizer="spm")
    adapter = lora_adapter(base, tmp_path / "adapter")
    lora = mfc("convert", "--lora", str(adapter), "--base", str(base), "-o", str(tmp_path / "l.gguf"))
    assert lora.returncode == 0, lora.stderr
    usage = mfc("convert", "--lora", str(adapter), "-o", str(tmp_path / "x.gguf"))
    assert usage.returncode == 2


def test_outtype_auto_does_what_its_help_says_on_a_float32_checkpoint(tmp_path: Path) -> None:
    """``--outtype auto`` promised "the checkpoint's own precision" and wrote F16 from an
    F32 checkpoint; it does what llama.cpp's ``auto`` does (F32 and F16 weights give
    F16, BF16 stays BF16), and the help says so."""
    from click.testing import CliRunner

    from builder.cli.main import cli
    from builder.ggml_types import type_name

    help_text = " ".join(CliRunner().invoke(cli, ["convert", "--help"]).output.split())
    assert "own precision" not in help_text
    assert "BF16 weights stay BF16, F16 and F32 weights become F16" in help_text
    folder = tiny_model("llama", tmp_path / "hf", tokenizer="spm", dtype="float32")
    result = mfc("convert", str(folder), "-o", str(tmp_path / "auto.gguf"), "--outtype", "auto", "--json")
    assert json.loads(result.stdout)["outtype"] == "f16"
    types = {t.name: type_name(t.ggml_type) for t in read_metadata(tmp_path / "auto.gguf", tensors=True).tensors}
    assert types["blk.0.attn_q.weight"] == "F16"
    assert types["blk.0.attn_norm.weight"] == "F32"


def test_build_converts_once_and_stores_only_the_gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tiny_model("llama", tmp_path / "hf", tokenizer="spm")
    (tmp_path / "Modelfile").write_text(f"FROM {folder}\nPARAMETER temperature 0\nPARAMETER num_predict 8\n")
    store = Store(tmp_path / "store")
    first = build(tmp_path / "Modelfile", "tiny", store=store)
    blobs = {p.name for p in store.blobs.iterdir()}
    safetensors_size = sum(p.stat().st_size for p in folder.glob("*.safetensors"))
    assert not any((store.blobs / b).stat().st_size == safetensors_size for b in blobs)
    assert read_metadata(store.blob_path(first.layers[0].digest)).architecture == "llama"
    assert list((store.root / ".mfc" / "tmp").iterdir()) == []  # the scratch conversion is gone

    def no_conversion(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged folder was converted again")

    monkeypatch.setattr("builder.conversion.convert", no_conversion)
    assert build(tmp_path / "Modelfile", "tiny", store=store).digest == first.digest
    answer = Runner(store, "tiny").generate([{"role": "user", "content": "hello"}])
    assert answer.eval_count > 0
    monkeypatch.undo()
    config = json.loads((folder / "config.json").read_text())
    config["rms_norm_eps"] = 0.00123  # a changed input: converted again, another model
    (folder / "config.json").write_text(json.dumps(config))
    assert build(tmp_path / "Modelfile", "tiny", store=store).digest != first.digest


@pytest.mark.parametrize("quantize", [None, "q8_0"])
def test_build_progress_names_the_folder_never_the_scratch_file(quantize: str | None, tmp_path: Path) -> None:
    """``copying model-1700-4420610107536.gguf`` meant nothing to the user: a build from
    folders names what they hold, whether the converted file is copied in or hashed for
    the quantizer."""
    from builder import quantize_options

    base = tiny_model("llama", tmp_path / "hf", tokenizer="spm")
    lora_adapter(base, tmp_path / "peft")
    (tmp_path / "Modelfile").write_text("FROM ./hf\n" + ("" if quantize else "ADAPTER ./peft\n"))
    statuses: list[str] = []
    options = quantize_options(quantize) if quantize else None
    build(
        tmp_path / "Modelfile",
        "tiny",
        store=tmp_path / "store",
        progress=lambda e: statuses.append(e.status),
        quantize=options,
    )
    scratch = re.compile(r"(model|adapter)-\d+-\d+\.gguf|\.mfc|tmp")
    assert [status for status in statuses if scratch.search(status)] == []
    if quantize:
        assert "hashing model converted from hf" in statuses
        assert any(re.fullmatch(r"quantizing \w+ model to Q8_0", status) for status in statuses)
    else:
        assert {"copying model converted from hf", "copying adapter converted from peft"} <= set(statuses)


def test_build_with_a_peft_adapter_and_a_failed_conversion(tmp_path: Path) -> None:
    base = tiny_model("llama", tmp_path / "base", tokenizer="spm")
    adapter = lora_adapter(base, tmp_path / "adapter")
    (tmp_path / "Modelfile").write_text(f"FROM {base}\nADAPTER {adapter}\n")
    store = Store(tmp_path / "store")
    result = build(tmp_path / "Modelfile", "tuned", store=store)
    kinds = [layer.media_type.rsplit(".", 1)[-1] for layer in result.layers]
    assert kinds[:2] == ["model", "adapter"]
    before = tree(store.root)
    broken = broken_safetensors("nan", tmp_path / "broken")
    (tmp_path / "Broken").write_text(f"FROM {broken}\n")
    with pytest.raises(Exception, match="NaN or infinite"):
        build(tmp_path / "Broken", "broken", store=store)
    assert tree(store.root) == before
    assert list((store.root / ".mfc" / "tmp").iterdir()) == []


@pytest.mark.parametrize("config_format", ["v4", "v5"])
def test_llama3_rope_freqs_are_transformers_frequencies(config_format: str, tmp_path: Path) -> None:
    """llama.cpp divides each base frequency by rope_freqs[i]: that must give transformers' inv_freq."""
    import gguf
    import torch
    from transformers import AutoConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    folder = tiny_model("llama", tmp_path / "hf", tokenizer="spm", llama3_rope=True, config_format=config_format)
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    reader = gguf.GGUFReader(result.path)
    factors = next(np.asarray(t.data) for t in reader.tensors if t.name == "rope_freqs.weight")
    config = AutoConfig.from_pretrained(folder)
    inv_freq, _ = ROPE_INIT_FUNCTIONS["llama3"](config, torch.device("cpu"))
    head_dim = config.hidden_size // config.num_attention_heads
    theta = float(config.rope_parameters["rope_theta"]) if hasattr(config, "rope_parameters") else config.rope_theta
    base = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    assert np.allclose(base / factors, inv_freq.numpy(), rtol=1e-5)
    assert factors.max() > 1  # the scaling really applies to some frequencies


@pytest.mark.parametrize(("dtype", "outtype"), [("float32", "f32"), ("bfloat16", "auto"), ("float16", "f16")])
def test_nan_is_found_when_bytes_are_copied_as_stored(dtype: str, outtype: str, tmp_path: Path) -> None:
    """With the output type the checkpoint's own, tensors are copied by the kernel and
    only checked: a NaN still stops the conversion, naming the tensor."""
    import torch
    from safetensors.torch import load_file, save_file

    folder = tiny_model("llama", tmp_path / "hf", tokenizer="spm", dtype=dtype)
    path = next(folder.glob("*.safetensors"))
    tensors = load_file(str(path))
    name = "model.layers.1.mlp.down_proj.weight"
    tensors[name][3, 5] = torch.nan
    save_file(tensors, str(path), metadata={"format": "pt"})
    with pytest.raises(ConvertError, match=rf"tensor {re.escape(name)} holds 1 NaN or infinite value\(s\)"):
        convert(folder, tmp_path / "out.gguf", outtype=outtype)
    assert not (tmp_path / "out.gguf").exists()
    assert not list(tmp_path.glob(".out.gguf.*"))


def test_fast_array_packing_is_byte_identical_to_gguf_py() -> None:
    import gguf

    from builder.conversion.stream import FastArrayWriter

    samples: list[tuple[list[object], object]] = [
        (["a", "Ġthe", "ü", "", "<|im_start|>", "\\u2581x"] * 50, None),
        ([1, 2, 3, -4] * 50, None),
        ([0.5, -1000.0, 1e-3] * 50, None),
        (list(range(1000)), gguf.GGUFValueType.UINT32),
        ([True, False] * 50, None),
    ]
    for values, sub_type in samples:
        stock = gguf.GGUFWriter(None, "llama")._pack_val(values, gguf.GGUFValueType.ARRAY, True, sub_type)
        fast = FastArrayWriter(None, "llama")._pack_val(values, gguf.GGUFValueType.ARRAY, True, sub_type)
        assert fast == stock


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_from_a_folder_and_mfc_run_continue_like_transformers(
    case: tuple[str, dict[str, object]], tmp_path: Path
) -> None:
    """The same models through ``FROM ./dir`` and the run engine: the greedy continuation
    of a raw prompt is transformers' own."""
    import torch
    from transformers import AutoModelForCausalLM

    arch, options = case
    options = dict(options)
    folder = tiny_model(
        arch, tmp_path / "hf", tokenizer=str(options.pop("tokenizer", DEFAULT_TOKENIZER[arch])), **options
    )  # type: ignore[arg-type]
    (tmp_path / "Modelfile").write_text(
        f"FROM {folder}\nTEMPLATE {{{{ .Prompt }}}}\nPARAMETER temperature 0\nPARAMETER num_predict 8\n"
        "PARAMETER repeat_penalty 1\nPARAMETER top_k 1\n"
    )
    store = Store(tmp_path / "store")
    build(tmp_path / "Modelfile", "m", store=store)
    prompt = "The quick brown fox jumps over"
    runner = Runner(store, "m")
    answer = runner.generate([{"role": "user", "content": prompt}])
    ids = runner.tokenize(answer.prompt)  # the prompt's tokens as llama.cpp reads them
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    with torch.no_grad():
        out = model.generate(
            torch.tensor([ids]),
            attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            max_new_tokens=answer.eval_count,
            do_sample=False,
            eos_token_id=runner.llm.token_eos(),
            pad_token_id=runner.llm.token_eos(),
        )
    new = out[0][len(ids) :].tolist()
    assert answer.eval_count > 0
    assert answer.tokens == new[: len(answer.tokens)]  # transformers may go on past llama.cpp's end of generation
