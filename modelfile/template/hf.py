"""Go template -> self-contained Jinja: a Hugging Face ``chat_template``.

The output reads only the standard chat-template variables (``messages``, ``tools``;
``think``/``think_level`` when the template asks for thinking) and uses only Jinja's
built-ins plus ``strftime_now``, which transformers' ``apply_chat_template`` and
llama-cpp-python's ``Jinja2ChatFormatter`` both provide; ``add_generation_prompt`` is not
read, because an Ollama template decides the generation prompt itself.  It starts with
Ollama's ``collate`` (consecutive messages of one role merged, system contents joined for
``.System``) written in Jinja, then the template, emitted by ``JinjaEmitter`` with the
Go-typed runtime replaced by plain expressions where they are provably the same.

Templates without ``.Messages`` take Ollama's legacy path, also written in Jinja: the
turn loop over (system, prompt, response), each turn but the last rendered whole by a
macro, the last one cut after its first ``.Response`` (``ollama.cut_after_response``).

Types are followed statically (a message's ``.Content`` is a string, ``.ToolCalls`` a
list of tool calls ...).  What plain Jinja cannot do the way Go does - printing anything
but strings, integers, booleans and property types, ``json``, ``printf`` verbs other
than ``%s``, ``len`` and ``slice`` of strings (bytes in Go), ``index``, comparisons of
values of unknown type, testing a struct, fields Ollama's data lacks (``<no value>``),
the legacy cases where Ollama panics or lacks its functions - is collected and refused
in one ``UnsupportedTemplateError`` that lists every construct with its line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from modelfile.errors import UnsupportedTemplateError
from modelfile.template import nodes as n
from modelfile.template.jinja import JinjaEmitter, Scope, literal_jinja, may_jump, quote_jinja
from modelfile.template.ollama import CutPanic, cut_after_response, vars_of, with_response
from modelfile.template.parser import OLLAMA_FUNCTIONS, ParsedTemplate

#: kind -> Go field -> (key in the chat-template data, kind of the field)
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "message": {
        "Role": ("role", "string"),
        "Content": ("content", "string"),
        "Thinking": ("thinking", "string"),
        "Images": ("images", "list:any"),
        "ToolCalls": ("tool_calls", "list:toolcall"),
        "ToolName": ("tool_name", "string"),
        "ToolCallID": ("tool_call_id", "string"),
    },
    "toolcall": {"ID": ("id", "string"), "Function": ("function", "callfunction")},
    "callfunction": {"Index": ("index", "any"), "Name": ("name", "string"), "Arguments": ("arguments", "map:any")},
    "tool": {"Type": ("type", "string"), "Items": ("items", "any"), "Function": ("function", "toolfunction")},
    "toolfunction": {
        "Name": ("name", "string"),
        "Description": ("description", "string"),
        "Parameters": ("parameters", "parameters"),
    },
    "parameters": {
        "Type": ("type", "string"),
        "Defs": ("$defs", "any"),
        "Items": ("items", "any"),
        "Required": ("required", "list:string"),
        "Properties": ("properties", "map:property"),
    },
    "property": {
        "AnyOf": ("anyOf", "list:property"),
        "Type": ("type", "proptype"),
        "Items": ("items", "any"),
        "Description": ("description", "string"),
        "Enum": ("enum", "list:any"),
        "Properties": ("properties", "map:property"),
        "Required": ("required", "list:string"),
    },
}

#: Ollama's collate, in Jinja: ``ollama.messages`` (same-role neighbours merged, except
#: tool messages, roles lower-cased, absent fields as Go's zero values) and ``ollama.system``.
COLLATE = (
    "{% set ollama = namespace(messages=[], system=[]) %}"
    "{% for m in messages %}"
    '{% set role = (m["role"] or "")|lower %}{% set content = m["content"] or "" %}'
    '{% if role == "system" %}{% set ollama.system = ollama.system + [content] %}{% endif %}'
    '{% if ollama.messages and ollama.messages[-1]["role"] == role and role != "tool" %}'
    "{% set previous = ollama.messages[-1] %}"
    '{% set ollama.messages = ollama.messages[:-1] + [{"role": role, '
    '"content": previous["content"] ~ "\\n\\n" ~ content, "thinking": previous["thinking"], '
    '"images": previous["images"], "tool_calls": previous["tool_calls"], '
    '"tool_name": previous["tool_name"], "tool_call_id": previous["tool_call_id"]}] %}'
    "{% else %}"
    '{% set ollama.messages = ollama.messages + [{"role": role, "content": content, '
    '"thinking": m["thinking"] or "", "images": m["images"] or [], "tool_calls": m["tool_calls"] or [], '
    '"tool_name": m["tool_name"] or "", "tool_call_id": m["tool_call_id"] or ""}] %}'
    "{% endif %}{% endfor %}"
    '{% set ollama.system = ollama.system|join("\\n\\n") %}'
)

_FLUSH = (
    '{% set turns.list = turns.list + [{"System": turns.system, "Prompt": turns.prompt, "Response": turns.response}] %}'
    '{% set turns.system = "" %}{% set turns.prompt = "" %}{% set turns.response = "" %}'
)
#: Ollama's legacy turn loop over the collated messages: a turn ends when a system
#: message follows a prompt or a response, or a user message follows a response.
LEGACY_TURNS = (
    '{% set turns = namespace(list=[], system="", prompt="", response="") %}'
    "{% for m in ollama.messages %}"
    '{% if m["role"] == "system" %}{% if turns.prompt or turns.response %}' + _FLUSH + "{% endif %}"
    '{% set turns.system = m["content"] %}'
    '{% elif m["role"] == "user" %}{% if turns.response %}' + _FLUSH + "{% endif %}"
    '{% set turns.prompt = m["content"] %}'
    '{% elif m["role"] == "assistant" %}{% set turns.response = m["content"] %}{% endif %}'
    "{% endfor %}" + _FLUSH
)

_ROOT = {
    "Messages": ("ollama.messages", "list:message"),
    "System": ("ollama.system", "string"),
    "Tools": ("(tools or [])", "list:tool"),
    "Response": ('""', "string"),
    "Think": ("(think is defined and think)", "any"),
    "IsThinkSet": ("(think is defined and think is not none)", "any"),
    "ThinkLevel": ('(think_level is defined and think_level or "")', "string"),
}
_STRUCTS = frozenset(FIELDS)
_COMPARABLE = frozenset({"string", "int", "bool"})
_OPERATORS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_WHY = {
    "json": "json is Go's encoding/json (key order, escapes, number format); Jinja's tojson differs",
    "index": "index follows Go's bounds and byte rules; Jinja's subscript does not",
    "html": "html has no Jinja equivalent with Go's escapes",
    "js": "js has no Jinja equivalent",
    "urlquery": "urlquery has no Jinja equivalent",
    "yesterdayDate": "yesterdayDate has no equivalent among the chat-template globals",
    "toTypeScriptType": "toTypeScriptType has no Jinja equivalent",
    "call": "call has no Jinja equivalent",
}


@dataclass(frozen=True)
class Typed:
    """A Jinja expression and what kind of Go value it stands for."""

    expr: str
    kind: str  # "string", "int", "float", "bool", "list:K", "map:K", a FIELDS key, "root", "any"


_REFUSED = Typed("none", "refused")  # an expression already refused: no follow-up refusals


@dataclass(frozen=True)
class Construct:
    """One construct the target cannot express."""

    line: int
    column: int
    message: str


class HFEmitter(JinjaEmitter):
    """``JinjaEmitter`` for plain Jinja: typed expressions, refusals collected."""

    def __init__(self, template: ParsedTemplate) -> None:
        super().__init__(template)
        self.kinds: dict[str, str] = {"_root": "root"}  # dot and variable expressions -> kind
        self.var_kinds: dict[int, str] = {0: "root"}
        self.index_of: dict[int, str] = {}  # range index variable -> the ranged expression
        self.refused: list[Construct] = []

    def refuse(self, message: str, pos: n.Pos) -> Typed:
        self.refused.append(Construct(pos.line, pos.column, message))
        return _REFUSED

    def statement_jinja(self, node: n.Statement, scope: Scope) -> str:
        try:
            return super().statement_jinja(node, scope)
        except UnsupportedTemplateError as error:  # raised by JinjaEmitter's own refusals
            self.refused.append(Construct(error.line, error.column, error.message))
            return ""

    # ---- statements --------------------------------------------------------------------

    def action_jinja(self, node: n.Action, scope: Scope) -> str:
        value = self.typed_pipeline(node.pipe, scope)
        if node.pipe.decls:
            out = []
            for decl in node.pipe.decls:
                out.append(f"{{% set {self.var(decl, scope, node.pos)} = {value.expr} %}}")
                self.declare(decl, value.kind, node.pipe.assign, node.pos)
            return "".join(out)
        return "{{ " + self.printed(value, node.pos) + " }}"

    def printed(self, value: Typed, pos: n.Pos) -> str:
        if value.kind in ("string", "int", "refused"):
            return value.expr
        if value.kind == "bool":
            return f'("true" if {value.expr} else "false")'
        if value.kind == "proptype":  # api.PropertyType: one type bare, else [a b]
            kinds = f"({value.expr} or [])"
            return (
                f"({value.expr} if {value.expr} is string else {kinds}[0] if {kinds}|length == 1 "
                f'else "[" ~ {kinds}|join(" ") ~ "]")'
            )
        shown = _describe(value.kind)
        return self.refuse(f"printing {shown} uses Go's formatting, which plain Jinja does not have", pos).expr

    def declare(self, decl: int, kind: str, assign: bool, pos: n.Pos) -> None:
        if assign and self.var_kinds.get(decl, kind) != kind:
            self.refuse(f"a variable given {_describe(kind)} after {_describe(self.var_kinds[decl])}", pos)
        self.var_kinds[decl] = kind

    def condition(self, pipe: n.Pipeline, scope: Scope) -> tuple[str, str]:
        value = self.tested(self.typed_pipeline(pipe, scope), pipe.pos)
        if not pipe.decls:
            return "", value.expr
        name = self.var(pipe.decls[-1], scope, pipe.pos)
        self.declare(pipe.decls[-1], value.kind, pipe.assign, pipe.pos)
        return f"{{% set {name} = {value.expr} %}}", name

    def tested(self, value: Typed, pos: n.Pos) -> Typed:
        """A value used as a condition: Go's truthiness, which Jinja shares except for structs."""
        if value.kind in _STRUCTS:
            return self.refuse(f"testing {_describe(value.kind)} (a Go struct: always true)", pos)
        return value

    def with_jinja(self, node: n.With, scope: Scope) -> str:
        out = []
        for i, (pipe, body) in enumerate(node.branches):
            setup, test = self.condition(pipe, scope)
            if not pipe.decls:
                value = self.typed_pipeline(pipe, scope)
                test = f"ns.{self.fresh('with')}"
                setup = f"{{% set {test} = {value.expr} %}}"
                self.kinds[test] = value.kind
            else:
                self.kinds[test] = self.var_kinds[pipe.decls[-1]]
            out.append(("{% else %}" if i else "") + f"{setup}{{% if {test} %}}")
            out.append(self.list_jinja(body, replace(scope, dot=test)))
        if node.otherwise is not None:
            out.append("{% else %}" + self.list_jinja(node.otherwise, scope))
        out.append("{% endif %}" * len(node.branches))
        return "".join(out)

    def range_jinja(self, node: n.Range, scope: Scope) -> str:
        if node.pipe.assign:
            raise self.unsupported("range assigning to existing variables is not supported", node.pos)
        collection = self.typed_pipeline(replace(node.pipe, decls=()), scope)
        key, value = self.fresh("_k"), self.fresh("_v")
        kind, _, element = collection.kind.partition(":")
        if kind == "list":
            head, key_kind = f"{{% for {value} in {collection.expr} %}}{{% set {key} = loop.index0 %}}", "int"
        elif kind == "map":
            head, key_kind = f"{{% for {key}, {value} in {collection.expr}|dictsort(true) %}}", "string"
        else:
            self.refuse(f"range over {_describe(collection.kind)}", node.pos)
            head, key_kind, element = f"{{% for {value} in [] %}}{{% set {key} = 0 %}}", "int", "any"
        names = dict(scope.names)
        decls = node.pipe.decls
        if len(decls) == 2:
            names[decls[0]], names[decls[1]] = key, value
            self.var_kinds[decls[0]] = key_kind
            if kind == "list":
                self.index_of[decls[0]] = collection.expr
        if decls:
            names[decls[-1]] = value
            self.var_kinds[decls[-1]] = element
        self.kinds[value] = element
        flag = self.fresh("loop") if any(may_jump(item) for item in node.body.nodes) else None
        inner = Scope(value, names, scope.loop_vars | frozenset(decls), scope.functions, flag)
        body = self.list_jinja(node.body, inner)
        if flag:
            body = f"{{% set ns.{flag}skip = ns.{flag}stop %}}{{% if not ns.{flag}skip %}}{body}{{% endif %}}"
        out = head + body
        if node.otherwise is not None:
            out += "{% else %}" + self.list_jinja(node.otherwise, scope)
        out += "{% endfor %}"
        return (f"{{% set ns.{flag}stop = false %}}" if flag else "") + out

    # ---- expressions -------------------------------------------------------------------

    def pipeline_value(self, pipe: n.Pipeline, scope: Scope) -> str:
        return self.typed_pipeline(pipe, scope).expr

    def typed_pipeline(self, pipe: n.Pipeline, scope: Scope) -> Typed:
        value: Typed | None = None
        for command in pipe.commands:
            value = self.typed_command(command, scope, value)
        assert value is not None
        return value

    def typed_command(self, command: n.Command, scope: Scope, piped: Typed | None) -> Typed:
        head, *rest = command.args
        if isinstance(head, n.Identifier):
            args = [self.typed_operand(a, scope) for a in rest] + ([piped] if piped is not None else [])
            return self.typed_call(head, args, rest, scope)
        if rest or piped is not None:
            return self.refuse("can't give arguments to a value that is not a function", command.pos)
        if isinstance(head, n.Literal) and head.value is None:
            return self.refuse("nil is not a command", head.pos)
        return self.typed_operand(head, scope)

    def typed_operand(self, node: n.Operand, scope: Scope) -> Typed:
        if isinstance(node, n.Dot):
            return Typed(scope.dot, self.kinds.get(scope.dot, "any"))
        if isinstance(node, n.Field):
            return self.fields(Typed(scope.dot, self.kinds.get(scope.dot, "any")), node.names, node.pos)
        if isinstance(node, n.Variable):
            base = scope.names.get(node.decl, self.names[node.decl])
            return self.fields(Typed(base, self.var_kinds.get(node.decl, "any")), node.fields, node.pos)
        if isinstance(node, n.Identifier):
            return self.typed_call(node, [], [], scope)
        if isinstance(node, n.Literal):
            return self.literal(node)
        inner = self.typed_pipeline(node.pipe, scope)
        if isinstance(node, n.SubPipe):
            return Typed(f"({inner.expr})", inner.kind)
        return self.fields(Typed(f"({inner.expr})", inner.kind), node.fields, node.pos)

    def literal(self, node: n.Literal) -> Typed:
        value = node.value
        if value is None:
            return self.refuse("nil as a value", node.pos)
        kind = {bool: "bool", int: "int", float: "float", str: "string"}[type(value)]
        return Typed(literal_jinja(value), kind)

    def fields(self, base: Typed, names: tuple[str, ...], pos: n.Pos) -> Typed:
        for name in names:
            if base.kind == "refused":
                return base
            if base.kind == "legacy" and name in ("System", "Prompt", "Response"):
                base = Typed(f"{base.expr}[{quote_jinja(name)}]", "string")
            elif base.kind == "legacy" and name not in _ROOT:
                return self.refuse(f".{name} is not set on Ollama's legacy path: Ollama prints <no value>", pos)
            elif base.kind == "root" or base.kind == "legacy":
                if name not in _ROOT:
                    why = "is not set on Ollama's messages path" if name in ("Prompt", "Suffix") else "is unknown"
                    return self.refuse(f".{name} {why}: Ollama prints <no value>", pos)
                base = Typed(*_ROOT[name])
            elif name in FIELDS.get(base.kind, {}):
                key, kind = FIELDS[base.kind][name]
                expr = f"{base.expr}[{quote_jinja(key)}]"
                if base.kind != "message":  # collated messages already hold Go's zero values
                    zero = {"string": '""', "list": "[]", "map": "{}"}.get(kind.split(":")[0], "")
                    zero = zero or ("{}" if kind in _STRUCTS else "")
                    expr = f"({expr} or {zero})" if zero else expr
                base = Typed(expr, kind)
            else:
                return self.refuse(f".{name} is not a field of {_describe(base.kind)}", pos)
        return base

    def typed_call(self, function: n.Identifier, args: list[Typed], raw: list[n.Operand], scope: Scope) -> Typed:
        name, pos = function.name, function.pos
        if any(a.kind == "refused" for a in args):  # already reported
            return _REFUSED
        if name in ("and", "or"):
            if not args:
                return self.refuse(f"{name} needs at least one argument", pos)
            tested = [self.tested(a, pos) for a in args]
            kinds = {a.kind for a in tested}
            return Typed(
                "(" + f" {name} ".join(a.expr for a in tested) + ")", kinds.pop() if len(kinds) == 1 else "any"
            )
        if name == "not":
            if len(args) != 1:
                return self.refuse(f"wrong number of args for not: want 1 got {len(args)}", pos)
            return Typed(f"(not {self.tested(args[0], pos).expr})", "bool")
        if name in _OPERATORS:
            return self.compare(name, args, pos)
        if name == "len":
            if len(args) == 1 and args[0].kind.startswith(("list:", "map:")):
                return Typed(f"({args[0].expr}|length)", "int")
            return self.refuse("len of a string counts bytes in Go (or of a value of unknown type)", pos)
        if name == "slice":
            return self.slice(args, raw, pos)
        if name in ("print", "println", "printf"):
            return self.printing(name, args, raw, pos)
        if name in OLLAMA_FUNCTIONS and not scope.functions:
            return self.refuse(
                f"{name} in the last turn of a legacy template: Ollama renders it without its functions", pos
            )
        if name == "currentDate":
            return Typed('strftime_now("%Y-%m-%d")', "string")
        return self.refuse(_WHY.get(name, f"{name} has no Jinja equivalent"), pos)

    def compare(self, name: str, args: list[Typed], pos: n.Pos) -> Typed:
        kinds = {a.kind for a in args}
        if len(args) < 2 or (name != "eq" and len(args) != 2):
            return self.refuse(f"wrong number of args for {name}", pos)
        if len(kinds) != 1 or not kinds <= _COMPARABLE or (name not in ("eq", "ne") and kinds == {"bool"}):
            shown = ", ".join(_describe(a.kind) for a in args)
            return self.refuse(f"{name} of {shown}: Go's comparison rules differ from Jinja's", pos)
        first, others = args[0].expr, [a.expr for a in args[1:]]
        if len(others) > 1:
            return Typed(f"({first} in [{', '.join(others)}])", "bool")
        return Typed(f"({first} {_OPERATORS[name]} {others[0]})", "bool")

    def slice(self, args: list[Typed], raw: list[n.Operand], pos: n.Pos) -> Typed:
        """Only ``slice $list $i`` with ``$i`` ranging over that very list: never out of range."""
        if len(raw) == 2 and len(args) == 2 and isinstance(raw[1], n.Variable) and not raw[1].fields:
            ranged = self.index_of.get(raw[1].decl)
            if ranged is not None and ranged == args[0].expr and args[0].kind.startswith("list:"):
                return Typed(f"{args[0].expr}[{args[1].expr}:]", args[0].kind)
        return self.refuse("slice follows Go's bounds (and bytes of strings); only slice LIST $i of its range", pos)

    def printing(self, name: str, args: list[Typed], raw: list[n.Operand], pos: n.Pos) -> Typed:
        if name == "printf":
            if not raw or not isinstance(raw[0], n.Literal) or not isinstance(raw[0].value, str):
                return self.refuse("printf with a format that is not a string literal", pos)
            parts = re.split(r"(%.)", raw[0].value)
            verbs = parts[1::2]
            if any(v not in ("%s", "%%") for v in verbs) or verbs.count("%s") != len(args) - 1:
                return self.refuse("printf verbs other than %s (or a wrong number of arguments)", pos)
            values = iter(args[1:])
            pieces = [
                next(values) if p == "%s" else Typed(quote_jinja("%" if p == "%%" else p), "string") for p in parts
            ]
            args = [p for p in pieces if p.expr != '""']
        if any(a.kind != "string" for a in args):
            return self.refuse(f"{name} of values that are not strings uses Go's formatting", pos)
        joiner = ' ~ " " ~ ' if name == "println" else " ~ "
        text = joiner.join(a.expr for a in args) or '""'
        if name == "println":
            text += ' ~ "\\n"'
        return Typed(f"({text})", "string")


def _describe(kind: str) -> str:
    if kind.startswith("list:"):
        return "a list"
    if kind.startswith("map:"):
        return "a map"
    return _NAMES.get(kind, f"a {kind}")


_NAMES = {
    "any": "a value of unknown type",
    "root": "the template's data",
    "legacy": "the template's data",
    "proptype": "a property type",
    "message": "a message",
    "toolcall": "a tool call",
    "callfunction": "a tool call's function",
    "tool": "a tool",
    "toolfunction": "a tool's function",
    "parameters": "a tool's parameters",
    "property": "a tool property",
}


def translate_hf(template: ParsedTemplate, variables: tuple[str, ...]) -> str:
    """Plain Jinja for a parsed template (``variables``: Ollama's ``Vars()``), or refuse."""
    emitter = HFEmitter(template)
    if "messages" in variables:
        body = emitter.body(template.root, Scope("_root", {}))
    else:
        body = legacy(emitter, with_response(template, vars_of(template)))  # Parse's appended .Response
    if emitter.refused:
        raise refusal(template, emitter.refused)
    return COLLATE + body


def legacy(emitter: HFEmitter, root: n.List) -> str:
    """Ollama's legacy path: a turn per (system, prompt, response), every turn but the
    last rendered whole (``_turn``), the last cut after its first ``.Response`` and
    without Ollama's functions (``_final``)."""
    emitter.kinds["_root"] = emitter.var_kinds[0] = "legacy"
    whole = emitter.body(root, Scope("_root", {}), last=False)
    try:
        cut = cut_after_response(root)
    except CutPanic:
        emitter.refuse(
            "Ollama panics cutting this template after .Response (it sits in a branch with an else)", root.pos
        )
        cut = root
    final = emitter.body(cut, Scope("_root", {}, functions=False), last=False)
    return (
        LEGACY_TURNS + "{% macro _turn(_root) %}" + whole + "{% endmacro %}"
        "{% macro _final(_root) %}" + final + "{% endmacro %}"
        "{% for t in turns.list %}{% if loop.last %}{{ _final(t) }}{% else %}{{ _turn(t) }}{% endif %}{% endfor %}"
    )


def refusal(template: ParsedTemplate, constructs: list[Construct]) -> UnsupportedTemplateError:
    first = min(constructs, key=lambda c: (c.line, c.column))
    lines = template.source.split("\n")
    listed = tuple(sorted({(c.line, c.column, c.message) for c in constructs}))
    return UnsupportedTemplateError(
        f"not expressible as a self-contained chat template (target hf): {len(listed)} construct(s)",
        line=first.line,
        column=first.column,
        source_line=lines[first.line - 1] if first.line <= len(lines) else "",
        hint="translate without --target for mfc's own renderer, which runs every construct",
        constructs=listed,
    )
