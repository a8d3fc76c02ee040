"""Mixture-of-experts fixtures for the converter tests: tiny random MoE models saved by
transformers (real config shapes scaled down, the tokenizers ``hf_fixtures`` builds),
which experts transformers' routers choose, gpt-oss with MXFP4 experts as OpenAI
publishes it (and its float twin, for the reference), and a synthetic many-expert
checkpoint written directly with numpy (no transformers) for the memory test.

Like ``hf_fixtures``, every builder writes into the folder it is given, depends only on
its arguments and returns the folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from hf_fixtures import _finish_config, _randomise, _token_ids, _write_tokenizer

#: Each MoE architecture's tokenizer kind (``hf_fixtures``' kinds) and what sets it apart.
MOE_ARCHS: dict[str, str] = {
    "mixtral": "spm",  # Mixtral-8x7B: Llama attention, 8 experts, top-2, renormalised
    "qwen2_moe": "bpe",  # Qwen1.5-MoE: q/k/v biases, 60 experts + a gated shared expert
    "qwen3_moe": "bpe",  # Qwen3-30B-A3B: per-head q/k norms, 128 experts, top-8, renormalised
    "olmoe": "bpe",  # OLMoE-1B-7B: whole-projection q/k norms, 64 experts, top-8
    "granitemoe": "bpe",  # Granite-3.0-1B-A400M: stacked fused experts, four multipliers
    "granitemoeshared": "bpe",  # Granite 4 style: plus a shared expert
    "gpt_oss": "bpe",  # gpt-oss-20b: sinks, alternating sliding window, YaRN, stacked float experts
    "deepseek_v3": "bpe",  # DeepSeek V3: latent attention, 1 dense layer, grouped sigmoid routing, shared expert
}


def _moe_config(arch: str, vocab: int, ids: dict[str, int | None]) -> tuple[Any, Any]:
    import transformers as tf

    hidden = 64 if vocab <= 4096 else 32
    common: dict[str, Any] = {
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
        "num_experts_per_tok": 2,
        "tie_word_embeddings": False,
        "use_cache": True,
        **ids,
    }
    if arch == "mixtral":
        config = tf.MixtralConfig(
            **common,
            intermediate_size=96,
            num_local_experts=4,
            rms_norm_eps=1e-5,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
            sliding_window=None,
        )
        return config, tf.MixtralForCausalLM
    if arch == "qwen2_moe":
        config = tf.Qwen2MoeConfig(
            **common,
            intermediate_size=96,
            moe_intermediate_size=32,
            shared_expert_intermediate_size=64,
            num_experts=6,
            norm_topk_prob=False,
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
            use_sliding_window=False,
        )
        return config, tf.Qwen2MoeForCausalLM
    if arch == "qwen3_moe":
        config = tf.Qwen3MoeConfig(
            **common,
            head_dim=16,
            intermediate_size=96,
            moe_intermediate_size=32,
            num_experts=8,
            norm_topk_prob=True,
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        )
        return config, tf.Qwen3MoeForCausalLM
    if arch == "olmoe":
        config = tf.OlmoeConfig(
            **{**common, "num_key_value_heads": 4},  # OLMoE-1B-7B has no grouped-query attention
            intermediate_size=32,
            num_experts=8,
            norm_topk_prob=False,
            rms_norm_eps=1e-5,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        )
        return config, tf.OlmoeForCausalLM
    if arch in ("granitemoe", "granitemoeshared"):
        granite: dict[str, Any] = {
            **common,
            "intermediate_size": 32,
            "num_local_experts": 6,
            "rms_norm_eps": 1e-6,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0},
            "embedding_multiplier": 12.0,  # Granite-3.0-1B-A400M's multipliers
            "attention_multiplier": 0.015625,
            "residual_multiplier": 0.22,
            "logits_scaling": 6.0,
        }
        if arch == "granitemoe":
            return tf.GraniteMoeConfig(**granite), tf.GraniteMoeForCausalLM
        return tf.GraniteMoeSharedConfig(**granite, shared_intermediate_size=48), tf.GraniteMoeSharedForCausalLM
    if arch == "gpt_oss":
        config = tf.GptOssConfig(
            **{**common, "max_position_embeddings": 131072},
            head_dim=16,  # heads x head_dim != hidden, as in gpt-oss-20b (64 x 64 vs 2880)
            intermediate_size=32,
            num_local_experts=6,
            sliding_window=128,
            rms_norm_eps=1e-5,
            rope_parameters={
                "rope_type": "yarn",
                "rope_theta": 150000.0,
                "factor": 32.0,
                "beta_fast": 32.0,
                "beta_slow": 1.0,
                "original_max_position_embeddings": 4096,
                "truncate": False,
            },
        )
        return config, tf.GptOssForCausalLM
    if arch == "deepseek_v3":
        config = tf.DeepseekV3Config(
            **{**common, "num_key_value_heads": 4},
            intermediate_size=96,
            moe_intermediate_size=32,
            n_routed_experts=8,
            n_group=2,  # experts chosen within the best topk_group of n_group groups
            topk_group=1,
            n_shared_experts=1,
            first_k_dense_replace=1,
            routed_scaling_factor=2.5,
            norm_topk_prob=True,
            q_lora_rank=32,
            kv_lora_rank=16,
            qk_nope_head_dim=16,
            qk_rope_head_dim=8,
            v_head_dim=16,
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        )
        return config, tf.DeepseekV3ForCausalLM
    raise ValueError(f"unknown MoE architecture {arch!r}; expected one of {sorted(MOE_ARCHS)}")


def tiny_moe(arch: str, folder: Path, *, seed: int = 0) -> Path:
    """A tiny random ``arch`` (a key of :data:`MOE_ARCHS`) checkpoint in float32, saved by
    ``save_pretrained`` (one tensor per expert, as the Hub's checkpoints are), two layers,
    top-2 routing over 4-8 experts, config.json in the classic layout."""
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_tokenizer(MOE_ARCHS[arch], "llama", folder)
    vocab, ids = _token_ids(folder)
    config, cls = _moe_config(arch, vocab, ids)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = cls(config).eval()
    _randomise(model, arch, seed)
    model.save_pretrained(str(folder))
    _finish_config(folder, "v4")
    return folder


def chosen_experts(folder: Path, ids: list[int]) -> list[set[int]]:
    """For each layer, the experts transformers' router sends any of ``ids`` to."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32).eval()
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_router_logits=True)
    k = model.config.num_experts_per_tok
    return [set(logits.topk(k, dim=-1).indices.reshape(-1).tolist()) for logits in out.router_logits]


def synthetic_moe(folder: Path, *, experts: int = 64, layers: int = 2, hidden: int = 256, ff: int = 512) -> Path:
    """A Qwen3-MoE checkpoint of random float32 weights written with numpy, one tensor per
    expert in one safetensors file per layer, with a tokenizer; nothing is run, so its
    size is free: 64 experts x 3 x 256 x 512 floats is 100 MB per layer."""
    from safetensors.numpy import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_tokenizer("bpe", "llama", folder)
    vocab, ids = _token_ids(folder)
    rng = np.random.default_rng(0)

    def rand(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32) * 0.02

    heads, head_dim = 4, 64

    def shard(index: int) -> dict[str, np.ndarray]:
        if index == 0:
            return {
                "model.embed_tokens.weight": rand(vocab, hidden),
                "model.norm.weight": np.ones(hidden, np.float32),
                "lm_head.weight": rand(vocab, hidden),
            }
        p = f"model.layers.{index - 1}."
        tensors = {
            p + "input_layernorm.weight": np.ones(hidden, np.float32),
            p + "post_attention_layernorm.weight": np.ones(hidden, np.float32),
            p + "self_attn.q_proj.weight": rand(heads * head_dim, hidden),
            p + "self_attn.k_proj.weight": rand(2 * head_dim, hidden),
            p + "self_attn.v_proj.weight": rand(2 * head_dim, hidden),
            p + "self_attn.o_proj.weight": rand(hidden, heads * head_dim),
            p + "self_attn.q_norm.weight": np.ones(head_dim, np.float32),
            p + "self_attn.k_norm.weight": np.ones(head_dim, np.float32),
            p + "mlp.gate.weight": rand(experts, hidden),
        }
        for e in range(experts):
            tensors[p + f"mlp.experts.{e}.gate_proj.weight"] = rand(ff, hidden)
            tensors[p + f"mlp.experts.{e}.up_proj.weight"] = rand(ff, hidden)
            tensors[p + f"mlp.experts.{e}.down_proj.weight"] = rand(hidden, ff)
        return tensors

    weight_map: dict[str, str] = {}
    for index in range(layers + 1):  # one shard in memory at a time
        tensors = shard(index)
        name = f"model-{index + 1:05d}-of-{layers + 1:05d}.safetensors"
        save_file(tensors, str(folder / name), metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(tensors, name))
        del tensors
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    config = {
        "architectures": ["Qwen3MoeForCausalLM"],
        "model_type": "qwen3_moe",
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": 2,
        "head_dim": head_dim,
        "intermediate_size": ff,
        "moe_intermediate_size": ff,
        "num_experts": experts,
        "num_experts_per_tok": 8,
        "norm_topk_prob": True,
        "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        **ids,
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return folder


#: The 16 values of a 4-bit MXFP4 code (E2M1), as Hugging Face's gpt-oss dequantizer has them.
FP4 = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0], np.float32)


def quantize_mxfp4(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``weight[..., rows, cols]`` (cols a multiple of 32) as gpt-oss checkpoints store it:
    ``blocks[..., rows, cols / 32, 16]`` (codes ``2j``, ``2j + 1`` in the low and high nibbles
    of byte ``j``), ``scales[..., rows, cols / 32]`` (E8M0, bias 127), and the values they
    stand for (float32, ``weight``'s shape)."""
    groups = weight.reshape(*weight.shape[:-1], -1, 32).astype(np.float32)
    amax = np.abs(groups).max(axis=-1)
    exponent = np.clip(np.ceil(np.log2(np.maximum(amax, 1e-30) / 6.0)), -127, 127).astype(np.int32)
    scaled = groups / np.exp2(exponent)[..., None]
    codes = np.abs(scaled[..., None] - FP4).argmin(axis=-1).astype(np.uint8)
    values = FP4[codes] * np.exp2(exponent)[..., None].astype(np.float32)
    blocks = (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)
    return blocks, (exponent + 127).astype(np.uint8), values.reshape(weight.shape)


def gpt_oss_mxfp4(folder: Path, twin: Path, *, seed: int = 0) -> tuple[Path, Path]:
    """A tiny gpt-oss whose experts are MXFP4, as OpenAI publishes gpt-oss (``folder``), and
    its float twin (``twin``): the same model with every expert weight replaced by the value
    its MXFP4 code stands for, which transformers runs for the reference."""
    from safetensors.numpy import load_file, save_file

    tiny_moe("gpt_oss", twin, seed=seed)
    path = next(twin.glob("*.safetensors"))
    weights = load_file(str(path))
    packed: dict[str, np.ndarray] = {}
    for name in [n for n in weights if n.endswith(("experts.gate_up_proj", "experts.down_proj"))]:
        blocks, scales, values = quantize_mxfp4(weights[name].transpose(0, 2, 1))  # stored [expert, out, in]
        weights[name] = np.ascontiguousarray(values.transpose(0, 2, 1))
        packed[name + "_blocks"], packed[name + "_scales"] = blocks, scales
    save_file(weights, str(path), metadata={"format": "pt"})
    folder.mkdir(parents=True, exist_ok=True)
    for source in twin.iterdir():
        if source.is_file() and source.suffix != ".safetensors":
            (folder / source.name).write_bytes(source.read_bytes())
    floats = {n: w for n, w in weights.items() if n + "_blocks" not in packed}
    save_file({**floats, **packed}, str(folder / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((folder / "config.json").read_text())
    config["quantization_config"] = {
        "quant_method": "mxfp4",
        "modules_to_not_convert": [
            "model.layers.*.self_attn",
            "model.layers.*.mlp.router",
            "model.embed_tokens",
            "lm_head",
        ],
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return folder, twin
