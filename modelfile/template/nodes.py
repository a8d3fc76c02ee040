"""The Go template AST: frozen nodes, each with the position where it starts.

Trim markers are already applied (``Text.text`` is what Go writes), ``else if``
chains are flattened into ``If.branches``, and every variable is resolved to the
declaration it refers to (``Variable.decl``), so later stages need no scope tracking.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pos:
    """1-based line and column in the template text, and the offset."""

    line: int
    column: int
    offset: int


# ---- operands -------------------------------------------------------------------------


@dataclass(frozen=True)
class Dot:
    """``.``: the current value."""

    pos: Pos


@dataclass(frozen=True)
class Field:
    """``.A.B``: fields of dot."""

    names: tuple[str, ...]
    pos: Pos


@dataclass(frozen=True)
class Variable:
    """``$x.A.B`` or ``$`` (the root).  ``decl`` numbers the declaration it refers to."""

    name: str
    fields: tuple[str, ...]
    decl: int
    pos: Pos


@dataclass(frozen=True)
class Identifier:
    """A function name (``eq``, ``printf``, ``json`` ...)."""

    name: str
    pos: Pos


@dataclass(frozen=True)
class Literal:
    """A string, rune (as int), number, bool or nil constant."""

    value: str | int | float | bool | None
    text: str
    pos: Pos


@dataclass(frozen=True)
class Chain:
    """``(pipeline).A.B``."""

    pipe: Pipeline
    fields: tuple[str, ...]
    pos: Pos


@dataclass(frozen=True)
class SubPipe:
    """``(pipeline)``."""

    pipe: Pipeline
    pos: Pos


Operand = Dot | Field | Variable | Identifier | Literal | Chain | SubPipe


@dataclass(frozen=True)
class Command:
    """Operands of one pipeline stage; a function call when the first is an identifier."""

    args: tuple[Operand, ...]
    pos: Pos


@dataclass(frozen=True)
class Pipeline:
    """``$x := cmd | cmd``.  ``decls`` are declaration numbers (see ``Variable.decl``)."""

    decls: tuple[int, ...]
    assign: bool  # "=" rather than ":="
    commands: tuple[Command, ...]
    pos: Pos


# ---- statements -----------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str
    pos: Pos


@dataclass(frozen=True)
class Action:
    """``{{ pipeline }}``: prints the value unless the pipeline declares or assigns."""

    pipe: Pipeline
    pos: Pos


@dataclass(frozen=True)
class If:
    """``if``/``else if``… chains: the first branch whose pipeline is true runs."""

    branches: tuple[tuple[Pipeline, List], ...]
    otherwise: List | None
    pos: Pos


@dataclass(frozen=True)
class With:
    """``with``/``else with`` chains: dot becomes the pipeline's value in the branch."""

    branches: tuple[tuple[Pipeline, List], ...]
    otherwise: List | None
    pos: Pos


@dataclass(frozen=True)
class Range:
    """``range [$i,] [$e :=] pipeline``, with an ``else`` for an empty collection."""

    pipe: Pipeline
    body: List
    otherwise: List | None
    pos: Pos


@dataclass(frozen=True)
class Break:
    pos: Pos


@dataclass(frozen=True)
class Continue:
    pos: Pos


@dataclass(frozen=True)
class Define:
    """``define "name"`` … ``end``."""

    name: str
    body: List
    pos: Pos


@dataclass(frozen=True)
class TemplateCall:
    """``template "name" [pipeline]``."""

    name: str
    pipe: Pipeline | None
    pos: Pos


@dataclass(frozen=True)
class Block:
    """``block "name" pipeline`` … ``end``: a define and a template call in one."""

    name: str
    pipe: Pipeline
    body: List
    pos: Pos


Statement = Text | Action | If | With | Range | Break | Continue | Define | TemplateCall | Block


@dataclass(frozen=True)
class List:
    nodes: tuple[Statement, ...]
    pos: Pos


@dataclass(frozen=True)
class Declaration:
    """A variable declaration: its Go name and where it is declared."""

    name: str
    number: int
    pos: Pos
