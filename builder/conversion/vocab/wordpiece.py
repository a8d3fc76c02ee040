"""WordPiece tokenizers (BERT, sentence-transformers): GGUF model ``bert``.

llama.cpp's WordPiece marks the start of a word, not its continuation: ``##ing``
becomes ``ing`` and every other non-special token gains a leading ``▁``.
"""

from __future__ import annotations

from pathlib import Path

from builder.conversion.hfconfig import read_json
from builder.conversion.vocab.bpe import read_tokenizer_json
from builder.conversion.vocab.model import CONTROL, NORMAL, UNUSED, Vocab, checked_size
from builder.conversion.vocab.special import special_ids
from builder.errors import ConvertError


def wordpiece_vocab(folder: Path, vocab_size: int, type_vocab_size: int) -> Vocab:
    ids, special_texts, lowercase = _read(folder)
    size = checked_size(ids, vocab_size, folder)
    tokens, types = [f"[PAD{i}]" for i in range(size)], [UNUSED] * size
    for text, token_id in ids.items():
        if text in special_texts:
            tokens[token_id], types[token_id] = text, CONTROL
        elif text.startswith("##"):
            tokens[token_id], types[token_id] = text[2:], NORMAL
        else:
            tokens[token_id], types[token_id] = "\u2581" + text, NORMAL
    special = special_ids(folder, ids)
    if "cls" in special:
        special.setdefault("bos", special["cls"])
    if "sep" in special:
        special.setdefault("eos", special["sep"])
    special.pop("cls", None)
    return Vocab(
        "bert",
        tokens,
        types,
        pre="default",
        special=special,
        add_bos=True,
        add_eos=True,
        token_type_count=type_vocab_size,
        lowercase=lowercase,
    )


def _read(folder: Path) -> tuple[dict[str, int], set[str], bool]:
    tokenizer_config = read_json(folder / "tokenizer_config.json", required=False)
    lowercase = tokenizer_config.get("do_lower_case", True) is not False
    path = folder / "tokenizer.json"
    if path.is_file():
        data = read_tokenizer_json(path)
        model = data["model"]
        if model.get("type") != "WordPiece" or not isinstance(model.get("vocab"), dict):
            raise ConvertError(f"{path}: a {model.get('type')} tokenizer, not WordPiece")
        ids = {str(k): int(v) for k, v in model["vocab"].items()}
        special = {str(t.get("content")) for t in data.get("added_tokens") or [] if t.get("special")}
        normalizer = data.get("normalizer") or {}
        if normalizer.get("type") == "BertNormalizer" and normalizer.get("lowercase") is False:
            lowercase = False
        return ids, special, lowercase
    vocab = folder / "vocab.txt"
    if not vocab.is_file():
        raise ConvertError(f"{folder}: no tokenizer.json or vocab.txt for the WordPiece tokenizer")
    ids = {line.rstrip("\n"): i for i, line in enumerate(vocab.read_text(encoding="utf-8").splitlines())}
    special = {t for t in ids if t.startswith("[") and t.endswith("]") and not t.startswith("[unused")}
    return ids, special, lowercase
