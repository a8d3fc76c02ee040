"""The Go value model the template runtime and Go's ``fmt`` share: a value with Go
behaviour (``GoValue``), and the missing value (a map key that is absent, a nil
interface) that prints ``<no value>``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jinja2 import Undefined


class GoUndefined(Undefined):
    """A missing map key or nil interface: prints ``<no value>``, false, ranges as empty."""

    __slots__ = ()

    def __str__(self) -> str:
        return "<no value>"

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __bool__(self) -> bool:
        return False

    def __len__(self) -> int:
        return 0


def is_missing(value: Any) -> bool:
    return isinstance(value, Undefined)


class GoValue:
    """A value with Go behaviour: printing, JSON, fields, type name."""

    go_type = "struct"

    def go_string(self, *, top: bool) -> str:
        raise NotImplementedError

    def __gojson__(self) -> str:
        raise NotImplementedError

    def go_field(self, name: str) -> Any:
        raise KeyError(name)
