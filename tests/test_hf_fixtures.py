"""Self-checks for ``hf_fixtures``: the Hugging Face checkpoints the converter tests use are
what they claim to be (transformers loads and runs them, the tokenizers hash as llama.cpp
expects, the SmolLM2 checkpoint permutes back to the GGUF exactly, LoRA changes outputs)."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import hf_fixtures as hf
import numpy as np
import pytest
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

HASHES = Path("/work/shared/vectors/llamacpp/pre_tokenizer_hashes.json")
SMOLLM_HASH = "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249"
TEXT = "The llamas walked 1234 miles to the old town."


def chktxt() -> str:
    text: str = json.loads(HASHES.read_text(encoding="utf-8"))["chktxt"]
    return text


def chkhsh(ids: list[int]) -> str:
    """llama.cpp's pre-tokenizer fingerprint: sha256 of str() of the id list."""
    return hashlib.sha256(str(ids).encode()).hexdigest()


def safetensors_header(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header: dict[str, Any] = json.loads(raw[8 : 8 + length])
    return header


# ---------------------------------------------------------------------------------------------
# Tiny models
# ---------------------------------------------------------------------------------------------

VARIANTS = [
    *[pytest.param(arch, {}, id=arch) for arch in hf.ARCHS],
    pytest.param("llama", {"tokenizer": "bpe"}, id="llama-bpe"),
    pytest.param("llama", {"tied": True}, id="llama-tied"),
    pytest.param("llama", {"llama3_rope": True}, id="llama-llama3-rope"),
    pytest.param("llama", {"dtype": "float16"}, id="llama-f16"),
    pytest.param("qwen2", {"dtype": "bfloat16"}, id="qwen2-bf16"),
    pytest.param("phi3", {"config_format": "v5"}, id="phi3-v5-config"),
]


@pytest.mark.parametrize(("arch", "options"), VARIANTS)
def test_tiny_model_builds_loads_and_runs(arch: str, options: dict[str, Any], tmp_path: Path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    folder = hf.tiny_model(arch, tmp_path / arch, **options)
    config = json.loads((folder / "config.json").read_text())
    tok = AutoTokenizer.from_pretrained(str(folder))
    assert config["vocab_size"] == len(tok)
    assert (folder / "model.safetensors").is_file()
    assert AutoConfig.from_pretrained(str(folder)).model_type == arch

    dtype = options.get("dtype", "float32")
    want = {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}[dtype]
    header = safetensors_header(folder / "model.safetensors")
    assert {v["dtype"] for k, v in header.items() if k != "__metadata__"} == {want}
    assert header["__metadata__"]["format"] == "pt"

    if options.get("config_format", "v4") == "v4":
        assert "rope_parameters" not in config
        assert "torch_dtype" in config and "dtype" not in config
        if arch != "bert":
            assert isinstance(config["rope_theta"], float)
    else:
        assert "rope_theta" in config["rope_parameters"]

    if arch == "bert":
        assert json.loads((folder / "modules.json").read_text())[1]["type"].endswith("Pooling")
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
        assert pooling["pooling_mode_mean_tokens"] and pooling["word_embedding_dimension"] == config["hidden_size"]
        embeddings = hf.reference_embeddings(folder, ["a llama in the hills", "two dogs", ""])
        assert embeddings.shape == (3, config["hidden_size"]) and embeddings.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-5)
        return

    assert (folder / "generation_config.json").is_file()
    assert config["num_key_value_heads"] == 2 and config["num_attention_heads"] == 4
    expect_tied = options.get("tied", arch in ("gemma", "gemma2", "qwen2", "qwen3"))
    assert config["tie_word_embeddings"] is expect_tied
    assert ("lm_head.weight" in header) is not expect_tied
    tokenizer_config = json.loads((folder / "tokenizer_config.json").read_text())
    assert "{% for message in messages %}" in tokenizer_config["chat_template"]
    tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)

    ids, logits = hf.reference_logits(folder, TEXT)
    assert logits.shape == (len(ids), config["vocab_size"]) and logits.dtype == np.float32
    assert np.isfinite(logits).all()
    # Logits are spread out, so argmax comparisons between implementations mean something.
    assert logits.std() > 0.5
    top2 = np.sort(logits, axis=1)[:, -2:]
    assert np.median(top2[:, 1] - top2[:, 0]) > 0.05
    if options.get("llama3_rope"):
        assert config["rope_scaling"]["rope_type"] == "llama3"
        assert config["max_position_embeddings"] > config["rope_scaling"]["original_max_position_embeddings"]


def test_tiny_models_are_deterministic(tmp_path: Path) -> None:
    a = hf.tiny_model("qwen3", tmp_path / "a", seed=3)
    b = hf.tiny_model("qwen3", tmp_path / "b", seed=3)
    c = hf.tiny_model("qwen3", tmp_path / "c", seed=4)
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()
    assert (a / "model.safetensors").read_bytes() != (c / "model.safetensors").read_bytes()
    assert (a / "config.json").read_text() == (b / "config.json").read_text()


def test_v4_and_v5_config_layouts_are_the_same_model(tmp_path: Path) -> None:
    v4 = hf.tiny_model("llama", tmp_path / "v4", llama3_rope=True)
    v5 = hf.tiny_model("llama", tmp_path / "v5", llama3_rope=True, config_format="v5")
    old, new = (json.loads((f / "config.json").read_text()) for f in (v4, v5))
    assert old["rope_scaling"] == {k: v for k, v in new["rope_parameters"].items() if k != "rope_theta"}
    assert old["rope_theta"] == new["rope_parameters"]["rope_theta"] == 500000.0
    ids_old, logits_old = hf.reference_logits(v4, TEXT)
    ids_new, logits_new = hf.reference_logits(v5, TEXT)
    assert ids_old == ids_new
    np.testing.assert_array_equal(logits_old, logits_new)


def test_llama3_rope_scaling_changes_outputs(tmp_path: Path) -> None:
    """Same weights, rope_theta 500000 with and without llama3 scaling: outputs must differ."""
    scaled = hf.tiny_model("llama", tmp_path / "scaled", llama3_rope=True)
    plain = hf.tiny_model("llama", tmp_path / "plain", llama3_rope=True)
    config = json.loads((plain / "config.json").read_text())
    config["rope_scaling"] = None
    (plain / "config.json").write_text(json.dumps(config))
    _, a = hf.reference_logits(scaled, TEXT * 3)
    _, b = hf.reference_logits(plain, TEXT * 3)
    assert np.abs(a - b).max() > 1e-2


# ---------------------------------------------------------------------------------------------
# Tokenizers
# ---------------------------------------------------------------------------------------------


def test_bpe_tokenizer_reproduces_smollm_pre_tokenizer_hash(tmp_path: Path) -> None:
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    folder = hf.smollm2_tokenizer(tmp_path / "bpe")
    mapping = json.loads(HASHES.read_text())["effective_mapping_last_match_wins"]
    raw = Tokenizer.from_file(str(folder / "tokenizer.json")).encode(chktxt()).ids
    auto = AutoTokenizer.from_pretrained(str(folder))
    assert chkhsh(raw) == SMOLLM_HASH and mapping[SMOLLM_HASH] == "smollm"
    assert chkhsh(auto.encode(chktxt())) == SMOLLM_HASH
    assert len(auto) == 49152
    assert (auto.bos_token_id, auto.eos_token_id, auto.unk_token_id, auto.pad_token_id) == (1, 2, 0, 2)
    assert auto.encode("Hello") == auto.encode("Hello", add_special_tokens=False)  # no BOS added
    config = json.loads((folder / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "GPT2Tokenizer" and config["add_bos_token"] is False
    assert "<|im_start|>" in config["chat_template"]
    assert auto.convert_ids_to_tokens(auto.encode("<|im_start|>user\nHi<|im_end|>")) == [
        "<|im_start|>",
        "user",
        "Ċ",
        "Hi",
        "<|im_end|>",
    ]


def test_bpe_tokenizer_matches_llama_cpp_on_the_gguf(tmp_path: Path) -> None:
    """The rebuilt tokenizer and llama.cpp's own tokenizer of the GGUF agree, specials included."""
    from llama_cpp import Llama
    from transformers import AutoTokenizer

    auto = AutoTokenizer.from_pretrained(str(hf.smollm2_tokenizer(tmp_path / "bpe")))
    llm = Llama(model_path=str(hf.smollm2_gguf()), vocab_only=True, verbose=False)
    texts = [chktxt(), TEXT, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2=?<|im_end|>\n"]
    try:
        for text in texts:
            assert llm.tokenize(text.encode(), add_bos=False, special=True) == auto.encode(text)
    finally:
        llm.close()


@pytest.mark.parametrize("flavour", ["llama", "gemma", "phi3"])
def test_spm_tokenizer_matches_sentencepiece(flavour: str, tmp_path: Path) -> None:
    import sentencepiece as spm
    from transformers import AutoTokenizer

    folder = hf.spm_tokenizer(tmp_path / flavour, flavour=flavour)
    processor = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
    auto = AutoTokenizer.from_pretrained(str(folder))
    assert processor.get_piece_size() == 800
    extra = len(hf.PHI3_ADDED_TOKENS) if flavour == "phi3" else 0
    assert len(auto) == 800 + extra
    if flavour == "gemma":
        assert [processor.id_to_piece(i) for i in range(7)] == [
            "<pad>",
            "<eos>",
            "<bos>",
            "<unk>",
            "<mask>",
            "<start_of_turn>",
            "<end_of_turn>",
        ]
        assert (auto.pad_token_id, auto.eos_token_id, auto.bos_token_id, auto.unk_token_id) == (0, 1, 2, 3)
    else:
        assert [processor.id_to_piece(i) for i in range(3)] == ["<unk>", "<s>", "</s>"]
        assert (auto.unk_token_id, auto.bos_token_id) == (0, 1)
        assert auto.eos_token_id == (800 if flavour == "phi3" else 2)
    assert processor.id_to_piece(processor.piece_to_id("<0x41>")) == "<0x41>"  # byte fallback pieces
    # transformers adds BOS and otherwise agrees with SentencePiece (text not starting with a space:
    # transformers' Metaspace does not add the dummy prefix to text that already starts with one).
    for text in [TEXT, "naïve café ☃ 你好 🚀", "tabs\tand\n\nnewlines  double  spaces", chktxt().lstrip()]:
        assert auto.encode(text) == [auto.bos_token_id, *processor.encode(text)]


def test_wordpiece_tokenizer_is_minilms(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    folder = hf.wordpiece_tokenizer(tmp_path / "wp")
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        assert (folder / name).read_bytes() == (hf.minilm_folder() / name).read_bytes()
    auto = AutoTokenizer.from_pretrained(str(folder))
    assert len(auto) == 30522
    assert (auto.pad_token_id, auto.unk_token_id, auto.cls_token_id, auto.sep_token_id) == (0, 100, 101, 102)
    ids = auto.encode("Hello World")
    assert ids[0] == 101 and ids[-1] == 102


def test_reference_embeddings_of_real_minilm() -> None:
    embeddings = hf.reference_embeddings(
        hf.minilm_folder(), ["A man is eating food.", "A man is eating a meal.", "The stock market fell today."]
    )
    assert embeddings.shape == (3, 384)
    similar, different = embeddings[0] @ embeddings[1], embeddings[0] @ embeddings[2]
    assert similar > 0.7 > different


# ---------------------------------------------------------------------------------------------
# SmolLM2 checkpoint
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hf.smollm2_checkpoint(tmp_path_factory.mktemp("smollm2"))


def test_smollm2_checkpoint_permutes_back_to_the_gguf(smollm2: Path) -> None:
    config = json.loads((smollm2 / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"]
    expected = {
        "hidden_size": 576,
        "num_hidden_layers": 30,
        "num_attention_heads": 9,
        "num_key_value_heads": 3,
        "intermediate_size": 1536,
        "rope_theta": 100000.0,
        "rms_norm_eps": 1e-05,
        "vocab_size": 49152,
        "max_position_embeddings": 8192,
        "tie_word_embeddings": True,
        "bos_token_id": 1,
        "eos_token_id": 2,
    }
    assert {k: config[k] for k in expected} == expected
    assert np.float32(config["rms_norm_eps"]) == np.float32(9.999999747378752e-06)

    meta, tensors = hf.smollm2_gguf_tensors()
    state = load_file(str(smollm2 / "model.safetensors"))
    assert "lm_head.weight" not in state and len(state) == len(tensors) == 272
    for name, gguf_value in tensors.items():
        value = state[hf._hf_name(name)].numpy()
        assert value.dtype == np.float32
        if name.endswith("attn_q.weight"):
            assert not np.array_equal(value, gguf_value)
            value = hf.forward_permute(value, meta["llama.attention.head_count"])
        elif name.endswith("attn_k.weight"):
            value = hf.forward_permute(value, meta["llama.attention.head_count_kv"])
        np.testing.assert_array_equal(value, gguf_value, err_msg=name)


def test_smollm2_checkpoint_agrees_with_llama_cpp(smollm2: Path) -> None:
    """transformers on the dequantized weights vs llama.cpp on the Q4_1 GGUF: close, not equal
    (llama.cpp quantizes activations to Q8 for its Q4_1 matmuls), so near-ties may flip."""
    from llama_cpp import Llama
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(smollm2))
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}], tokenize=False, add_generation_prompt=True
    )
    # Plain prompts whose greedy continuations have clear margins (on the chat prompt the first
    # token is a near tie, 'The' vs 'L', and llama.cpp picks the other one).
    plain = ["Once upon a time,", "def fibonacci(n):"]

    # transformers first: llama.cpp's worker threads spin after each eval and would starve torch.
    ids, logits = hf.reference_logits(smollm2, prompt)
    model = AutoModelForCausalLM.from_pretrained(str(smollm2), dtype=torch.float32, attn_implementation="eager")
    ours: dict[str, list[int]] = {}
    for text in plain:
        prompt_ids = tok.encode(text)
        with torch.no_grad():
            out = model.generate(torch.tensor([prompt_ids]), max_new_tokens=6, do_sample=False)
        ours[text] = out[0, len(prompt_ids) :].tolist()
    del model

    llm = Llama(model_path=str(hf.smollm2_gguf()), n_ctx=256, logits_all=True, verbose=False, seed=0)
    try:
        assert llm.tokenize(prompt.encode(), add_bos=False, special=True) == ids
        llm.eval(ids)
        theirs_logits = np.array(llm.scores[: len(ids)], dtype=np.float32)
        theirs: dict[str, list[int]] = {}
        for text in plain:
            llm.reset()
            theirs[text] = []
            for token in llm.generate(tok.encode(text), temp=0.0, top_k=1, repeat_penalty=1.0):
                theirs[text].append(int(token))
                if len(theirs[text]) == len(ours[text]):
                    break
    finally:
        llm.close()

    correlations = [float(np.corrcoef(a, b)[0, 1]) for a, b in zip(logits, theirs_logits, strict=True)]
    agreement = float((logits.argmax(1) == theirs_logits.argmax(1)).mean())
    report = [f"SmolLM2 chat-prompt logits: min correlation {min(correlations):.5f}, argmax agreement {agreement:.3f}"]
    for text in plain:
        a, b = ours[text], theirs[text]
        common = next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), len(a))
        report.append(f"{text!r}: transformers {tok.decode(a)!r} / llama.cpp {tok.decode(b)!r}")
        report.append(f"  same first {common} of {len(a)} greedy tokens")
    print("\n" + "\n".join(report))
    assert min(correlations) > 0.99, report
    assert agreement > 0.8, report
    for text in plain:
        assert ours[text][:3] == theirs[text][:3], report


def test_smollm2_checkpoint_is_cached(smollm2: Path, tmp_path: Path) -> None:
    again = hf.smollm2_checkpoint(tmp_path / "again")
    for name in ("config.json", "tokenizer.json"):
        assert (again / name).read_bytes() == (smollm2 / name).read_bytes()
    assert (again / "model.safetensors").stat().st_size == (smollm2 / "model.safetensors").stat().st_size


# ---------------------------------------------------------------------------------------------
# LoRA
# ---------------------------------------------------------------------------------------------


def test_lora_adapter_changes_the_merged_models_logits(tmp_path: Path) -> None:
    base = hf.tiny_model("llama", tmp_path / "base")
    adapter = hf.lora_adapter(base, tmp_path / "adapter", rank=4, alpha=8.0)
    merged = hf.merged_model(base, adapter, tmp_path / "merged")

    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 4 and config["lora_alpha"] == 8
    assert config["target_modules"] == ["q_proj", "v_proj"] and config["base_model_name_or_path"] == str(base)
    tensors = load_file(str(adapter / "adapter_model.safetensors"))
    assert len(tensors) == 2 * 2 * 2  # layers x targets x (A, B)
    prefix = "base_model.model.model.layers.0.self_attn"
    assert tuple(tensors[f"{prefix}.q_proj.lora_A.weight"].shape) == (4, 64)
    assert tuple(tensors[f"{prefix}.q_proj.lora_B.weight"].shape) == (64, 4)
    assert tuple(tensors[f"{prefix}.v_proj.lora_B.weight"].shape) == (32, 4)  # 2 KV heads x 16
    assert all(bool((t != 0).all()) for t in tensors.values())  # B is not zero-initialised

    base_state, merged_state = load_file(str(base / "model.safetensors")), load_file(str(merged / "model.safetensors"))
    a, b = tensors[f"{prefix}.q_proj.lora_A.weight"], tensors[f"{prefix}.q_proj.lora_B.weight"]
    expect = base_state["model.layers.0.self_attn.q_proj.weight"] + 2.0 * (b @ a)
    torch.testing.assert_close(merged_state["model.layers.0.self_attn.q_proj.weight"], expect)
    torch.testing.assert_close(
        merged_state["model.layers.0.self_attn.k_proj.weight"], base_state["model.layers.0.self_attn.k_proj.weight"]
    )

    ids_base, logits_base = hf.reference_logits(base, TEXT)
    ids_merged, logits_merged = hf.reference_logits(merged, TEXT)
    assert ids_base == ids_merged
    assert np.abs(logits_base - logits_merged).max() > 0.5
    assert (logits_base.argmax(1) != logits_merged.argmax(1)).any()


# ---------------------------------------------------------------------------------------------
# Damaged checkpoints
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["truncated", "lying-header", "overlap", "header-too-long", "bad-json"])
def test_broken_headers_are_rejected_by_safetensors(kind: str, tmp_path: Path) -> None:
    folder = hf.broken_safetensors(kind, tmp_path / kind)
    assert (folder / "config.json").is_file() and (folder / "tokenizer.model").is_file()
    with pytest.raises(SafetensorError), safe_open(str(folder / "model.safetensors"), "pt") as f:
        names = f.keys()
        for name in names:
            f.get_tensor(name)


def test_broken_nan_shape_and_config(tmp_path: Path) -> None:
    nan = load_file(str(hf.broken_safetensors("nan", tmp_path / "nan") / "model.safetensors"))
    assert torch.isnan(nan["model.layers.0.self_attn.q_proj.weight"]).sum() == 1
    assert torch.isinf(nan["model.layers.1.mlp.down_proj.weight"]).sum() == 1

    folder = hf.broken_safetensors("shape-mismatch", tmp_path / "shape")
    config = json.loads((folder / "config.json").read_text())
    q = load_file(str(folder / "model.safetensors"))["model.layers.0.self_attn.q_proj.weight"]
    assert q.shape[0] != config["num_attention_heads"] * config["head_dim"]

    folder = hf.broken_safetensors("missing-config-key", tmp_path / "config")
    config = json.loads((folder / "config.json").read_text())
    assert "num_attention_heads" not in config and "num_key_value_heads" in config


def test_sharded_checkpoint_is_the_same_model(tmp_path: Path) -> None:
    sharded = hf.broken_safetensors("sharded", tmp_path / "sharded")
    single = hf.tiny_model("llama", tmp_path / "single")
    index = json.loads((sharded / "model.safetensors.index.json").read_text())
    assert sorted(set(index["weight_map"].values())) == [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ]
    assert not (sharded / "model.safetensors").exists()
    assert (sharded / "config.json").read_text() == (single / "config.json").read_text()
    ids_a, logits_a = hf.reference_logits(sharded, TEXT)
    ids_b, logits_b = hf.reference_logits(single, TEXT)
    assert ids_a == ids_b
    np.testing.assert_array_equal(logits_a, logits_b)
