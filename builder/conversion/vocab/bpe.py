"""Byte-level BPE tokenizers (``tokenizer.json``; GPT-2, Llama 3, Qwen, SmolLM ...):
GGUF model ``gpt2`` with merges and the pre-tokenizer llama.cpp must use.

The ``tokenizers`` library runs the tokenizer to identify its pre-tokenizer
(``pretokenizer.py``); the vocabulary and merges are read from the JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from builder.conversion.vocab.model import CONTROL, NORMAL, UNUSED, USER_DEFINED, Vocab, checked_size
from builder.conversion.vocab.pretokenizer import identify
from builder.conversion.vocab.special import add_flags, chat_template, special_ids
from builder.errors import ConvertError
from builder.extras import missing

LOOKS_SPECIAL = re.compile(r"^(<\|.*\|>|<｜.*｜>|<pad>|<mask>|<unused\d+>|\[@BOS@\]|<2mass>)$")


def read_tokenizer_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConvertError(f"{path}: not a readable tokenizer.json ({error})") from None
    if not isinstance(value, dict) or not isinstance(value.get("model"), dict):
        raise ConvertError(f"{path}: no tokenizer model in it")
    return value


def bpe_vocab(folder: Path, vocab_size: int) -> Vocab:
    path = folder / "tokenizer.json"
    data = read_tokenizer_json(path)
    model = data["model"]
    if model.get("type") != "BPE" or not isinstance(model.get("vocab"), dict):
        raise ConvertError(f"{path}: a {model.get('type')} tokenizer, not byte-level BPE")
    if model.get("byte_fallback"):
        raise ConvertError(
            f"{path}: a BPE tokenizer with byte fallback (Llama 2 style): mfc needs its "
            "tokenizer.model (SentencePiece) to convert it"
        )
    ids: dict[str, int] = {str(k): int(v) for k, v in model["vocab"].items()}
    added = {int(t["id"]): t for t in data.get("added_tokens") or [] if isinstance(t, dict) and "id" in t}
    for token_id, entry in added.items():
        ids[str(entry.get("content"))] = token_id
    size = checked_size(ids, vocab_size, path)
    tokens, types = [f"[PAD{i}]" for i in range(size)], [UNUSED] * size
    for text, token_id in ids.items():
        if token_id < size:
            tokens[token_id], types[token_id] = text, NORMAL
    for token_id, entry in added.items():
        content = str(entry.get("content"))
        if entry.get("special") or LOOKS_SPECIAL.match(content):
            types[token_id] = CONTROL
        else:
            tokens[token_id], types[token_id] = content.replace("\u2581", " "), USER_DEFINED
    merges = [_merge(m, path) for m in model.get("merges") or []]
    special = special_ids(folder, ids)
    add_bos, add_eos = add_flags(folder, data)
    pre = identify(_encoder(path), special.get("bos"), add_bos, str(path))
    return Vocab(
        "gpt2",
        tokens,
        types,
        pre=pre,
        merges=merges,
        special=special,
        add_bos=add_bos,
        add_eos=add_eos,
        chat_template=chat_template(folder),
    )


def _merge(value: Any, path: Path) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 2 and all(isinstance(p, str) for p in value):
        return " ".join(part.replace(" ", "\u0120") for part in value)
    raise ConvertError(f"{path}: merge {value!r} is neither 'a b' nor ['a', 'b']")


def _encoder(path: Path) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise ConvertError(missing("convert", "converting BPE tokenizers", "tokenizers")) from None
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as error:  # noqa: BLE001 - the library raises plain Exception for bad files
        raise ConvertError(f"{path}: the tokenizers library cannot load it ({error})") from None
    return lambda text: tokenizer.encode(text).ids
