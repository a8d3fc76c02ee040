"""The tokenizer of a Hugging Face folder, read as GGUF stores it."""

from __future__ import annotations

from pathlib import Path

from builder.conversion.vocab.bpe import bpe_vocab
from builder.conversion.vocab.model import Vocab
from builder.conversion.vocab.spm import spm_vocab
from builder.conversion.vocab.wordpiece import wordpiece_vocab
from builder.errors import ConvertError


def load_vocab(
    folder: Path,
    vocab_size: int,
    *,
    wordpiece: bool = False,
    type_vocab_size: int = 2,
    space_prefix: bool | None = None,
    prefer_bpe: bool = False,
) -> Vocab:
    """SentencePiece when there is a ``tokenizer.model`` (unless ``prefer_bpe``), else the
    ``tokenizer.json`` BPE; WordPiece for BERT."""
    if wordpiece:
        return wordpiece_vocab(folder, vocab_size, type_vocab_size)
    if (folder / "tokenizer.model").is_file() and not prefer_bpe:
        return spm_vocab(folder, vocab_size, space_prefix=space_prefix)
    if (folder / "tokenizer.json").is_file():
        return bpe_vocab(folder, vocab_size)
    raise ConvertError(f"{folder}: no tokenizer (tokenizer.model or tokenizer.json)")


__all__ = ["Vocab", "load_vocab"]
