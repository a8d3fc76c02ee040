"""Tiny random checkpoints of the newer dense text architectures (issue 14, item 2), made
by ``transformers`` from the shape of a real config (Gemma 3, OLMo 2/3, Granite, SmolLM3,
Phi-3.5 with LongRoPE), with the tokenizers ``hf_fixtures`` builds locally.

``config.json`` is rewritten as the released checkpoints on the Hub have it (transformers 4
layout: ``rope_theta``, ``rope_scaling``, Gemma 3's ``rope_local_base_freq``), unless
``config_format="v5"`` keeps what transformers 5 writes.  Rope-scaled models get a context
short enough that the test text is longer than it, so the scaling is exercised.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

from hf_fixtures import (
    _config_v4,
    _randomise,
    _read_json,
    _sentence_transformers_files,
    _token_ids,
    _write_json,
    _write_tokenizer,
)

__all__ = ["DENSE", "OLLAMA_FINGERPRINTS", "dense_model"]

#: kind -> (tokenizer, what the model stands for)
DENSE: dict[str, tuple[str, str]] = {
    "gemma3": ("spm", "Gemma 3 1B's shape: sliding window every 5 of 6 layers, q/k norms"),
    "gemma3-scaled": ("spm", "Gemma 3 4B's shape: linear rope scaling 8 on the global layers"),
    "gemma3-vlm": ("spm", "Gemma3ForConditionalGeneration: a SigLIP tower beside the text model"),
    "embeddinggemma": ("spm", "EmbeddingGemma: bidirectional Gemma 3, mean pooling, two Dense projections"),
    "ministral3": ("spm", "Ministral 3: YaRN rope scaling and Llama 4's attention temperature"),
    "mistral3-vlm": ("spm", "Mistral3ForConditionalGeneration around Mistral Small 3.1's text model"),
    "ministral3-vlm": ("spm", "Ministral-3-3B-2512's shape: a Pixtral tower beside a Ministral 3"),
    "nomic-bert": ("wordpiece", "nomic-embed-text-v1.5's layout: rotary BERT, fused qkv, SwiGLU, mean pooling"),
    "llama4": ("bpe", "Llama 4 Scout's layout: experts on every 2nd layer, shared expert, q/k L2 norm, NoPE every 4th"),
    "llama4-vlm": ("bpe", "Llama4ForConditionalGeneration: a vision model beside the Llama 4 text model"),
    "olmo2": ("bpe", "OLMo 2: norms after attention and MLP, full-width q/k norms"),
    "olmo3": ("bpe", "OLMo 3: OLMo 2 with sliding window on 3 of 4 layers"),
    "granite": ("bpe", "Granite 3: Llama with embedding, residual, attention and logit multipliers"),
    "smollm3": ("bpe", "SmolLM3: Llama with no rotary embedding on every 4th layer"),
    "phi3-longrope": ("spm", "Phi-3.5-mini: LongRoPE long/short factors"),
    "phi4-mini": ("bpe", "Phi-4-mini: LongRoPE on 3/4 of each head, tied embeddings, GPT-2 style BPE"),
    "cohere": ("bpe", "Command R: parallel attention and MLP, LayerNorm without bias, logit scale"),
    "lfm2": ("bpe", "LFM2-350M's shape: short convolutions and attention layers"),
    "cohere2": ("bpe", "Command R7B: sliding window on 3 of 4 layers, no rope on the 4th"),
}

#: The Hugging Face chat templates Ollama's Named() recognises, by template name.
OLLAMA_FINGERPRINTS = ("gemma3-instruct", "granite-instruct", "phi-3")


def _config(kind: str, vocab: int, ids: dict[str, int | None], qk_norm: bool = False) -> tuple[Any, Any]:
    import transformers as tf

    hidden = 64 if vocab <= 4096 else 32
    common: dict[str, Any] = {
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "intermediate_size": 128,
        "max_position_embeddings": 512,
        **ids,
    }
    if kind.startswith("gemma3") or kind == "embeddinggemma":
        scaled = kind == "gemma3-scaled"
        text = dict(
            common,
            num_hidden_layers=6,  # the sixth is the first global-attention layer
            head_dim=32,
            query_pre_attn_scalar=32,
            hidden_activation="gelu_pytorch_tanh",
            rms_norm_eps=1e-6,
            sliding_window=8,  # shorter than the test text
            rope_parameters={
                "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                "full_attention": (
                    {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0}
                    if scaled
                    else {"rope_type": "default", "rope_theta": 1000000.0}
                ),
            },
            tie_word_embeddings=True,
        )
        if kind == "gemma3-vlm":
            vision = {
                "hidden_size": 32,
                "intermediate_size": 64,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "image_size": 28,
                "patch_size": 14,
            }
            config = tf.Gemma3Config(
                text_config=text, vision_config=vision, mm_tokens_per_image=4, image_token_index=vocab - 1
            )
            return config, tf.Gemma3ForConditionalGeneration
        if kind == "embeddinggemma":
            config = tf.Gemma3TextConfig(**text, use_bidirectional_attention=True)
            config.architectures = ["Gemma3TextModel"]
            return config, tf.Gemma3TextModel
        return tf.Gemma3TextConfig(**text), tf.Gemma3ForCausalLM
    if kind in ("olmo2", "olmo3"):
        extra: dict[str, Any] = {"rms_norm_eps": 1e-6, "tie_word_embeddings": False}
        if kind == "olmo3":
            extra.update(sliding_window=8, rope_parameters={"rope_type": "default", "rope_theta": 500000.0})
            return tf.Olmo3Config(**dict(common, num_hidden_layers=4), **extra), tf.Olmo3ForCausalLM
        return tf.Olmo2Config(**common, **extra), tf.Olmo2ForCausalLM
    if kind == "granite":
        config = tf.GraniteConfig(
            **common,
            rms_norm_eps=1e-5,
            embedding_multiplier=12.0,
            residual_multiplier=0.22,
            attention_multiplier=0.0078125,
            logits_scaling=8.0,
            tie_word_embeddings=True,
            rope_parameters={"rope_type": "default", "rope_theta": 10000000.0},
        )
        return config, tf.GraniteForCausalLM
    if kind == "smollm3":
        config = tf.SmolLM3Config(
            **dict(common, num_hidden_layers=4),  # the fourth layer has no rotary embedding
            rms_norm_eps=1e-6,
            no_rope_layer_interval=4,
            tie_word_embeddings=True,
            rope_parameters={"rope_type": "default", "rope_theta": 5000000.0},
        )
        return config, tf.SmolLM3ForCausalLM
    if kind == "phi4-mini":
        half = hidden // 4 * 3 // 4 // 2  # partial_rotary_factor 0.75
        config = tf.Phi3Config(
            **common,
            rms_norm_eps=1e-5,
            original_max_position_embeddings=16,
            rope_parameters={
                "rope_type": "longrope",
                "rope_theta": 10000.0,
                "partial_rotary_factor": 0.75,
                "long_factor": [1.0 + 0.5 * i for i in range(half)],
                "short_factor": [1.0 + 0.05 * i for i in range(half)],
                "original_max_position_embeddings": 16,
            },
            sliding_window=None,
            tie_word_embeddings=True,
        )
        return config, tf.Phi3ForCausalLM
    if kind == "phi3-longrope":
        half = hidden // 4 // 2
        config = tf.Phi3Config(
            **common,
            rms_norm_eps=1e-5,
            original_max_position_embeddings=16,  # shorter than the test text: the long factors apply
            rope_parameters={
                "rope_type": "longrope",
                "rope_theta": 10000.0,
                "long_factor": [1.0 + 0.5 * i for i in range(half)],
                "short_factor": [1.0 + 0.05 * i for i in range(half)],
                "original_max_position_embeddings": 16,
            },
            sliding_window=None,
            tie_word_embeddings=False,
        )
        return config, tf.Phi3ForCausalLM
    if kind.startswith(("ministral3", "mistral3")):
        text = dict(common, head_dim=16, rms_norm_eps=1e-5, tie_word_embeddings=False)
        if kind.startswith("ministral3"):
            text.update(
                max_position_embeddings=256,
                rope_parameters={
                    "rope_type": "yarn",
                    "rope_theta": 1000000.0,
                    "factor": 16.0,
                    "original_max_position_embeddings": 16,  # shorter than the test text
                    "max_position_embeddings": 256,
                    "beta_fast": 32.0,
                    "beta_slow": 1.0,
                    "mscale": 1.0,
                    "mscale_all_dim": 1.0,
                    "llama_4_scaling_beta": 0.1,
                },
            )
        if kind == "ministral3":
            return tf.Ministral3Config(**text), tf.Ministral3ForCausalLM
        vision = {
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 28,
            "patch_size": 14,
            "head_dim": 16,
        }
        text["model_type"] = "ministral3" if kind == "ministral3-vlm" else "mistral"
        config = tf.Mistral3Config(text_config=text, vision_config=vision, image_token_index=vocab - 1)
        config.tie_word_embeddings = False
        return config, tf.Mistral3ForConditionalGeneration
    if kind == "nomic-bert":
        config = tf.NomicBertConfig(
            vocab_size=vocab,
            hidden_size=hidden,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=512,
            layer_norm_eps=1e-12,
            type_vocab_size=2,
            rope_parameters={"rope_type": "default", "rope_theta": 1000.0},
            pad_token_id=0,
        )
        return config, tf.NomicBertModel
    if kind.startswith("llama4"):
        text = dict(
            common,
            num_hidden_layers=4,
            intermediate_size=64,
            head_dim=hidden // 4,
            intermediate_size_mlp=128,
            num_local_experts=4,
            num_experts_per_tok=1,
            interleave_moe_layer_step=2,
            use_qk_norm=True,
            rms_norm_eps=1e-5,
            rope_parameters={"rope_type": "default", "rope_theta": 500000.0},
            tie_word_embeddings=False,
        )
        if kind == "llama4-vlm":
            vision = {
                "hidden_size": 32,
                "intermediate_size": 64,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "image_size": 28,
                "patch_size": 14,
                "vision_output_dim": hidden,
                "projector_input_dim": hidden,
                "projector_output_dim": hidden,
                "pixel_shuffle_ratio": 0.5,
            }
            config = tf.Llama4Config(text_config=text, vision_config=vision, image_token_index=vocab - 1)
            return config, tf.Llama4ForConditionalGeneration
        config = tf.Llama4TextConfig(**text)
        config.architectures = ["Llama4ForCausalLM"]
        return config, tf.Llama4ForCausalLM
    if kind == "lfm2":
        config = tf.Lfm2Config(
            **dict(common, num_hidden_layers=4),
            layer_types=["conv", "full_attention", "conv", "full_attention"],
            norm_eps=1e-5,
            conv_L_cache=3,
            block_multiple_of=64,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
            tie_word_embeddings=True,
        )
        return config, tf.Lfm2ForCausalLM
    if kind == "cohere":
        config = tf.CohereConfig(
            **common, layer_norm_eps=1e-5, logit_scale=0.125, use_qk_norm=qk_norm, tie_word_embeddings=True
        )
        return config, tf.CohereForCausalLM
    if kind == "cohere2":
        config = tf.Cohere2Config(
            **dict(common, num_hidden_layers=4),
            head_dim=hidden // 4,
            layer_norm_eps=1e-5,
            logit_scale=0.25,
            sliding_window=8,
            tie_word_embeddings=True,
        )
        return config, tf.Cohere2ForCausalLM
    raise ValueError(f"unknown dense architecture {kind!r}; expected one of {sorted(DENSE)}")


def _nomic_release(model: Any, folder: Path, vocab: int) -> None:
    """nomic-embed-text-v1.5 as published: the tensors as transformers saves them (its
    remote code's names, q/k/v fused in Wqkv) and config.json in the remote code's keys."""
    shutil.copyfile(folder.with_name(folder.name + "-transformers") / "model.safetensors", folder / "model.safetensors")
    config = model.config
    _write_json(
        folder / "config.json",
        {
            "architectures": ["NomicBertModel"],
            "model_type": "nomic_bert",
            "activation_function": "swiglu",
            "causal": False,
            "prenorm": False,
            "n_embd": config.hidden_size,
            "n_head": config.num_attention_heads,
            "n_layer": config.num_hidden_layers,
            "n_inner": config.intermediate_size,
            "n_positions": config.max_position_embeddings,
            "layer_norm_epsilon": config.layer_norm_eps,
            "rotary_emb_base": config.rope_parameters["rope_theta"],
            "rotary_emb_fraction": 1.0,
            "rotary_emb_interleaved": False,
            "type_vocab_size": config.type_vocab_size,
            "vocab_size": vocab,
            "qkv_proj_bias": False,
            "mlp_fc1_bias": False,
            "mlp_fc2_bias": False,
            "pad_token_id": 0,
        },
    )


def _sentence_transformers_dense(folder: Path, hidden: int, seed: int) -> None:
    """EmbeddingGemma's sentence-transformers modules: mean pooling, Dense to 4x the width
    and back (no bias, no activation), Normalize."""
    import numpy as np
    from safetensors.numpy import save_file

    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
        {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"},
        {"idx": 4, "name": "4", "path": "4_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    _write_json(folder / "modules.json", modules)
    (folder / "1_Pooling").mkdir(exist_ok=True)
    _write_json(
        folder / "1_Pooling" / "config.json",
        {"word_embedding_dimension": hidden, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True},
    )
    (folder / "4_Normalize").mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    for name, (out_features, in_features) in (("2_Dense", (4 * hidden, hidden)), ("3_Dense", (hidden, 4 * hidden))):
        (folder / name).mkdir(exist_ok=True)
        settings = {
            "in_features": in_features,
            "out_features": out_features,
            "bias": False,
            "activation_function": "torch.nn.modules.linear.Identity",
        }
        _write_json(folder / name / "config.json", settings)
        weight = (rng.standard_normal((out_features, in_features)) / math.sqrt(in_features)).astype(np.float32)
        save_file({"linear.weight": weight}, str(folder / name / "model.safetensors"))


def _hub_config(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """config.json as the released checkpoints have it."""
    if kind in ("cohere2", "lfm2", "llama4"):  # as released: one rope_theta, layer_types kept
        return {**_config_v4(values), "layer_types": values["layer_types"]}
    if kind == "olmo3":  # per-layer-type rope parameters, all the same: one rope_theta
        rope = values["rope_parameters"]["full_attention"]
        values = {**values, "rope_parameters": rope}
        return {**_config_v4(values), "layer_types": values["layer_types"]}
    if not kind.startswith("gemma3") and kind != "embeddinggemma":
        return _config_v4(values)
    text = values.get("text_config", values)
    rope = text.pop("rope_parameters", {})
    full, local = rope.get("full_attention", {}), rope.get("sliding_attention", {})
    text["rope_theta"] = full.get("rope_theta", 1000000.0)
    text["rope_local_base_freq"] = local.get("rope_theta", 10000.0)
    scaled = {k: v for k, v in full.items() if k != "rope_theta"}
    text["rope_scaling"] = scaled if scaled.get("rope_type", "default") != "default" else None
    text["sliding_window_pattern"] = 6
    text.pop("layer_types", None)
    if "dtype" in values:
        values["torch_dtype"] = values.pop("dtype")
    return values


def _chat_template(folder: Path, name: str) -> None:
    """The Hugging Face template Ollama recognises as ``name``, in tokenizer_config.json."""
    from modelfile.template.named import index

    template = next(entry.fingerprint for entry in index() if entry.name == name)
    path = folder / "tokenizer_config.json"
    config = _read_json(path)
    config["chat_template"] = template
    _write_json(path, config)


def dense_model(
    kind: str,
    folder: Path,
    *,
    seed: int = 0,
    config_format: str = "v4",
    chat_template: str | None = None,
    qk_norm: bool = False,
) -> Path:
    """A tiny random ``kind`` checkpoint (a key of :data:`DENSE`) in ``folder``, saved by
    transformers in float32, with its tokenizer (and ``chat_template``: the Hugging Face
    template Ollama's Named() knows by that name; ``qk_norm``: Command R+'s q/k norms)."""
    import torch

    tokenizer, _ = DENSE[kind]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    gemma = kind.startswith("gemma3") or kind == "embeddinggemma"
    flavour = "gemma" if gemma else "phi3" if kind.startswith("phi3") else "bert" if kind == "nomic-bert" else "llama"
    _write_tokenizer(tokenizer, flavour, folder)
    if chat_template is not None:
        _chat_template(folder, chat_template)
    vocab, ids = _token_ids(folder)
    config, cls = _config(kind, vocab, ids, qk_norm)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = cls(config).eval()
    _randomise(model, "gemma2" if gemma else kind, seed)
    with torch.no_grad():  # Command R+'s per-head q/k norms are 2-D: scale 1 +- 0.1 like the others
        for name, param in model.named_parameters():
            if name.endswith(("q_norm.weight", "k_norm.weight")) and param.dim() == 2:
                param.copy_(1 + 0.1 * torch.randn(param.shape, generator=torch.Generator().manual_seed(seed)))
    if kind == "nomic-bert":  # as released; transformers' own layout beside it, for reference
        model.save_pretrained(str(folder.with_name(folder.name + "-transformers")))
        _nomic_release(model, folder, vocab)
        _sentence_transformers_files(folder, config.hidden_size)
        return folder
    model.save_pretrained(str(folder))
    if kind == "embeddinggemma":
        _sentence_transformers_dense(folder, config.hidden_size, seed)
    if config_format == "v4":
        path = folder / "config.json"
        path.write_text(json.dumps(_hub_config(kind, _read_json(path)), indent=2, sort_keys=True))
    return folder
