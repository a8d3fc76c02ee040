"""safetensors → GGUF for the newer dense text architectures (issue 14, item 2): Gemma 3
(and the text model of Gemma3ForConditionalGeneration), OLMo 2/3, Granite, SmolLM3 and
Phi-3.5's LongRoPE, each against transformers' forward pass; the chat template kept and
matched to Ollama's; what is left out said; the patterns llama.cpp cannot run refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hf_dense import DENSE, dense_model
from hf_fixtures import reference_logits
from models import mfc

from builder import ConvertError, Store, build, convert, llama_log
from modelfile.gguf_metadata import read_metadata

#: Longer than the fixtures' sliding windows (8) and Phi-3.5's original context (16 tokens).
TEXT = "The quick brown fox jumps over the lazy dog. 3 + 4 = 7, isn't it? Then the dog sleeps."


@pytest.fixture(autouse=True)
def quiet_llama() -> None:
    llama_log.install(verbose=False)


def llama_logits(gguf_path: Path, ids: list[int]) -> np.ndarray:
    """llama.cpp's logits at every position, with an F32 KV cache (the default F16 cache
    alone moves logits by up to 0.4% of their range)."""
    from llama_cpp import GGML_TYPE_F32, Llama

    llm = Llama(
        model_path=str(gguf_path),
        logits_all=True,
        n_ctx=256,
        verbose=False,
        type_k=GGML_TYPE_F32,
        type_v=GGML_TYPE_F32,
    )
    llm.eval(ids)
    logits = np.array(llm.scores[: len(ids)], dtype=np.float32)
    llm.close()
    return logits


#: Tested on their own: the embedding models and the multimodal wrappers
#: AutoModelForCausalLM does not load.
OWN_TESTS = ("embeddinggemma", "nomic-bert", "mistral3-vlm", "ministral3-vlm", "llama4-vlm")
CASES = {kind: (kind, "v4") for kind in DENSE if kind not in OWN_TESTS} | {
    "gemma3-v5-config": ("gemma3-scaled", "v5"),
    "olmo3-v5-config": ("olmo3", "v5"),
}
ARCH = {
    "gemma3": "gemma3",
    "olmo2": "olmo2",
    "olmo3": "olmo2",
    "granite": "granite",
    "smollm3": "smollm3",
    "phi3": "phi3",
    "phi4": "phi3",
    "cohere": "command-r",
    "cohere2": "cohere2",
    "lfm2": "lfm2",
    "ministral3": "mistral3",
    "llama4": "llama4",
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_llama_cpp_matches_transformers(case: tuple[str, str], tmp_path: Path) -> None:
    kind, config_format = case
    folder = dense_model(kind, tmp_path / "hf", config_format=config_format)
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    assert result.architecture == ARCH[kind.split("-")[0]]
    ids, expected = reference_logits(folder, TEXT)
    got = llama_logits(result.path, ids)
    assert got.shape == expected.shape
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert np.abs(got - expected).max() < 0.05 * np.ptp(expected)
    assert llama_log.take_errors() == []


def test_the_scaled_and_windowed_settings_matter(tmp_path: Path) -> None:
    """The settings the conversion writes are the ones llama.cpp's results depend on:
    without Gemma 3's sliding-layer rope base or its window, the logits move."""
    folder = dense_model("gemma3-scaled", tmp_path / "hf")
    ids, expected = reference_logits(folder, TEXT)
    config = json.loads((folder / "config.json").read_text())
    for key, value in (("rope_local_base_freq", 1000000.0), ("sliding_window", 128)):
        changed = {**config, key: value}
        (folder / "config.json").write_text(json.dumps(changed))
        got = llama_logits(convert(folder, tmp_path / f"{key}.gguf", outtype="f32").path, ids)
        assert np.abs(got - expected).max() > 0.05 * np.ptp(expected), key
    (folder / "config.json").write_text(json.dumps(config))


def test_gemma3_vision_tower_is_left_out_and_said(tmp_path: Path) -> None:
    folder = dense_model("gemma3-vlm", tmp_path / "hf")
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    assert any("vision_tower" in note and "text model alone" in note for note in result.notes), result.notes
    names = [t.name for t in read_metadata(result.path, tensors=True).tensors]
    assert names and [name for name in names if not re.match(r"(token_embd|output_norm|blk\.\d+\.)", name)] == []
    cli = mfc("convert", str(folder), "-o", str(tmp_path / "cli.gguf"), "--json")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["notes"] == list(result.notes)
    assert "note: left out the multi_modal_projector and vision_tower" in cli.stderr
    (tmp_path / "Modelfile").write_text(f"FROM {folder}\n")
    built = build(tmp_path / "Modelfile", "g3", store=Store(tmp_path / "store"))
    assert any("vision_tower" in warning for warning in built.warnings)


@pytest.mark.parametrize(
    ("kind", "template"),
    [
        ("gemma3", "gemma3-instruct"),
        ("granite", "granite-instruct"),
        ("phi3-longrope", "phi-3"),
        ("cohere", "command-r"),
    ],
)
def test_chat_template_is_kept_and_ollamas_is_picked(kind: str, template: str, tmp_path: Path) -> None:
    folder = dense_model(kind, tmp_path / "hf", chat_template=template)
    jinja = json.loads((folder / "tokenizer_config.json").read_text())["chat_template"]
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    assert read_metadata(result.path).metadata["tokenizer.chat_template"] == jinja
    (tmp_path / "Modelfile").write_text(f"FROM {folder}\n")
    assert build(tmp_path / "Modelfile", "m", store=Store(tmp_path / "store")).template == template


def test_patterns_llama_cpp_does_not_run_are_refused(tmp_path: Path) -> None:
    folder = dense_model("smollm3", tmp_path / "smollm3")
    config = json.loads((folder / "config.json").read_text())
    config["no_rope_layers"] = [1, 1, 0, 1]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConvertError, match=r"no_rope_layers \[1, 1, 0, 1\] is not every 4th layer"):
        convert(folder, tmp_path / "s.gguf")
    folder = dense_model("gemma3", tmp_path / "gemma3")
    config = json.loads((folder / "config.json").read_text())
    for change, message in (
        ({"sliding_window_pattern": 2}, "not Gemma 3's"),
        (
            {"query_pre_attn_scalar": 64},
            r"query_pre_attn_scalar is 64; llama.cpp's gemma3 scales queries by 1/sqrt\(32\)",
        ),
        ({"attn_logit_softcapping": 50.0}, "attn_logit_softcapping is set"),
    ):
        (folder / "config.json").write_text(json.dumps({**config, **change}))
        with pytest.raises(ConvertError, match=message):
            convert(folder, tmp_path / "g.gguf")
    folder = dense_model("cohere", tmp_path / "cohere", qk_norm=True)
    with pytest.raises(ConvertError, match="q/k norms only in models of 64 layers or more, and this one has 2"):
        convert(folder, tmp_path / "c.gguf")
    assert not [path for path in tmp_path.iterdir() if path.suffix == ".gguf"]


def test_embeddinggemma_embeddings_match_its_sentence_transformers_pipeline(tmp_path: Path) -> None:
    """Gemma3TextModel (bidirectional, sliding window shorter than the text), mean
    pooling, 2_Dense and 3_Dense, normalised: llama.cpp's embedding is the pipeline's."""
    import torch
    from llama_cpp import Llama
    from safetensors.numpy import load_file
    from transformers import AutoModel

    folder = dense_model("embeddinggemma", tmp_path / "hf")
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    meta = read_metadata(result.path, tensors=True)
    assert result.architecture == "gemma-embedding"
    assert meta.metadata["gemma-embedding.pooling_type"] == 1  # mean
    assert {"dense_2.weight", "dense_3.weight"} <= {t.name for t in meta.tensors}
    model = AutoModel.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    dense_2 = load_file(folder / "2_Dense" / "model.safetensors")["linear.weight"]
    dense_3 = load_file(folder / "3_Dense" / "model.safetensors")["linear.weight"]
    llm = Llama(model_path=str(result.path), embedding=True, n_ctx=256, verbose=False)
    for text in (TEXT, "Hello"):
        ids = llm.tokenize(text.encode(), add_bos=True)  # what embed() runs, given to transformers too
        with torch.no_grad():
            hidden = model(torch.tensor([ids])).last_hidden_state[0].numpy()
        pooled = hidden.mean(axis=0)
        expected = pooled @ dense_2.T @ dense_3.T
        got = np.array(llm.embed(text), dtype=np.float64)
        cosine = float(got @ expected / np.linalg.norm(got) / np.linalg.norm(expected))
        assert cosine > 0.999, (text, cosine)
        without_dense = float(got @ pooled / np.linalg.norm(got) / np.linalg.norm(pooled))
        assert without_dense < 0.99  # the projections are applied, not skipped
    llm.close()


def test_a_dense_module_llama_cpp_cannot_apply_is_refused(tmp_path: Path) -> None:
    folder = dense_model("embeddinggemma", tmp_path / "hf")
    settings = json.loads((folder / "2_Dense" / "config.json").read_text())
    settings["activation_function"] = "torch.nn.modules.activation.Tanh"
    (folder / "2_Dense" / "config.json").write_text(json.dumps(settings))
    with pytest.raises(ConvertError, match=r"2_Dense/config.json: a Dense module with .*Tanh"):
        convert(folder, tmp_path / "model.gguf")
    assert not (tmp_path / "model.gguf").exists()


@pytest.mark.parametrize(
    ("kind", "model_class", "arch", "vision"),
    [
        ("mistral3-vlm", "Mistral3ForConditionalGeneration", "llama", "vision_tower"),
        ("ministral3-vlm", "Mistral3ForConditionalGeneration", "mistral3", "vision_tower"),
        ("llama4-vlm", "Llama4ForConditionalGeneration", "llama4", "vision_model"),
    ],
)
def test_text_weights_of_image_models_match_transformers(
    kind: str, model_class: str, arch: str, vision: str, tmp_path: Path
) -> None:
    """Mistral Small 3.1 and Llama 4 (ForConditionalGeneration): the text model converted,
    the vision model and projector left out and said, logits those of the whole model
    given text alone."""
    import torch
    import transformers
    from transformers import AutoTokenizer

    folder = dense_model(kind, tmp_path / "hf")
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    assert result.architecture == arch
    assert result.notes == (
        f"left out the multi_modal_projector and {vision} (2 part(s) of the image model): "
        "the GGUF is the text model alone",
    )
    ids = AutoTokenizer.from_pretrained(folder)(TEXT)["input_ids"]
    model = getattr(transformers, model_class).from_pretrained(folder, dtype=torch.float32).eval()
    with torch.no_grad():
        expected = model(torch.tensor([ids])).logits[0].numpy()
    got = llama_logits(result.path, ids)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert np.abs(got - expected).max() < 0.05 * np.ptp(expected)


def test_ministral3_yarn_settings_llama_cpp_cannot_express_are_refused(tmp_path: Path) -> None:
    folder = dense_model("ministral3", tmp_path / "hf")
    config = json.loads((folder / "config.json").read_text())
    config["rope_scaling"]["mscale"] = 0.5
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConvertError, match=r"an mscale other than 1, which llama\.cpp cannot express"):
        convert(folder, tmp_path / "model.gguf")
    assert not (tmp_path / "model.gguf").exists()


def test_nomic_bert_embeddings_match_transformers(tmp_path: Path) -> None:
    """nomic-embed-text-v1.5's published layout (fused Wqkv, remote-code config keys,
    mean pooling) against transformers' own NomicBert holding the same weights."""
    import torch
    from llama_cpp import Llama
    from transformers import AutoModel

    folder = dense_model("nomic-bert", tmp_path / "hf")
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    assert result.architecture == "nomic-bert"
    meta = read_metadata(result.path).metadata
    assert (meta["nomic-bert.pooling_type"], meta["nomic-bert.rope.freq_base"]) == (1, 1000.0)
    model = AutoModel.from_pretrained(tmp_path / "hf-transformers", dtype=torch.float32).eval()
    llm = Llama(model_path=str(result.path), embedding=True, n_ctx=256, verbose=False)
    for text in (TEXT, "Hello"):
        ids = llm.tokenize(text.encode(), add_bos=True)
        with torch.no_grad():
            expected = model(torch.tensor([ids])).last_hidden_state[0].numpy().mean(axis=0)
        got = np.array(llm.embed(text), dtype=np.float64)
        assert float(got @ expected / np.linalg.norm(got) / np.linalg.norm(expected)) > 0.999, text
    llm.close()


def test_nomic_bert_settings_llama_cpp_lacks_are_refused(tmp_path: Path) -> None:
    folder = dense_model("nomic-bert", tmp_path / "hf")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "rotary_emb_fraction": 0.5}))
    with pytest.raises(
        ConvertError, match=re.escape("rotary_emb_fraction is 0.5; llama.cpp's nomic-bert runs only 1.0")
    ):
        convert(folder, tmp_path / "a.gguf")
    assert not (tmp_path / "a.gguf").exists()


def test_nomic_bert_config_as_released_or_as_transformers_writes_it(tmp_path: Path) -> None:
    """The remote code's keys (n_embd, rotary_emb_base …) and transformers' (hidden_size,
    rope_parameters …) describe the same model: the same GGUF settings and tensors."""
    folder = dense_model("nomic-bert", tmp_path / "hf")
    own = tmp_path / "hf-transformers"
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "modules.json"):
        (own / name).write_bytes((folder / name).read_bytes())
    (own / "1_Pooling").mkdir()
    (own / "1_Pooling" / "config.json").write_bytes((folder / "1_Pooling" / "config.json").read_bytes())
    released, native = convert(folder, tmp_path / "a.gguf").path, convert(own, tmp_path / "b.gguf").path
    a, b = read_metadata(released, tensors=True), read_metadata(native, tensors=True)
    assert {k: v for k, v in a.metadata.items() if k != "general.name"} == {
        k: v for k, v in b.metadata.items() if k != "general.name"
    }
    assert [(t.name, t.shape) for t in a.tensors] == [(t.name, t.shape) for t in b.tensors]


def test_llama4_routes_tokens_to_different_experts_like_transformers(tmp_path: Path) -> None:
    """The routing is exercised: the test text's tokens go to more than one expert in
    transformers, and llama.cpp's logits still match at every position."""
    import torch
    from transformers import AutoModelForCausalLM

    folder = dense_model("llama4", tmp_path / "hf")
    ids, expected = reference_logits(folder, TEXT)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    chosen: list[int] = []  # the top expert of each token in the first MoE layer

    def record(module: torch.nn.Linear, args: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        hidden = args[0].reshape(-1, args[0].shape[-1])
        chosen.extend((hidden @ module.weight.T).argmax(-1).tolist())

    hook = model.model.layers[1].feed_forward.router.register_forward_hook(record)
    with torch.no_grad():
        model(torch.tensor([ids]))
    hook.remove()
    assert len(set(chosen)) > 1, chosen
    got = llama_logits(convert(folder, tmp_path / "model.gguf", outtype="f32").path, ids)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()


def test_llama4_settings_llama_cpp_fixes_are_refused(tmp_path: Path) -> None:
    folder = dense_model("llama4", tmp_path / "hf")
    config = json.loads((folder / "config.json").read_text())
    for change, message in (
        ({"attention_chunk_size": 4096}, "attention_chunk_size is 4096; llama.cpp's llama4 runs only 8192"),
        ({"use_qk_norm": False}, "use_qk_norm is False with 4 experts"),
    ):
        (folder / "config.json").write_text(json.dumps({**config, **change}))
        with pytest.raises(ConvertError, match=re.escape(message)):
            convert(folder, tmp_path / "model.gguf")
    assert not (tmp_path / "model.gguf").exists()


def test_gemma3_text_config_may_leave_out_gemma3s_defaults(tmp_path: Path) -> None:
    """gemma-3-4b-it's config.json leaves out of text_config what Gemma3TextConfig
    defaults (rms_norm_eps, rope_theta, rope_local_base_freq …): the same GGUF either way."""
    folder = dense_model("gemma3-vlm", tmp_path / "hf")
    full = convert(folder, tmp_path / "full.gguf", outtype="f32").path
    config = json.loads((folder / "config.json").read_text())
    for key in (
        "rms_norm_eps",
        "rope_theta",
        "rope_local_base_freq",
        "sliding_window_pattern",
        "_sliding_window_pattern",
    ):
        config["text_config"].pop(key, None)
    (folder / "config.json").write_text(json.dumps(config))
    sparse = convert(folder, tmp_path / "sparse.gguf", outtype="f32").path
    assert read_metadata(sparse).metadata == read_metadata(full).metadata
    assert sparse.read_bytes() == full.read_bytes()
