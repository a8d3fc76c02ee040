"""Which of Ollama's built-in templates a Jinja ``chat_template`` is (``template.Named``).

Ollama computes the Levenshtein distance, in code points, from the model's Jinja
template to each fingerprint in ``index.json`` and takes the nearest if it is under
100; ties keep the earlier entry.  The distance uses Myers' bit-parallel algorithm
(Hyyrö's formulation), one big-integer step per character.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

THRESHOLD = 100


@dataclass(frozen=True)
class NamedTemplate:
    """A built-in template: its name, Go text and default stop sequences."""

    name: str
    fingerprint: str  # the Hugging Face Jinja template it is recognised by
    template: str
    stop: tuple[str, ...]


def _data(name: str) -> str:
    # a path beside this module (installed as files): importlib.resources loads zipfile
    return Path(__file__).with_name("data").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def index() -> tuple[NamedTemplate, ...]:
    entries = []
    for entry in json.loads(_data("index.json")):
        name = entry["name"]
        template = _data(f"{name}.gotmpl").replace("\r\n", "\n")
        try:
            stop = tuple(json.loads(_data(f"{name}.json")).get("stop") or ())
        except FileNotFoundError:
            stop = ()
        entries.append(NamedTemplate(name, entry["template"], template, stop))
    return tuple(entries)


def levenshtein(a: str, b: str) -> int:
    """Edit distance between ``a`` and ``b`` in code points."""
    if len(a) < len(b):
        a, b = b, a
    m = len(b)
    if m == 0:
        return len(a)
    masks: dict[str, int] = {}
    for i, char in enumerate(b):
        masks[char] = masks.get(char, 0) | (1 << i)
    full = (1 << m) - 1
    high = 1 << (m - 1)
    plus, minus, score = full, 0, m
    for char in a:
        eq = masks.get(char, 0)
        xv = eq | minus
        xh = ((((eq & plus) + plus) & full) ^ plus) | eq
        ph = minus | (~(xh | plus) & full)
        mh = plus & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        plus = mh | (~(xv | ph) & full)
        minus = ph & xv
    return score


def match(chat_template: str) -> NamedTemplate | None:
    """Ollama's ``Named()``: the nearest built-in template under distance 100, or None."""
    best: NamedTemplate | None = None
    best_score = THRESHOLD
    for entry in index():
        if abs(len(entry.fingerprint) - len(chat_template)) >= best_score:
            continue  # the distance is at least the length difference
        score = levenshtein(chat_template, entry.fingerprint)
        if score < best_score:
            best, best_score = entry, score
    return best
