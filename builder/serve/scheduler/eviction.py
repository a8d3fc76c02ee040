"""Which loaded model makes room for another: Ollama's rule (ollama-api.md §11.4) as a
pure function of the loaded models' keep-alives and users.

The models are ordered by keep-alive, shortest first; the first idle one goes now,
else the first of all (busy) goes when its requests end.

>>> from dataclasses import dataclass
>>> @dataclass
... class M:
...     key: str
...     keep_alive: int
...     users: int
>>> victim([M("a", 60, 1), M("b", 300, 0), M("c", 600, 0)]).key
'b'
>>> victim([M("a", 600, 1), M("b", 60, 2)]).key
'b'
>>> victim([]) is None
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar


class Candidate(Protocol):
    """What the choice looks at: a model's keep-alive (nanoseconds) and its users."""

    @property
    def keep_alive(self) -> int: ...

    @property
    def users(self) -> int: ...


C = TypeVar("C", bound=Candidate)


def victim(loaded: Iterable[C]) -> C | None:
    """The model to unload for room (``None`` when nothing is loaded): the idle one with
    the shortest keep-alive, else the busy one with the shortest."""
    ordered = sorted(loaded, key=lambda model: model.keep_alive)
    idle = [model for model in ordered if not model.users]
    if idle:
        return idle[0]
    return ordered[0] if ordered else None
