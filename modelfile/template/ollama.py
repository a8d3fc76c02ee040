"""What Ollama does to a parsed template before executing it (``template/template.go``).

* ``vars_of``: ``Template.Vars()`` - the identifiers of every field and variable node
  (not chains, not comments), lower-cased, sorted; it decides the data path.
* ``with_response``: ``Parse`` appends ``{{ .Response }}`` when the template uses
  neither ``.Messages`` nor ``.Response``.
* ``cut_after_response``: the tree of the last turn of a legacy template, where every
  node after the first ``.Response`` field is deleted (``deleteNode``), including the
  case where Ollama panics.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelfile.errors import TemplateError
from modelfile.template import nodes as n
from modelfile.template.parser import ParsedTemplate


class CutPanic(Exception):
    """Ollama's ``deleteNode`` dereferences a deleted else-list and panics."""


def vars_of(template: ParsedTemplate) -> list[str]:
    names: set[str] = set()
    for root in (template.root, *template.defines.values()):
        for name in _identifiers(root):
            names.add(name.lower())
    return sorted(names)


def _identifiers(node: object) -> Iterator[str]:
    if isinstance(node, n.List):
        for child in node.nodes:
            yield from _identifiers(child)
    elif isinstance(node, n.Action):
        yield from _identifiers(node.pipe)
    elif isinstance(node, n.TemplateCall):
        if node.pipe is None:
            raise TemplateError(
                "undefined template specified",
                line=node.pos.line,
                column=node.pos.column,
                go_error="undefined template specified",
                hint='Ollama needs a pipeline: {{ template "name" . }}',
            )
        yield from _identifiers(node.pipe)
    elif isinstance(node, n.If | n.With):
        for pipe, body in node.branches:
            yield from _identifiers(pipe)
            yield from _identifiers(body)
        if node.otherwise is not None:
            yield from _identifiers(node.otherwise)
    elif isinstance(node, n.Range):
        yield from _identifiers(node.pipe)
        yield from _identifiers(node.body)
        if node.otherwise is not None:
            yield from _identifiers(node.otherwise)
    elif isinstance(node, n.Block):
        yield from _identifiers(node.pipe)
    elif isinstance(node, n.Pipeline):
        for command in node.commands:
            for arg in command.args:
                yield from _identifiers(arg)
    elif isinstance(node, n.SubPipe):
        yield from _identifiers(node.pipe)
    elif isinstance(node, n.Field):
        yield from node.names
    elif isinstance(node, n.Variable):
        yield node.name
        yield from node.fields


def with_response(template: ParsedTemplate, variables: list[str]) -> n.List:
    """The root list as Ollama executes it (``{{ .Response }}`` appended if needed)."""
    if "messages" in variables or "response" in variables:
        return template.root
    end = n.Pos(0, 0, len(template.source))
    response = n.Action(n.Pipeline((), False, (n.Command((n.Field(("Response",), end),), end),), end), end)
    return n.List((*template.root.nodes, response), template.root.pos)


class _Cutter:
    """Ollama's ``deleteNode`` with its predicate: keep the first ``.Response`` field,
    delete every node visited after it."""

    def __init__(self) -> None:
        self.cut = False

    def delete(self, node: object) -> bool:
        if isinstance(node, n.Field) and "Response" in node.names and not self.cut:
            self.cut = True
            return False
        return self.cut

    def list(self, node: n.List) -> n.List | None:
        if self.delete(node):
            return None
        kept = [child for child in map(self.statement, node.nodes) if child is not None]
        return n.List(tuple(kept), node.pos)

    def statement(self, node: n.Statement) -> n.Statement | None:
        if self.delete(node):
            return None
        if isinstance(node, n.Action):
            pipe = self.pipeline(node.pipe)
            return None if pipe is None else n.Action(pipe, node.pos)
        if isinstance(node, n.If | n.With):
            return self.branches(node)
        if isinstance(node, n.Range):
            body, otherwise = self.branch(node.body, node.otherwise)
            return n.Range(node.pipe, body, otherwise, node.pos)
        return node

    def branches(self, node: n.If | n.With) -> n.Statement:
        """An if/with chain is nested branch nodes: each else-list holds the next one."""
        (pipe, body), rest = node.branches[0], node.branches[1:]
        if rest:
            tail: n.Statement = type(node)(rest, node.otherwise, rest[0][0].pos)
            otherwise: n.List | None = n.List((tail,), rest[0][0].pos)
        else:
            otherwise = node.otherwise
        new_body, new_otherwise = self.branch(body, otherwise)
        if new_otherwise is not None and len(new_otherwise.nodes) == 1 and rest:
            nested = new_otherwise.nodes[0]
            if isinstance(nested, type(node)):
                return type(node)(((pipe, new_body), *nested.branches), nested.otherwise, node.pos)
        return type(node)(((pipe, new_body),), new_otherwise, node.pos)

    def branch(self, body: n.List, otherwise: n.List | None) -> tuple[n.List, n.List | None]:
        """A branch node: its list, then its else-list.  The branch was entered before the
        cut, so its list stays; an else-list visited after the cut is deleted, and Ollama
        then dereferences nil."""
        new_body = self.list(body)
        assert new_body is not None
        if otherwise is None:
            return new_body, None
        new_otherwise = self.list(otherwise)
        if new_otherwise is None:
            raise CutPanic()
        return new_body, new_otherwise

    def pipeline(self, pipe: n.Pipeline) -> n.Pipeline | None:
        if self.delete(pipe):
            return None
        commands = []
        for command in pipe.commands:
            args = [arg for arg in map(self.operand, command.args) if arg is not None]
            if not args:
                return None
            commands.append(n.Command(tuple(args), command.pos))
        return n.Pipeline(pipe.decls, pipe.assign, tuple(commands), pipe.pos)

    def operand(self, node: n.Operand) -> n.Operand | None:
        if self.delete(node):
            return None
        if isinstance(node, n.SubPipe):
            pipe = self.pipeline(node.pipe)
            return None if pipe is None else n.SubPipe(pipe, node.pos)
        return node


def cut_after_response(root: n.List) -> n.List:
    """The last legacy turn's tree; raises ``CutPanic`` where Ollama panics."""
    cut = _Cutter().list(root)
    assert cut is not None
    return cut
