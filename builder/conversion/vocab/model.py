"""A tokenizer as GGUF stores it: tokens with types (and scores or merges), special
token ids, the add-BOS/EOS flags and the chat template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gguf import GGUFWriter
from gguf.constants import TokenType

from builder.errors import ConvertError

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = (
    int(t)
    for t in (
        TokenType.NORMAL,
        TokenType.UNKNOWN,
        TokenType.CONTROL,
        TokenType.USER_DEFINED,
        TokenType.UNUSED,
        TokenType.BYTE,
    )
)


def checked_size(ids: dict[str, int], vocab_size: int, where: object) -> int:
    """The model's vocabulary size, refusing a tokenizer with ids beyond it."""
    highest = max(ids.values(), default=-1)
    if highest >= vocab_size:
        raise ConvertError(
            f"{where}: the tokenizer has token id {highest}, but config.json's vocab_size is {vocab_size}"
        )
    return vocab_size


@dataclass
class Vocab:
    model: str  # tokenizer.ggml.model: "gpt2" (byte-level BPE), "llama" (SentencePiece), "bert" (WordPiece)
    tokens: list[str]
    types: list[int]
    pre: str | None = None
    scores: list[float] | None = None
    merges: list[str] | None = None
    special: dict[str, int] = field(default_factory=dict)  # bos, eos, unk, sep, pad, mask -> id
    add_bos: bool | None = None
    add_eos: bool | None = None
    add_sep: bool | None = None
    add_space_prefix: bool | None = None
    token_type_count: int | None = None
    lowercase: bool | None = None
    chat_template: str | list[dict[str, str]] | None = None
    notes: list[str] = field(default_factory=list)

    def write(self, writer: GGUFWriter) -> None:
        writer.add_tokenizer_model(self.model)
        if self.pre:
            writer.add_tokenizer_pre(self.pre)
        writer.add_token_list(self.tokens)
        writer.add_token_types(self.types)
        if self.scores is not None:
            writer.add_token_scores(self.scores)
        if self.merges:
            writer.add_token_merges(self.merges)
        if self.token_type_count is not None:
            writer.add_token_type_count(self.token_type_count)
        adders: dict[str, Any] = {
            "bos": writer.add_bos_token_id,
            "eos": writer.add_eos_token_id,
            "unk": writer.add_unk_token_id,
            "sep": writer.add_sep_token_id,
            "pad": writer.add_pad_token_id,
            "mask": writer.add_mask_token_id,
            "eot": writer.add_eot_token_id,
        }
        for kind, token_id in self.special.items():
            if kind in adders and 0 <= token_id < len(self.tokens):
                adders[kind](token_id)
        for flag, add in (
            (self.add_bos, writer.add_add_bos_token),
            (self.add_eos, writer.add_add_eos_token),
            (self.add_sep, writer.add_add_sep_token),
            (self.add_space_prefix, writer.add_add_space_prefix),
        ):
            if flag is not None:
                add(flag)
        if self.lowercase is False:
            writer.add_bool("tokenizer.ggml.normalizer.lowercase", False)
        if self.chat_template:
            writer.add_chat_template(self.chat_template)
