"""Go template AST -> Jinja2 source.

One method per node (``<node>_jinja``), as sqlglot's generator does.  The output
renders the same bytes in any Jinja environment setting (``trim_blocks``,
``lstrip_blocks``, ``keep_trailing_newline``): text that such settings would change
is written as an expression.  Go semantics come from the runtime functions
(``runtime.GLOBALS``): printing (``_p``), fields (``_f``), ``range`` order, comparisons.
Variables live in a ``namespace`` under a unique name per declaration, which gives
Go's scoping: ``$x = v`` inside a loop changes the outer variable, ``$x := v`` inside an
``if`` does not clobber it.  What cannot be translated faithfully raises
``UnsupportedTemplateError`` with its line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from modelfile.errors import UnsupportedTemplateError
from modelfile.template import nodes as n
from modelfile.template.parser import OLLAMA_FUNCTIONS, ParsedTemplate

_FUNCTIONS = {
    "eq": "_eq",
    "ne": "_ne",
    "lt": "_lt",
    "le": "_le",
    "gt": "_gt",
    "ge": "_ge",
    "len": "_len",
    "index": "_index",
    "slice": "_slice",
    "print": "_print",
    "println": "_println",
    "printf": "_printf",
    "html": "_html",
    "js": "_js",
    "urlquery": "_urlquery",
    "json": "_json",
    "currentDate": "_currentDate",
    "yesterdayDate": "_yesterdayDate",
    "toTypeScriptType": "_toTypeScriptType",
}
_BRACE = re.compile(r"\{(?=[{%#])|\{$")


@dataclass(frozen=True)
class Scope:
    """Where an expression is: what dot is, what the variables are called, which functions exist."""

    dot: str
    names: dict[int, str]
    loop_vars: frozenset[int] = frozenset()
    functions: bool = True  # False in the last turn of a legacy template
    loop: str | None = None  # flag stem of the innermost range that break/continue jump out of


class JinjaEmitter:
    """Emit Jinja for one parsed template."""

    def __init__(self, template: ParsedTemplate) -> None:
        self.template = template
        self.counter = 0
        self.names: dict[int, str] = {0: "_root"}
        for decl in template.declarations[1:]:
            readable = re.sub(r"\W", "", decl.name).lstrip("_")
            self.names[decl.number] = f"ns.v{decl.number}" + (f"_{readable}" if readable else "")

    def unsupported(self, message: str, pos: n.Pos, hint: str | None = None) -> UnsupportedTemplateError:
        lines = self.template.source.split("\n")
        line = lines[pos.line - 1] if pos.line <= len(lines) else ""
        return UnsupportedTemplateError(message, line=pos.line, column=pos.column, hint=hint, source_line=line)

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    # ---- statements ------------------------------------------------------------------

    def body(self, root: n.List, scope: Scope, *, last: bool = True) -> str:
        return "{% set ns = namespace() %}" + self.list_jinja(root, scope, last=last)

    def list_jinja(self, node: n.List, scope: Scope, *, last: bool = False) -> str:
        """A list; ``last``: nothing follows it (the end of the whole template)."""
        out = []
        items = node.nodes
        for i, item in enumerate(items):
            if isinstance(item, n.Text):
                after_block = i == 0 or _is_block(items[i - 1])
                before_block = i + 1 == len(items) or _is_block(items[i + 1])
                out.append(emit_text(item.text, after_block, before_block, last and i + 1 == len(items)))
                continue
            out.append(self.statement_jinja(item, scope))
            if scope.loop and i + 1 < len(items) and may_jump(item):
                # The rest of this list runs only if no break/continue happened above.
                rest = n.List(items[i + 1 :], items[i + 1].pos)
                out.append(f"{{% if not ns.{scope.loop}skip %}}{self.list_jinja(rest, scope)}{{% endif %}}")
                break
        return "".join(out)

    def statement_jinja(self, node: n.Statement, scope: Scope) -> str:
        method = getattr(self, f"{type(node).__name__.lower()}_jinja")
        result: str = method(node, scope)
        return result

    def action_jinja(self, node: n.Action, scope: Scope) -> str:
        expr = self.pipeline_value(node.pipe, scope)
        if node.pipe.decls:
            return "".join(f"{{% set {self.var(d, scope, node.pos)} = {expr} %}}" for d in node.pipe.decls)
        return f"{{{{ _p({expr}) }}}}"

    def if_jinja(self, node: n.If, scope: Scope) -> str:
        out = []
        for i, (pipe, body) in enumerate(node.branches):
            setup, test = self.condition(pipe, scope)
            if i == 0:
                out.append(f"{setup}{{% if {test} %}}")
            elif setup:  # a declaration in an else-if pipeline: nest, as Go does
                out.append(f"{{% else %}}{setup}{{% if {test} %}}")
            else:
                out.append(f"{{% elif {test} %}}")
            out.append(self.list_jinja(body, scope))
        if node.otherwise is not None:
            out.append("{% else %}" + self.list_jinja(node.otherwise, scope))
        nested = sum(1 for i, (pipe, _) in enumerate(node.branches) if i and pipe.decls)
        out.append("{% endif %}" * (1 + nested))
        return "".join(out)

    def with_jinja(self, node: n.With, scope: Scope) -> str:
        out = []
        for i, (pipe, body) in enumerate(node.branches):
            if pipe.decls:
                setup, test = self.condition(pipe, scope)
                value = test
            else:
                value = f"ns.{self.fresh('with')}"
                setup = f"{{% set {value} = {self.pipeline_value(pipe, scope)} %}}"
            out.append(("{% else %}" if i else "") + f"{setup}{{% if {value} %}}")
            out.append(self.list_jinja(body, replace(scope, dot=value)))
        if node.otherwise is not None:
            out.append("{% else %}" + self.list_jinja(node.otherwise, scope))
        out.append("{% endif %}" * len(node.branches))
        return "".join(out)

    def range_jinja(self, node: n.Range, scope: Scope) -> str:
        key, value = self.fresh("_k"), self.fresh("_v")
        names = dict(scope.names)
        decls = node.pipe.decls
        if len(decls) == 2:
            names[decls[0]], names[decls[1]] = key, value
        elif len(decls) == 1:
            names[decls[0]] = value
        if node.pipe.assign:
            raise self.unsupported("range assigning to existing variables is not supported", node.pos)
        collection = self.pipeline_value(replace(node.pipe, decls=()), scope)
        jumps = any(may_jump(item) for item in node.body.nodes)
        flag = self.fresh("loop") if jumps else None
        inner = Scope(value, names, scope.loop_vars | frozenset(decls), scope.functions, flag)
        body = self.list_jinja(node.body, inner)
        if flag:
            # break and continue without Jinja's loopcontrols extension: flags in the namespace.
            body = f"{{% set ns.{flag}skip = ns.{flag}stop %}}{{% if not ns.{flag}skip %}}{body}{{% endif %}}"
        out = f"{{% for {key}, {value} in _range({collection}) %}}{body}"
        if node.otherwise is not None:
            out += "{% else %}" + self.list_jinja(node.otherwise, scope)
        out += "{% endfor %}"
        return (f"{{% set ns.{flag}stop = false %}}" if flag else "") + out

    def break_jinja(self, node: n.Break, scope: Scope) -> str:
        return f"{{% set ns.{scope.loop}stop = true %}}{{% set ns.{scope.loop}skip = true %}}"

    def continue_jinja(self, node: n.Continue, scope: Scope) -> str:
        return f"{{% set ns.{scope.loop}skip = true %}}"

    def define_jinja(self, node: n.Define, scope: Scope) -> str:
        raise self.unsupported("{{ define }} is not supported", node.pos, "Ollama's own templates never use it")

    def templatecall_jinja(self, node: n.TemplateCall, scope: Scope) -> str:
        raise self.unsupported("{{ template }} is not supported", node.pos, "inline the named template")

    def block_jinja(self, node: n.Block, scope: Scope) -> str:
        raise self.unsupported("{{ block }} is not supported", node.pos, "inline the block")

    def condition(self, pipe: n.Pipeline, scope: Scope) -> tuple[str, str]:
        """(statements to run first, expression to test) for an if/with pipeline."""
        if not pipe.decls:
            return "", self.pipeline_value(pipe, scope)
        value = self.pipeline_value(pipe, scope)
        name = self.var(pipe.decls[-1], scope, pipe.pos)
        return f"{{% set {name} = {value} %}}", name

    def var(self, decl: int, scope: Scope, pos: n.Pos) -> str:
        if decl in scope.loop_vars:
            raise self.unsupported("assigning to a range variable is not supported", pos)
        return scope.names.get(decl, self.names[decl])

    # ---- expressions -----------------------------------------------------------------

    def pipeline_value(self, pipe: n.Pipeline, scope: Scope) -> str:
        value: str | None = None
        for command in pipe.commands:
            value = self.command_value(command, scope, value)
        assert value is not None
        return value

    def command_value(self, command: n.Command, scope: Scope, piped: str | None) -> str:
        head, *rest = command.args
        if isinstance(head, n.Identifier):
            args = [self.operand_value(a, scope) for a in rest]
            if piped is not None:
                args.append(piped)
            return self.call(head, args, scope)
        if rest or piped is not None:
            raise self.unsupported("can't give arguments to a value that is not a function", command.pos)
        if isinstance(head, n.Literal) and head.value is None:
            raise self.unsupported("nil is not a command", head.pos)
        return self.operand_value(head, scope)

    def call(self, function: n.Identifier, args: list[str], scope: Scope) -> str:
        name = function.name
        if name in ("and", "or"):
            if not args:
                raise self.unsupported(f"{name} needs at least one argument", function.pos)
            return "(" + f" {name} ".join(args) + ")"
        if name == "not":
            if len(args) != 1:
                raise self.unsupported(f"wrong number of args for not: want 1 got {len(args)}", function.pos)
            return f"(not {args[0]})"
        if name == "call":
            raise self.unsupported("call is not supported", function.pos)
        if name in OLLAMA_FUNCTIONS and not scope.functions:
            return f"_missing_function({quote_jinja(name)})({', '.join(args)})"
        if name == "json" and len(args) != 1:
            raise self.unsupported(f"wrong number of args for json: want 1 got {len(args)}", function.pos)
        return f"{_FUNCTIONS[name]}({', '.join(args)})"

    def operand_value(self, node: n.Operand, scope: Scope) -> str:
        if isinstance(node, n.Dot):
            return scope.dot
        if isinstance(node, n.Field):
            return field_access(scope.dot, node.names)
        if isinstance(node, n.Variable):
            base = scope.names.get(node.decl, self.names[node.decl])
            return field_access(base, node.fields)
        if isinstance(node, n.Identifier):
            return self.call(node, [], scope)
        if isinstance(node, n.Literal):
            return literal_jinja(node.value)
        if isinstance(node, n.SubPipe):
            return f"({self.pipeline_value(node.pipe, scope)})"
        return field_access(f"({self.pipeline_value(node.pipe, scope)})", node.fields)


def field_access(base: str, names: tuple[str, ...]) -> str:
    if not names:
        return base
    return f"_f({base}, {', '.join(quote_jinja(name) for name in names)})"


def literal_jinja(value: str | int | float | bool | None) -> str:
    if value is None:
        return "none"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote_jinja(value)
    return repr(value)  # ints and finite floats (Go literals are never inf or NaN)


def quote_jinja(text: str) -> str:
    """A Jinja string literal for ``text`` (escapes survive Jinja's newline handling)."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char < " " or char == "\x7f":
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def may_jump(node: n.Statement) -> bool:
    """Whether a statement can break or continue the range it is in."""
    if isinstance(node, n.Break | n.Continue):
        return True
    if isinstance(node, n.If | n.With):
        lists = [body for _, body in node.branches] + ([node.otherwise] if node.otherwise else [])
        return any(may_jump(item) for body in lists for item in body.nodes)
    return False


def _is_block(node: n.Statement) -> bool:
    """Whether a statement's Jinja starts and ends with a block tag ``{% %}``."""
    return not isinstance(node, n.Action) or bool(node.pipe.decls)


def emit_text(text: str, after_block: bool = True, before_block: bool = True, at_end: bool = True) -> str:
    """Template text that every Jinja setting leaves alone.

    Written as expressions: a ``{`` that Jinja could read as a tag opener, every CR
    (Jinja turns CRLF into LF), a newline right after a block tag (``trim_blocks``),
    blanks right before one (``lstrip_blocks``), and a newline at the very end
    (``keep_trailing_newline``).
    """
    if not text:
        return ""
    head = tail = ""
    if after_block and text.startswith("\n"):
        head, text = "\n", text[1:]
    if at_end:
        body = text.rstrip(" \t\n")
    elif before_block:
        body = text.rstrip(" \t")
    else:
        body = text
    tail = text[len(body) :]
    if not body:  # all blanks: one expression
        head, tail = head + tail, ""
    out = ["{{ " + quote_jinja(head) + " }}" if head else ""]
    for part in re.split(r"(\r)", body):
        out.append('{{ "\\r" }}' if part == "\r" else _BRACE.sub('{{ "{" }}', part))
    if tail:
        out.append("{{ " + quote_jinja(tail) + " }}")
    return "".join(out)
