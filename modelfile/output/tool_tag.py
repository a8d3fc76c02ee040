"""The tool-call tag Ollama derives from a Go template (``tools.parseTag``).

The first ``{{if}}`` whose condition names ``ToolCalls`` directly gives its then-list;
the first non-blank text there (searching nested blocks, stopping at an action or at a
block without text) is cut at its first ``{`` and trimmed.  No such text: ``{``.

>>> parse_tag('{{if .ToolCalls}}<tool_call>{{range .ToolCalls}}{{.Function.Name}}{{end}}{{end}}')
'<tool_call>'
>>> parse_tag('{{if .ToolCalls}}[TOOL_CALLS] [{{range .ToolCalls}}{}{{end}}]{{end}}')
'[TOOL_CALLS] ['
>>> parse_tag("")
'{'
"""

from __future__ import annotations

from collections.abc import Sequence

from modelfile.output.gospace import trim
from modelfile.template import nodes as n
from modelfile.template.parser import parse_template

#: The tag when a template shows no tool-call text: a reply must start with ``{``.
DEFAULT_TAG = "{"


def parse_tag(template: str) -> str:
    """The tool-call tag of a Go template (``{`` when none can be derived)."""
    if not template:
        return DEFAULT_TAG
    body = _tool_calls_body(parse_template(template).root.nodes)
    if body is None:
        return DEFAULT_TAG
    text = _first_text(body.nodes)
    if text is None:
        return DEFAULT_TAG
    tag = trim(text.replace("\r\n", "\n").split("{", 1)[0])
    return tag or DEFAULT_TAG


def _names_tool_calls(pipe: n.Pipeline) -> bool:
    return any(
        isinstance(arg, n.Field) and "ToolCalls" in arg.names for command in pipe.commands for arg in command.args
    )


def _tool_calls_body(nodes: Sequence[n.Statement]) -> n.List | None:
    """The then-list of the first ``if`` on ``ToolCalls``, searched depth first."""
    for node in nodes:
        if isinstance(node, n.If):
            for pipe, body in node.branches:
                if _names_tool_calls(pipe):
                    return body
                if (found := _tool_calls_body(body.nodes)) is not None:
                    return found
            lists: list[n.List] = [node.otherwise] if node.otherwise else []
        elif isinstance(node, n.With):
            lists = [body for _, body in node.branches] + ([node.otherwise] if node.otherwise else [])
        elif isinstance(node, n.Range):
            lists = [node.body] + ([node.otherwise] if node.otherwise else [])
        else:
            continue
        for inner in lists:
            if (found := _tool_calls_body(inner.nodes)) is not None:
                return found
    return None


def _first_text(nodes: Sequence[n.Statement]) -> str | None:
    """The first non-blank text; ``None`` at an action or a block without text."""
    for node in nodes:
        if isinstance(node, n.Text):
            if trim(node.text):
                return node.text
        elif isinstance(node, n.Action):
            return None
        elif isinstance(node, n.If | n.With | n.Range):
            lists = [body for _, body in node.branches] if not isinstance(node, n.Range) else [node.body]
            if node.otherwise is not None:
                lists.append(node.otherwise)
            for inner in lists:
                if (text := _first_text(inner.nodes)) is not None:
                    return text
            return None
    return None
