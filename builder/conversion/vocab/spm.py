"""SentencePiece tokenizers (``tokenizer.model``; Llama 2, Mistral, Gemma, Phi-3):
GGUF model ``llama`` with scores and token types from the model's own proto."""

from __future__ import annotations

from pathlib import Path

from builder.conversion.hfconfig import read_json
from builder.conversion.vocab.model import BYTE, CONTROL, NORMAL, UNKNOWN, UNUSED, USER_DEFINED, Vocab
from builder.conversion.vocab.special import add_flags, chat_template, special_ids, token_text
from builder.conversion.vocab.spm_proto import add_dummy_prefix
from builder.errors import ConvertError
from builder.extras import missing


def spm_vocab(folder: Path, vocab_size: int, *, space_prefix: bool | None = None) -> Vocab:
    path = folder / "tokenizer.model"
    try:
        import sentencepiece
    except ImportError:
        raise ConvertError(missing("convert", "converting SentencePiece tokenizers", "sentencepiece")) from None
    try:
        processor = sentencepiece.SentencePieceProcessor(model_file=str(path))
        dummy_prefix = add_dummy_prefix(path.read_bytes(), str(path))
    except (OSError, RuntimeError) as error:
        raise ConvertError(f"{path}: not a SentencePiece model ({error})") from None
    pieces = processor.vocab_size()
    if pieces > vocab_size:
        raise ConvertError(f"{path}: {pieces} pieces, but config.json's vocab_size is {vocab_size}")
    size = vocab_size
    tokens = [f"[PAD{i}]" for i in range(size)]
    scores, types = [-1000.0] * size, [UNUSED] * size
    for i in range(pieces):
        tokens[i], scores[i] = processor.id_to_piece(i), float(processor.get_score(i))
        types[i] = (
            UNKNOWN
            if processor.is_unknown(i)
            else CONTROL
            if processor.is_control(i)
            else UNUSED
            if processor.is_unused(i)
            else BYTE
            if processor.is_byte(i)
            else NORMAL
        )
    ids = {token: i for i, token in enumerate(tokens[:pieces])}
    for text, token_id in read_json(folder / "added_tokens.json", required=False).items():
        if isinstance(token_id, int) and 0 <= token_id < size:
            tokens[token_id], scores[token_id], types[token_id] = text, -1000.0, USER_DEFINED
            ids[text] = token_id
    decoder = read_json(folder / "tokenizer_config.json", required=False).get("added_tokens_decoder") or {}
    for key, entry in decoder.items():
        content = token_text(entry)
        if not str(key).isdigit() or content is None or int(key) >= size:
            continue
        token_id = int(key)
        if token_id < pieces and tokens[token_id] == content:
            if entry.get("special"):
                types[token_id] = CONTROL
            continue
        tokens[token_id], scores[token_id] = content, -1000.0
        types[token_id] = CONTROL if entry.get("special") else USER_DEFINED
        ids[content] = token_id
    fallback = {
        "bos": processor.bos_id(),
        "eos": processor.eos_id(),
        "unk": processor.unk_id(),
        "pad": processor.pad_id(),
    }
    special = special_ids(folder, ids, fallback)
    add_bos, add_eos = add_flags(folder, None)
    prefix_setting = read_json(folder / "tokenizer_config.json", required=False).get("add_prefix_space")
    if space_prefix is None:
        space_prefix = bool(prefix_setting) if isinstance(prefix_setting, bool) else dummy_prefix
    return Vocab(
        "llama",
        tokens,
        types,
        pre="default",
        scores=scores,
        special=special,
        add_bos=True if add_bos is None else add_bos,
        add_eos=False if add_eos is None else add_eos,
        add_space_prefix=space_prefix,
        chat_template=chat_template(folder),
    )
