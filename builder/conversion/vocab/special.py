"""Special tokens, add-BOS/EOS flags and chat templates from ``tokenizer_config.json``,
``config.json``, ``generation_config.json``, ``tokenizer.json``'s post-processor and
``chat_template.jinja``, in the order Hugging Face tools prefer them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builder.conversion.hfconfig import read_json
from builder.errors import ConvertError

KINDS = ("bos", "eos", "unk", "sep", "pad", "mask", "cls")


def token_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return str(value["content"])
    return None


def special_ids(folder: Path, ids: dict[str, int], fallback: dict[str, int] | None = None) -> dict[str, int]:
    """bos/eos/unk/sep/pad/mask ids: tokenizer_config's tokens (looked up in ``ids``), then
    config.json's ``*_token_id``, then ``fallback`` (e.g. SentencePiece's own)."""
    tokenizer_config = read_json(folder / "tokenizer_config.json", required=False)
    special_map = read_json(folder / "special_tokens_map.json", required=False)
    config = read_json(folder / "config.json", required=False)
    found: dict[str, int] = {}
    for kind in KINDS:
        text = token_text(tokenizer_config.get(f"{kind}_token")) or token_text(special_map.get(f"{kind}_token"))
        if text is not None and text in ids:
            found[kind] = ids[text]
            continue
        value = config.get(f"{kind}_token_id")
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            found[kind] = value
        elif fallback and fallback.get(kind, -1) >= 0:
            found[kind] = fallback[kind]
    return found


def add_flags(folder: Path, tokenizer_json: dict[str, Any] | None) -> tuple[bool | None, bool | None]:
    """Whether the tokenizer adds BOS and EOS to every text."""
    tokenizer_config = read_json(folder / "tokenizer_config.json", required=False)
    add_bos, add_eos = tokenizer_config.get("add_bos_token"), tokenizer_config.get("add_eos_token")
    processor = (tokenizer_json or {}).get("post_processor") or {}
    processors = processor.get("processors", [processor]) if processor.get("type") == "Sequence" else [processor]
    for step in processors:
        if not isinstance(step, dict):
            continue
        if step.get("type") in ("BertProcessing", "RobertaProcessing"):
            add_bos = True if add_bos is None else add_bos
            add_eos = True if add_eos is None else add_eos
        elif step.get("type") == "TemplateProcessing" and isinstance(step.get("single"), list) and step["single"]:
            single = step["single"]
            if add_bos is None:
                add_bos = "SpecialToken" in single[0]
            if add_eos is None:
                add_eos = len(single) > 1 and "SpecialToken" in single[-1]
    return (bool(add_bos) if add_bos is not None else None, bool(add_eos) if add_eos is not None else None)


def chat_template(folder: Path) -> str | list[dict[str, str]] | None:
    """The chat template(s): ``chat_template.jinja``, ``chat_template.json``, or tokenizer_config's."""
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        try:
            return jinja.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConvertError(f"{jinja}: cannot read ({error})") from None
    for path in (folder / "chat_template.json", folder / "tokenizer_config.json"):
        value = read_json(path, required=False).get("chat_template")
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list):
            named = [
                {"name": str(t.get("name")), "template": str(t.get("template"))}
                for t in value
                if isinstance(t, dict) and t.get("name") and t.get("template")
            ]
            if named:
                return named
    return None
