"""Which fields a template reads that Ollama's data never has (``.Promt``, ``.First``).

A small type walk: dot starts as Ollama's root map; ``range``/``with`` over a known
field give dot the element's type (a message, a tool call, a tool, a property ...);
variables keep the type of what they were declared with.  Where the type is not known
the walk says nothing, so every finding is certain.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from modelfile.template import nodes as n

#: type name -> field -> type of the field ("list:T" / "map:T" for collections, "" for scalars)
TYPES: dict[str, dict[str, str]] = {
    "root": {
        "System": "",
        "Prompt": "",
        "Response": "",
        "Suffix": "",
        "Messages": "list:message",
        "Tools": "list:tool",
        "Think": "",
        "ThinkLevel": "",
        "IsThinkSet": "",
    },
    "message": {
        "Role": "",
        "Content": "",
        "Thinking": "",
        "Images": "",
        "ToolCalls": "list:toolcall",
        "ToolName": "",
        "ToolCallID": "",
    },
    "toolcall": {"ID": "", "Function": "callfunction"},
    "callfunction": {"Index": "", "Name": "", "Arguments": "map:"},
    "tool": {"Type": "", "Items": "", "Function": "toolfunction"},
    "toolfunction": {"Name": "", "Description": "", "Parameters": "parameters"},
    "parameters": {"Type": "", "Defs": "", "Items": "", "Required": "", "Properties": "map:property"},
    "property": {
        "AnyOf": "list:property",
        "Type": "",
        "Items": "",
        "Description": "",
        "Enum": "",
        "Properties": "map:property",
        "Required": "",
    },
}

#: Fields of 2023-era templates that Ollama no longer provides.
REMOVED = {"First": "removed in 2023", "Context": "removed in 2023"}


#: How messages name each type of TYPES.
OWNERS = {
    "root": "the template's data",
    "message": "a message",
    "toolcall": "a tool call",
    "callfunction": "a tool call's function",
    "tool": "a tool",
    "toolfunction": "a tool's function",
    "parameters": "a tool's parameters",
    "property": "a tool property",
}


@dataclass(frozen=True)
class UnknownField:
    """A field Ollama's data does not have (lint's MF403, ``template check``)."""

    name: str
    owner: str  # the type that lacks it
    pos: n.Pos
    suggestion: str | None
    note: str | None

    code = "MF403"

    @property
    def message(self) -> str:
        """What Ollama does with it: the root is a Go map (a missing key prints ``<no value>``
        and is false); every other owner is a Go struct (executing the field fails)."""
        what = f".{self.name} is not a field of {OWNERS.get(self.owner, self.owner)}"
        if self.owner == "root":
            return f"{what}: Ollama prints it as <no value> and it is false in conditions"
        return f"{what}: Ollama fails to render the prompt there (can't evaluate field {self.name})"

    @property
    def hint(self) -> str | None:
        hint = f"did you mean .{self.suggestion}?" if self.suggestion else None
        if self.note:
            hint = f".{self.name} was {self.note}" + (f"; {hint}" if hint else "")
        return hint


def unknown_fields(root: n.List) -> list[UnknownField]:
    return list(_Walker().list(root, "root", {0: "root"}))


class _Walker:
    def list(self, node: n.List, dot: str, variables: dict[int, str]) -> Iterator[UnknownField]:
        scope = dict(variables)
        for item in node.nodes:
            yield from self.statement(item, dot, scope)

    def statement(self, node: n.Statement, dot: str, variables: dict[int, str]) -> Iterator[UnknownField]:
        if isinstance(node, n.Action):
            yield from self.pipeline(node.pipe, dot, variables)
        elif isinstance(node, n.If):
            for pipe, body in node.branches:
                yield from self.pipeline(pipe, dot, variables)
                yield from self.list(body, dot, variables)
            if node.otherwise:
                yield from self.list(node.otherwise, dot, variables)
        elif isinstance(node, n.With):
            for pipe, body in node.branches:
                yield from self.pipeline(pipe, dot, variables)
                yield from self.list(body, self.type_of(pipe, dot, variables), variables)
            if node.otherwise:
                yield from self.list(node.otherwise, dot, variables)
        elif isinstance(node, n.Range):
            yield from self.pipeline(node.pipe, dot, variables)
            element = _element(self.type_of(node.pipe, dot, variables))
            inner = dict(variables)
            if node.pipe.decls:
                inner[node.pipe.decls[-1]] = element
            yield from self.list(node.body, element, inner)
            if node.otherwise:
                yield from self.list(node.otherwise, dot, variables)

    def pipeline(self, pipe: n.Pipeline, dot: str, variables: dict[int, str]) -> Iterator[UnknownField]:
        for command in pipe.commands:
            for arg in command.args:
                yield from self.operand(arg, dot, variables)
        if pipe.decls and not pipe.assign and len(pipe.decls) == 1:
            variables[pipe.decls[0]] = self.type_of(pipe, dot, variables)

    def operand(self, node: n.Operand, dot: str, variables: dict[int, str]) -> Iterator[UnknownField]:
        if isinstance(node, n.Field):
            yield from self.chain(dot, node.names, node.pos)
        elif isinstance(node, n.Variable) and node.fields:
            yield from self.chain(variables.get(node.decl, ""), node.fields, node.pos)
        elif isinstance(node, n.SubPipe | n.Chain):
            yield from self.pipeline(node.pipe, dot, variables)

    def chain(self, kind: str, names: tuple[str, ...], pos: n.Pos) -> Iterator[UnknownField]:
        for name in names:
            fields = TYPES.get(kind)
            if fields is None:
                return
            if name not in fields:
                close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
                yield UnknownField(
                    name, kind, pos, close[0] if close else None, REMOVED.get(name) if kind == "root" else None
                )
                return
            kind = fields[name]

    def type_of(self, pipe: n.Pipeline, dot: str, variables: dict[int, str]) -> str:
        """The type of a one-operand pipeline, or "" when it is not known."""
        if len(pipe.commands) != 1 or len(pipe.commands[0].args) != 1:
            return ""
        arg = pipe.commands[0].args[0]
        if isinstance(arg, n.Dot):
            return dot
        if isinstance(arg, n.Field):
            return _follow(dot, arg.names)
        if isinstance(arg, n.Variable):
            return _follow(variables.get(arg.decl, ""), arg.fields)
        return ""


def _follow(kind: str, names: tuple[str, ...]) -> str:
    for name in names:
        kind = TYPES.get(kind, {}).get(name, "")
    return kind


def _element(kind: str) -> str:
    return kind.split(":", 1)[1] if ":" in kind else ""
