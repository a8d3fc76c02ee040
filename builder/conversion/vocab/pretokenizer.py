"""Which of llama.cpp's pre-tokenizers a byte-level BPE tokenizer uses.

llama.cpp splits text before BPE with one of a fixed set of regular expressions, chosen
by ``tokenizer.ggml.pre``.  A tokenizer's choice is recognised as llama.cpp's own
converter does: encode a fixed text that exercises every splitting rule and look up
the sha256 of the token ids in a table of known tokenizers (pinned in ``data/``).  An
unknown hash is an error: a guessed pre-tokenizer would silently mis-tokenize.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

from builder.errors import ConvertError


@lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        files("builder.conversion").joinpath("data/pre_tokenizer_hashes.json").read_text(encoding="utf-8")
    )
    return data


def accepted_names() -> set[str]:
    return {name for group in table()["llama_cpp_accepted_pre_names"] for name in group["names"]}


def identify(encode: Any, bos: int | None, add_bos: bool | None, where: str) -> str:
    """The ``tokenizer.ggml.pre`` name for a tokenizer whose ``encode(text) -> ids``
    matches a known one (with BOS as the tokenizer config says)."""
    data = table()
    ids: list[int] = list(encode(data["chktxt"]))
    candidates = [ids]
    if bos is not None:
        if add_bos and (not ids or ids[0] != bos):
            candidates.append([bos, *ids])
        if add_bos is False and ids and ids[0] == bos:
            candidates.append(ids[1:])
    mapping: dict[str, str] = data["effective_mapping_last_match_wins"]
    digests = [hashlib.sha256(str(c).encode()).hexdigest() for c in candidates]
    for digest in digests:
        if digest in mapping:
            name = mapping[digest]
            if name not in accepted_names():
                raise ConvertError(
                    f"{where}: the tokenizer's pre-tokenizer is {name!r} (hash {digest}), which "
                    "llama.cpp does not implement"
                )
            return name
    raise ConvertError(
        f"{where}: unknown BPE pre-tokenizer (hash {digests[0]}): llama.cpp would split text "
        "differently from this tokenizer; mfc refuses rather than guess"
    )
