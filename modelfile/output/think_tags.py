"""The thinking tags Ollama infers from a Go template (``thinking.InferTags``).

Every ``.Thinking`` field inside a ``range`` over ``.Messages`` looks at its nearest
enclosing list: a first text node gives the opening tag, a last text node the closing
tag (each trimmed); later occurrences overwrite earlier ones.  Both tags non-empty means
the template supports thinking.

>>> infer_tags("{{range .Messages}}{{if .Thinking}}<think>{{.Thinking}}</think>{{end}}{{.Content}}{{end}}")
('<think>', '</think>')
>>> infer_tags("{{.Prompt}}")
('', '')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from modelfile.output.gospace import trim
from modelfile.template import nodes as n
from modelfile.template.parser import parse_template

#: A stand-in for the one-node list Go builds around an ``else if``/``else with``.
_ELSE_CHAIN: tuple[n.Statement, ...] = (n.Break(n.Pos(1, 1, 0)),)


@dataclass
class _Found:
    """The tags found so far (mutated while walking)."""

    opening: str = ""
    closing: str = ""


def infer_tags(template: str) -> tuple[str, str]:
    """``(opening, closing)`` thinking tags of a Go template, ``("", "")`` when none."""
    found = _Found()
    _walk_list(parse_template(template).root.nodes, (), found)
    return found.opening, found.closing


def thinking_capable(template: str) -> bool:
    """Whether Ollama gives a model with this Go template the ``thinking`` capability.

    >>> thinking_capable("{{.Prompt}}")
    False
    """
    opening, closing = infer_tags(template)
    return bool(opening and closing)


def _walk_list(nodes: Sequence[n.Statement], ranges: tuple[n.Range, ...], found: _Found) -> None:
    for node in nodes:
        _walk(node, nodes, ranges, found)


def _walk(node: n.Statement, siblings: Sequence[n.Statement], ranges: tuple[n.Range, ...], found: _Found) -> None:
    if isinstance(node, n.Action):
        _walk_pipe(node.pipe, siblings, ranges, found)
    elif isinstance(node, n.If | n.With):
        for position, (pipe, body) in enumerate(node.branches):
            # Go nests "else if" in a list holding only that if: no text around it.
            _walk_pipe(pipe, siblings if position == 0 else _ELSE_CHAIN, ranges, found)
            _walk_list(body.nodes, ranges, found)
        if node.otherwise is not None:
            _walk_list(node.otherwise.nodes, ranges, found)
    elif isinstance(node, n.Range):
        inner = (*ranges, node)
        _walk_pipe(node.pipe, siblings, inner, found)
        _walk_list(node.body.nodes, inner, found)
        if node.otherwise is not None:
            _walk_list(node.otherwise.nodes, inner, found)
    elif isinstance(node, n.TemplateCall | n.Block) and node.pipe is not None:
        # A block is a template call in Go's tree: only its pipeline is walked.
        _walk_pipe(node.pipe, siblings, ranges, found)


def _walk_pipe(pipe: n.Pipeline, siblings: Sequence[n.Statement], ranges: tuple[n.Range, ...], found: _Found) -> None:
    for command in pipe.commands:
        for arg in command.args:
            if isinstance(arg, n.Field) and arg.names[0] == "Thinking":
                _take_tags(siblings, ranges, found)
            elif isinstance(arg, n.SubPipe):
                _walk_pipe(arg.pipe, siblings, ranges, found)


def _take_tags(siblings: Sequence[n.Statement], ranges: tuple[n.Range, ...], found: _Found) -> None:
    if not ranges or not _uses_field(ranges[-1].pipe, "Messages"):
        return
    first, last = siblings[0], siblings[-1]
    if isinstance(first, n.Text):
        found.opening = trim(first.text)
    if isinstance(last, n.Text):
        found.closing = trim(last.text)


def _uses_field(pipe: n.Pipeline, name: str) -> bool:
    for command in pipe.commands:
        for arg in command.args:
            if isinstance(arg, n.Field) and arg.names[0] == name:
                return True
            if isinstance(arg, n.SubPipe) and _uses_field(arg.pipe, name):
                return True
    return False
