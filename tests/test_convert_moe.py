"""Mixture-of-experts conversion: tiny Mixtral, Qwen2-MoE, Qwen3-MoE and OLMoE models
against transformers' forward pass with routing exercised, the stacked expert tensors
byte for byte, damaged expert sets, and peak memory on a 64-expert checkpoint."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hf_fixtures import reference_logits
from models import REPO, mfc
from moe_fixtures import MOE_ARCHS, chosen_experts, gpt_oss_mxfp4, synthetic_moe, tiny_moe

from builder import ConvertError, convert, llama_log
from modelfile.gguf_metadata import read_metadata

TEXT = "The quick brown fox jumps over the lazy dog. 3 + 4 = 7, isn't it?"

#: The fixture seed per architecture: one whose random model has no position where
#: transformers' two best logits are closer than float32 rounding between the two
#: implementations moves them (seed 0 has such a near tie for Mixtral and OLMoE: a gap
#: of 0.002 against llama.cpp's 0.005 of error, which no converter can decide).
SEEDS = {
    "mixtral": 1,
    "qwen2_moe": 0,
    "qwen3_moe": 0,
    "olmoe": 1,
    "granitemoe": 0,
    "granitemoeshared": 0,
    "deepseek_v3": 0,
    "gpt_oss": 0,
}
GGUF_ARCH = {
    "mixtral": "llama",
    "qwen2_moe": "qwen2moe",
    "qwen3_moe": "qwen3moe",
    "olmoe": "olmoe",
    "granitemoe": "granitemoe",
    "granitemoeshared": "granitemoe",
    "deepseek_v3": "deepseek2",
    "gpt_oss": "gpt-oss",
}


@pytest.fixture(autouse=True)
def quiet_llama() -> None:
    llama_log.install(verbose=False)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each tiny MoE model, made once for the module."""
    root = tmp_path_factory.mktemp("moe")
    return {arch: tiny_moe(arch, root / arch, seed=SEEDS[arch]) for arch in MOE_ARCHS}


def llama_logits(gguf_path: Path, ids: list[int]) -> np.ndarray:
    from llama_cpp import Llama

    llm = Llama(model_path=str(gguf_path), logits_all=True, n_ctx=256, verbose=False)
    llm.eval(ids)
    logits = np.array(llm.scores[: len(ids)], dtype=np.float32)
    llm.close()
    return logits


@pytest.mark.parametrize("arch", sorted(MOE_ARCHS))
def test_llama_cpp_matches_transformers_with_routing(arch: str, models: dict[str, Path], tmp_path: Path) -> None:
    folder = models[arch]
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    config = json.loads((folder / "config.json").read_text())
    experts = config.get("num_local_experts") or config.get("num_experts") or config["n_routed_experts"]
    meta = read_metadata(result.path, tensors=True)
    prefix = GGUF_ARCH[arch]
    assert meta.architecture == prefix
    assert meta.metadata[f"{prefix}.expert_count"] == experts
    assert meta.metadata[f"{prefix}.expert_used_count"] == config["num_experts_per_tok"] == 2
    shapes = {t.name: tuple(t.shape) for t in meta.tensors}
    width = config.get("moe_intermediate_size") or config["intermediate_size"]
    assert shapes["blk.1.ffn_up_exps.weight"] == (config["hidden_size"], width, experts)  # GGML order
    dense = config.get("first_k_dense_replace", 0)  # DeepSeek's leading dense layers
    assert not any(f"blk.{i}.ffn_up.weight" in shapes for i in range(dense, config["num_hidden_layers"]))
    ids, expected = reference_logits(folder, TEXT)
    for layer, chosen in enumerate(chosen_experts(folder, ids)):  # tokens go to different experts
        assert len(chosen) > 2, (layer, chosen)
    got = llama_logits(result.path, ids)
    assert got.shape == expected.shape
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert np.abs(got - expected).max() < 0.05 * (expected.max() - expected.min())
    assert llama_log.take_errors() == []


@pytest.mark.parametrize("outtype", ["f32", "f16", "q8_0"])
def test_stacked_experts_are_the_checkpoints_experts_in_order(
    outtype: str, models: dict[str, Path], tmp_path: Path
) -> None:
    """f32 is copied as stored (one kernel copy per expert), f16 and q8_0 encoded slab by
    slab: either way expert e of ``ffn_*_exps`` is the checkpoint's expert e."""
    import gguf
    from safetensors.numpy import load_file

    folder = models["qwen2_moe"]
    result = convert(folder, tmp_path / "model.gguf", outtype=outtype)
    weights = load_file(str(next(folder.glob("*.safetensors"))))
    reader = gguf.GGUFReader(result.path)
    tensors = {t.name: t for t in reader.tensors}
    for layer in range(2):
        for gguf_part, hf_part in (("gate", "gate_proj"), ("up", "up_proj"), ("down", "down_proj")):
            stacked = tensors[f"blk.{layer}.ffn_{gguf_part}_exps.weight"]
            sources = [weights[f"model.layers.{layer}.mlp.experts.{e}.{hf_part}.weight"] for e in range(6)]
            data = gguf.quants.dequantize(stacked.data, stacked.tensor_type).reshape(6, *sources[0].shape)
            for e, source in enumerate(sources):
                tolerance = {"f32": 0, "f16": 1e-3, "q8_0": 2e-2}[outtype] * np.abs(source).max()
                assert data[e].shape == source.shape
                assert np.abs(data[e] - source).max() <= tolerance, (layer, gguf_part, e)
        gate = tensors[f"blk.{layer}.ffn_gate_inp_shexp.weight"]
        assert gate.data.shape == (32,)  # the (1, hidden) gate as llama.cpp's vector
        assert np.array_equal(gate.data, weights[f"model.layers.{layer}.mlp.shared_expert_gate.weight"][0])


@pytest.mark.parametrize("outtype", ["f32", "q8_0"])
def test_granites_fused_stacked_experts_are_split_into_gate_and_up(
    outtype: str, models: dict[str, Path], tmp_path: Path
) -> None:
    """Granite stores experts stacked already, gate and up fused in ``input_linear``:
    each half is streamed from its own byte range of every expert."""
    import gguf
    from safetensors.numpy import load_file

    folder = models["granitemoeshared"]
    result = convert(folder, tmp_path / "model.gguf", outtype=outtype)
    weights = load_file(str(next(folder.glob("*.safetensors"))))
    tensors = {t.name: t for t in gguf.GGUFReader(result.path).tensors}

    def stored(name: str, shape: tuple[int, ...]) -> np.ndarray:
        tensor = tensors[name]
        return gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(shape)

    for layer in range(2):
        fused = weights[f"model.layers.{layer}.block_sparse_moe.input_linear.weight"]  # (experts, 2 ff, hidden)
        shared = weights[f"model.layers.{layer}.shared_mlp.input_linear.weight"]  # (2 shared ff, hidden)
        experts, rows, _ = fused.shape
        tolerance = {"f32": 0.0, "q8_0": 2e-2}[outtype] * np.abs(fused).max()
        gate = stored(f"blk.{layer}.ffn_gate_exps.weight", (experts, rows // 2, -1))
        up = stored(f"blk.{layer}.ffn_up_exps.weight", (experts, rows // 2, -1))
        assert np.abs(gate - fused[:, : rows // 2]).max() <= tolerance
        assert np.abs(up - fused[:, rows // 2 :]).max() <= tolerance
        half = shared.shape[0] // 2
        shared_tolerance = {"f32": 0.0, "q8_0": 2e-2}[outtype] * np.abs(shared).max()
        assert (
            np.abs(stored(f"blk.{layer}.ffn_gate_shexp.weight", (half, -1)) - shared[:half]).max() <= shared_tolerance
        )
        assert np.abs(stored(f"blk.{layer}.ffn_up_shexp.weight", (half, -1)) - shared[half:]).max() <= shared_tolerance


@pytest.mark.parametrize("outtype", ["f32", "f16"])
def test_deepseeks_kv_b_becomes_per_head_k_b_transposed_and_v_b(
    outtype: str, models: dict[str, Path], tmp_path: Path
) -> None:
    """Latent attention absorbed as llama.cpp runs it: each head's key rows of kv_b_proj,
    transposed, and its value rows, streamed from their byte ranges."""
    import gguf
    from safetensors.numpy import load_file

    folder = models["deepseek_v3"]
    config = json.loads((folder / "config.json").read_text())
    heads, nope, v, rank = (
        config[k] for k in ("num_attention_heads", "qk_nope_head_dim", "v_head_dim", "kv_lora_rank")
    )
    result = convert(folder, tmp_path / "model.gguf", outtype=outtype)
    weights = load_file(str(next(folder.glob("*.safetensors"))))
    tensors = {t.name: t for t in gguf.GGUFReader(result.path).tensors}
    assert not any("attn_kv_b" in name for name in tensors)
    assert "blk.0.ffn_up.weight" in tensors and "blk.0.ffn_up_exps.weight" not in tensors  # the dense first layer
    assert tensors["blk.1.exp_probs_b.bias"].data.shape == (8,)
    for layer in range(2):
        kv_b = weights[f"model.layers.{layer}.self_attn.kv_b_proj.weight"].reshape(heads, nope + v, rank)
        k_b = np.asarray(tensors[f"blk.{layer}.attn_k_b.weight"].data, dtype=np.float32)
        v_b = np.asarray(tensors[f"blk.{layer}.attn_v_b.weight"].data, dtype=np.float32)
        tolerance = {"f32": 0.0, "f16": 1e-3}[outtype] * np.abs(kv_b).max()
        assert k_b.shape == (heads, rank, nope) and v_b.shape == (heads, v, rank)
        assert np.abs(k_b - kv_b[:, :nope].transpose(0, 2, 1)).max() <= tolerance
        assert np.abs(v_b - kv_b[:, nope:]).max() <= tolerance


def test_gpt_oss_float_experts_are_split_and_transposed(models: dict[str, Path], tmp_path: Path) -> None:
    """gpt-oss keeps float experts as ``[expert, in, out]`` with gate and up interleaved
    by column: each comes out as llama.cpp's ``[expert, out, in]``, biases split alike."""
    import gguf
    from safetensors.numpy import load_file

    folder = models["gpt_oss"]
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    weights = load_file(str(next(folder.glob("*.safetensors"))))
    tensors = {t.name: np.asarray(t.data) for t in gguf.GGUFReader(result.path).tensors}
    for layer in range(2):
        p = f"model.layers.{layer}.mlp.experts."
        gate_up, gate_up_bias = weights[p + "gate_up_proj"], weights[p + "gate_up_proj_bias"]
        assert np.array_equal(tensors[f"blk.{layer}.ffn_gate_exps.weight"], gate_up[..., 0::2].transpose(0, 2, 1))
        assert np.array_equal(tensors[f"blk.{layer}.ffn_up_exps.weight"], gate_up[..., 1::2].transpose(0, 2, 1))
        assert np.array_equal(tensors[f"blk.{layer}.ffn_down_exps.weight"], weights[p + "down_proj"].transpose(0, 2, 1))
        assert np.array_equal(tensors[f"blk.{layer}.ffn_gate_exps.bias"], gate_up_bias[:, 0::2])
        assert np.array_equal(tensors[f"blk.{layer}.ffn_up_exps.bias"], gate_up_bias[:, 1::2])
        assert np.array_equal(
            tensors[f"blk.{layer}.attn_sinks.weight"], weights[f"model.layers.{layer}.self_attn.sinks"]
        )


def test_gpt_oss_mxfp4_experts_stay_mxfp4_and_run_like_transformers(tmp_path: Path) -> None:
    """OpenAI's format: MXFP4 expert blocks become GGML MXFP4 blocks that stand for exactly
    the same values (transformers' own dequantizer checks the fixture; gguf-py's the GGUF),
    and llama.cpp's logits match transformers' on the float twin.  Seed 1: llama.cpp
    multiplies MXFP4 by 8-bit-quantized activations, which moves logits by about 2% of the
    range, and seed 0 has two positions whose best two logits are closer than that."""
    import gguf
    import torch
    from safetensors.numpy import load_file, save_file
    from transformers.integrations.mxfp4 import convert_moe_packed_tensors

    folder, twin = gpt_oss_mxfp4(tmp_path / "mxfp4", tmp_path / "twin", seed=1)
    packed, values = load_file(str(folder / "model.safetensors")), load_file(str(twin / "model.safetensors"))
    result = convert(folder, tmp_path / "model.gguf", outtype="f32")
    tensors = {t.name: t for t in gguf.GGUFReader(result.path).tensors}
    for layer in range(2):
        p = f"model.layers.{layer}.mlp.experts."
        for stored in ("gate_up_proj", "down_proj"):
            blocks, scales = (torch.from_numpy(packed[p + stored + kind]) for kind in ("_blocks", "_scales"))
            assert np.array_equal(
                convert_moe_packed_tensors(blocks, scales, dtype=torch.float32).numpy(), values[p + stored]
            )
        expected = {
            "gate": values[p + "gate_up_proj"][..., 0::2],
            "up": values[p + "gate_up_proj"][..., 1::2],
            "down": values[p + "down_proj"],
        }
        for part, weight in expected.items():
            tensor = tensors[f"blk.{layer}.ffn_{part}_exps.weight"]
            assert tensor.tensor_type == gguf.GGMLQuantizationType.MXFP4
            got = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(weight.transpose(0, 2, 1).shape)
            assert np.array_equal(got, weight.transpose(0, 2, 1)), (layer, part)
    ids, expected_logits = reference_logits(twin, TEXT)
    for chosen in chosen_experts(twin, ids):
        assert len(chosen) > 2
    logits = llama_logits(result.path, ids)
    assert (logits.argmax(axis=1) == expected_logits.argmax(axis=1)).all()
    assert np.abs(logits - expected_logits).max() < 0.05 * (expected_logits.max() - expected_logits.min())
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in folder.iterdir():
        if path.suffix != ".safetensors":
            (broken / path.name).write_bytes(path.read_bytes())
    del packed["model.layers.1.mlp.experts.down_proj_scales"]
    save_file(packed, str(broken / "model.safetensors"))
    with pytest.raises(ConvertError, match=r"down_proj_scales is missing; MXFP4 experts need U8"):
        convert(broken, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()


def test_a_missing_expert_is_a_clear_error_and_writes_nothing(models: dict[str, Path], tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    folder = tmp_path / "hf"
    folder.mkdir()
    for path in models["mixtral"].iterdir():
        if path.is_file() and path.suffix != ".safetensors":
            (folder / path.name).write_bytes(path.read_bytes())
    weights = load_file(str(next(models["mixtral"].glob("*.safetensors"))))
    del weights["model.layers.1.block_sparse_moe.experts.2.w3.weight"]
    save_file(weights, str(folder / "model.safetensors"))
    with pytest.raises(ConvertError, match=r"experts\.w3\.weight has 3 experts where config\.json declares 4"):
        convert(folder, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()


def test_routing_llama_cpp_would_compute_differently_is_refused(models: dict[str, Path], tmp_path: Path) -> None:
    """llama.cpp's qwen2moe never renormalises the chosen experts' weights: a config that
    asks for it would convert into another model, so it is refused, saying why."""
    folder = tmp_path / "hf"
    folder.mkdir()
    for path in models["qwen2_moe"].iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    config = json.loads((folder / "config.json").read_text())
    config["norm_topk_prob"] = True
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConvertError, match=r"norm_topk_prob is true, but llama\.cpp's qwen2moe always keeps"):
        convert(folder, tmp_path / "out.gguf")


#: The converting process reports its peak resident set from /proc (VmHWM starts afresh
#: at exec; ru_maxrss would include the forking pytest process's own).
PEAK = """
import re, sys
from pathlib import Path
from builder import convert
convert(sys.argv[1], sys.argv[2], outtype="f16")
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1]) * 1024)
"""


def test_converting_64_experts_per_layer_stays_under_200_mb(tmp_path: Path) -> None:
    """A 64-expert Qwen3-MoE checkpoint several times the memory bound is converted by
    a fresh process whose peak resident set stays under 200 MB."""
    folder = synthetic_moe(tmp_path / "hf", experts=64, layers=6)
    size = sum(path.stat().st_size for path in folder.glob("*.safetensors"))
    assert size > 3 * 200e6
    run = subprocess.run(
        [sys.executable, "-c", PEAK, str(folder), str(tmp_path / "out.gguf")],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr
    peak = int(run.stdout.split()[-1])
    meta = read_metadata(tmp_path / "out.gguf", tensors=True)
    assert meta.metadata["qwen3moe.expert_count"] == 64
    assert {tuple(t.shape) for t in meta.tensors if t.name.endswith("ffn_down_exps.weight")} == {(512, 256, 64)}
    assert peak < 200e6, f"peak RSS {peak / 1e6:.0f} MB converting {size / 1e6:.0f} MB"


def test_convert_list_names_every_architecture_the_converter_takes() -> None:
    from gguf.constants import MODEL_ARCH_NAMES

    from builder.conversion.archs import BY_NAME

    text = mfc("convert", "--list")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["GGUF", "HUGGING", "FACE", "CLASSES", "COVERS"]
    for name, arch in BY_NAME.items():  # each class on the line of its GGUF architecture, with a description
        (line,) = [line for line in lines[1:] if re.search(rf"\b{name}\b", line)]
        assert line.split()[0] == MODEL_ARCH_NAMES[arch.arch]
        assert len(line.split("   ")[-1].strip()) > 20
    data = json.loads(mfc("convert", "--list", "--json").stdout)
    experts = {c for a in data["architectures"] if a["experts"] for c in a["classes"]}
    assert experts == {
        "MixtralForCausalLM",
        "Qwen2MoeForCausalLM",
        "Qwen3MoeForCausalLM",
        "OlmoeForCausalLM",
        "GraniteMoeForCausalLM",
        "GraniteMoeSharedForCausalLM",
        "DeepseekV3ForCausalLM",
        "GptOssForCausalLM",
    }
    assert {c for a in data["architectures"] for c in a["classes"]} == set(BY_NAME)
    usage = mfc("convert", "somewhere")
    assert usage.returncode == 2 and "-o OUT.gguf" in usage.stderr


def test_from_a_moe_folder_and_mfc_run_continue_like_transformers(models: dict[str, Path], tmp_path: Path) -> None:
    """``FROM ./folder`` with a mixture of experts: built into the store, run by the run
    engine, the greedy continuation of a raw prompt is transformers' own."""
    import torch
    from transformers import AutoModelForCausalLM

    from builder import Store, build
    from builder.run import Runner

    folder = models["qwen3_moe"]
    (tmp_path / "Modelfile").write_text(
        f"FROM {folder}\nTEMPLATE {{{{ .Prompt }}}}\nPARAMETER temperature 0\nPARAMETER num_predict 8\n"
        "PARAMETER repeat_penalty 1\nPARAMETER top_k 1\n"
    )
    store = Store(tmp_path / "store")
    build(tmp_path / "Modelfile", "moe", store=store)
    runner = Runner(store, "moe")
    answer = runner.generate([{"role": "user", "content": "The quick brown fox jumps over"}])
    ids = runner.tokenize(answer.prompt)
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
    assert answer.eval_count > 0
    assert answer.tokens == out[0][len(ids) :].tolist()[: len(answer.tokens)]
