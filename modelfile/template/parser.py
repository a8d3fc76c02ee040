"""Go template text -> AST (``nodes.py``), with Go's parse-time checks.

Lark (``grammar/gotemplate.lark``) finds the structure; this module applies trim
markers, resolves variables to their declarations (Go's scoping), and reports what Go's
parser reports: undefined variables and functions, ``break`` outside ``range``,
unclosed actions, a missing ``end``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Tree, UnexpectedInput

from modelfile.errors import TemplateError
from modelfile.grammars import lalr_parser
from modelfile.template import nodes as n
from modelfile.template.literals import parse_char, parse_number, unquote

#: Functions a TEMPLATE may call: Go's builtins and Ollama's FuncMap.
BUILTINS = frozenset(
    {
        "and",
        "or",
        "not",
        "len",
        "index",
        "slice",
        "print",
        "printf",
        "println",
        "html",
        "js",
        "urlquery",
        "call",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
    }
)
OLLAMA_FUNCTIONS = frozenset({"json", "currentDate", "yesterdayDate", "toTypeScriptType"})
FUNCTIONS = BUILTINS | OLLAMA_FUNCTIONS

_SPACE = " \t\r\n"
_LEFT_TRIM = re.compile(r"\{\{-[ \t\r\n]")
_RIGHT_TRIM = re.compile(r"[ \t\r\n]-\}\}$")


@dataclass(frozen=True)
class ParsedTemplate:
    """A parsed template: its root list, the ``define``s, and every declaration."""

    source: str
    root: n.List
    defines: dict[str, n.List]
    declarations: tuple[n.Declaration, ...]


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return lalr_parser("gotemplate.lark", lexer="contextual", maybe_placeholders=False, propagate_positions=True)


@lru_cache(maxsize=256)
def parse_template(source: str) -> ParsedTemplate:
    """Parse Go template text; raise ``TemplateError`` where Go's parser fails."""
    try:
        tree = _lark().parse(source)
    except UnexpectedInput as error:
        raise _syntax_error(error, source) from None
    builder = _Builder(source)
    body = tree.children[0]
    assert isinstance(body, Tree)
    root = builder.list(body)
    return ParsedTemplate(source, root, builder.defines, tuple(builder.declarations))


# ---- syntax errors ----------------------------------------------------------------------


def _syntax_error(error: UnexpectedInput, source: str) -> TemplateError:
    token = getattr(error, "token", None)
    at_end = token is not None and token.type == "$END"
    pos = len(source) if at_end else (error.pos_in_stream or 0)
    line, column = _line_col(source, pos)
    inside_action = _open_action(source, pos)
    if at_end and inside_action is not None:
        message, go = "unclosed action", "unclosed action"
        line, column = _line_col(source, inside_action)
    elif at_end:
        message, go = "unexpected EOF: a block is missing its {{ end }}", "unexpected EOF"
        opened = _last_open_block(source)
        if opened is not None:
            line, column = _line_col(source, opened[0])
            message = f"unexpected EOF: this {{{{ {opened[1]} }}}} has no {{{{ end }}}}"
    elif (stray := re.match(r"\{\{-?\s*(end|else)\b", source[pos:])) is not None:
        message = go = f"unexpected {{{{{stray.group(1)}}}}}"
    elif inside_action is None and source.startswith("}}", pos):
        message = go = 'unexpected "}}" in text'
    else:
        shown = source[pos : pos + 1] if pos < len(source) else "EOF"
        message = f"unexpected {shown!r} in action"
        go = f"unexpected {shown!r} in command"
    return TemplateError(
        message, line=line, column=column, go_error=f"template: :{line}: {go}", source_line=_source_line(source, line)
    )


def _open_action(source: str, pos: int) -> int | None:
    """Offset of an action opened before ``pos`` and not closed, if any."""
    start = source.rfind("{{", 0, pos)
    if start < 0 or "}}" in source[start:pos]:
        return None
    return start


def _last_open_block(source: str) -> tuple[int, str] | None:
    stack: list[tuple[int, str]] = []
    for match in re.finditer(r"\{\{-?\s*(if|range|with|define|block|end)\b", source):
        if match.group(1) == "end":
            if stack:
                stack.pop()
        else:
            stack.append((match.start(), match.group(1)))
    return stack[-1] if stack else None


def _line_col(source: str, pos: int) -> tuple[int, int]:
    line = source.count("\n", 0, pos) + 1
    return line, pos - (source.rfind("\n", 0, pos) + 1) + 1


def _source_line(source: str, line: int) -> str:
    lines = source.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else ""


# ---- tree -> AST --------------------------------------------------------------------------


@dataclass
class _Builder:
    source: str
    defines: dict[str, n.List] = field(default_factory=dict)
    declarations: list[n.Declaration] = field(default_factory=list)
    scopes: list[dict[str, int]] = field(default_factory=lambda: [{"$": 0}])
    loops: int = 0

    def __post_init__(self) -> None:
        self.declarations.append(n.Declaration("$", 0, n.Pos(1, 1, 0)))

    # -- helpers
    def pos(self, item: Token | Tree[Any]) -> n.Pos:
        if isinstance(item, Token):
            offset = int(item.start_pos or 0)
        else:
            offset = int(getattr(item.meta, "start_pos", 0) or 0) if not item.meta.empty else 0
        line, column = _line_col(self.source, offset)
        return n.Pos(line, column, offset)

    def fail(self, message: str, where: n.Pos, go: str | None = None, hint: str | None = None) -> TemplateError:
        return TemplateError(
            message,
            line=where.line,
            column=where.column,
            hint=hint,
            go_error=f"template: :{where.line}: {go or message}",
            source_line=_source_line(self.source, where.line),
        )

    def declare(self, name: str, where: n.Pos) -> int:
        number = len(self.declarations)
        self.declarations.append(n.Declaration(name, number, where))
        self.scopes[-1][name] = number
        return number

    def lookup(self, name: str, where: n.Pos) -> int:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        raise self.fail(f"undefined variable {name!r}", where, f'undefined variable "{name}"')

    # -- statements
    def list(self, tree: Tree[Any]) -> n.List:
        items: list[n.Statement] = []
        for child in tree.children:
            if isinstance(child, Token):
                if child.type == "TEXT":
                    text = self.text(child)
                    if text:
                        items.append(n.Text(text, self.pos(child)))
                continue  # COMMENT
            items.append(self.statement(child))
        return n.List(tuple(items), self.pos(tree) if tree.children else n.Pos(1, 1, 0))

    def text(self, token: Token) -> str:
        start, end = int(token.start_pos or 0), int(token.end_pos or 0)
        text = str(token)
        if _RIGHT_TRIM.search(self.source[max(0, start - 4) : start]):
            text = text.lstrip(_SPACE)
        if _LEFT_TRIM.match(self.source, end):
            text = text.rstrip(_SPACE)
        return text

    def statement(self, tree: Tree[Any]) -> n.Statement:
        kind = tree.data
        where = self.pos(tree)
        if kind == "action":
            return n.Action(self.pipeline(tree.children[0], declare=True), where)
        if kind in ("if_block", "with_block"):
            return self.branching(tree, where)
        if kind == "range_block":
            return self.range(tree, where)
        if kind in ("break_stmt", "continue_stmt"):
            word = "break" if kind == "break_stmt" else "continue"
            if not self.loops:
                raise self.fail(f"{{{{{word}}}}} outside {{{{range}}}}", where)
            return n.Break(where) if word == "break" else n.Continue(where)
        if kind == "define_block":
            name = self.string(tree.children[0])
            self.scopes.append({"$": 0})
            body = self.list(tree.children[1])
            self.scopes.pop()
            self.defines[name] = body
            return n.Define(name, body, where)
        if kind == "template_call":
            name = self.string(tree.children[0])
            pipe = self.pipeline(tree.children[1], declare=False) if len(tree.children) > 1 else None
            return n.TemplateCall(name, pipe, where)
        if kind == "block_block":
            name = self.string(tree.children[0])
            pipe = self.pipeline(tree.children[1], declare=False)
            self.scopes.append({"$": 0})
            body = self.list(tree.children[2])
            self.scopes.pop()
            self.defines[name] = body
            return n.Block(name, pipe, body, where)
        raise self.fail(f"unexpected {kind}", where)

    def branching(self, tree: Tree[Any], where: n.Pos) -> n.Statement:
        self.scopes.append({})
        branches = [(self.pipeline(tree.children[0], declare=True), self.list(tree.children[1]))]
        otherwise = None
        for child in tree.children[2:]:
            if child.data in ("else_if", "else_with"):
                # Go parses "else if" as an if nested in the else branch: same scope rules.
                branches.append((self.pipeline(child.children[0], declare=True), self.list(child.children[1])))
            elif child.data == "else_clause":
                otherwise = self.list(child.children[0])
        self.scopes.pop()
        cls = n.If if tree.data == "if_block" else n.With
        return cls(tuple(branches), otherwise, where)

    def range(self, tree: Tree[Any], where: n.Pos) -> n.Range:
        self.scopes.append({})
        pipe = self.pipeline(tree.children[0], declare=True, in_range=True)
        self.loops += 1
        body = self.list(tree.children[1])
        self.loops -= 1
        otherwise = None
        if len(tree.children) > 2 and tree.children[2].data == "else_clause":
            otherwise = self.list(tree.children[2].children[0])
        self.scopes.pop()
        return n.Range(pipe, body, otherwise, where)

    # -- pipelines
    def pipeline(self, tree: Tree[Any], *, declare: bool, in_range: bool = False) -> n.Pipeline:
        where = self.pos(tree)
        parts = list(tree.children)
        decls: tuple[int, ...] = ()
        assign = False
        if parts and isinstance(parts[0], Tree) and parts[0].data == "declaration":
            decl_tree = parts.pop(0)
            decl_tokens = [t for t in decl_tree.children if isinstance(t, Token)]
            variables = [t for t in decl_tokens if t.type == "VARIABLE"]
            operator = next(t for t in decl_tokens if t.type in ("DECLARE", "ASSIGN"))
            assign = operator.type == "ASSIGN"
            if len(variables) > 1 and not in_range:
                raise self.fail("too many declarations in command", where)
            if not declare:
                raise self.fail("variable declaration not allowed here", where)
            names = [str(v) for v in variables]
            for name in names:
                if "." in name:
                    raise self.fail(f"unexpected {name!r} in declaration", where)
            commands = tuple(self.command(c) for c in parts)
            if assign:
                decls = tuple(self.lookup(name, where) for name in names)
            else:
                decls = tuple(self.declare(name, where) for name in names)
        else:
            commands = tuple(self.command(c) for c in parts)
        for stage, command in enumerate(commands[1:], start=2):
            if isinstance(command.args[0], n.Literal | n.Dot):
                raise self.fail(f"non executable command in pipeline stage {stage}", command.pos)
        return n.Pipeline(decls, assign, commands, where)

    def command(self, tree: Tree[Any]) -> n.Command:
        args = tuple(self.operand(child) for child in tree.children)
        return n.Command(args, self.pos(tree))

    def operand(self, tree: Tree[Any]) -> n.Operand:
        term_tree = tree.children[0]
        chained = tuple(str(tree.children[1])[1:].split(".")) if len(tree.children) > 1 else ()
        inner = term_tree.children[0]
        where = self.pos(tree)
        if isinstance(inner, Tree):
            if inner.data == "pipeline":
                pipe = self.pipeline(inner, declare=False)
                return n.Chain(pipe, chained, where) if chained else n.SubPipe(pipe, where)
            term: n.Operand = n.Literal(self.string(inner), str(_first(inner)), where)  # string
        else:
            term = self.token_term(inner, where)
        if chained:
            if isinstance(term, n.Field | n.Variable):
                raise self.fail(f"unexpected field after {term}", where)
            return n.Chain(n.Pipeline((), False, (n.Command((term,), where),), where), chained, where)
        return term

    def token_term(self, token: Token, where: n.Pos) -> n.Operand:
        kind, text = token.type, str(token)
        if kind == "DOT":
            return n.Dot(where)
        if kind == "FIELD":
            return n.Field(tuple(text[1:].split(".")), where)
        if kind == "VARIABLE":
            name, *fields = text.split(".")
            return n.Variable(name, tuple(fields), self.lookup(name, where), where)
        if kind == "IDENTIFIER":
            if text in ("end", "else"):
                raise self.fail(f"unexpected {{{{{text}}}}}", where)
            if text not in FUNCTIONS:
                raise self.fail(
                    f"function {text!r} not defined",
                    where,
                    f'function "{text}" not defined',
                    hint="Ollama templates may call " + ", ".join(sorted(FUNCTIONS)),
                )
            return n.Identifier(text, where)
        if kind in ("TRUE", "FALSE"):
            return n.Literal(kind == "TRUE", text, where)
        if kind == "NIL":
            return n.Literal(None, text, where)
        try:
            if kind == "CHAR":
                return n.Literal(parse_char(text), text, where)
            return n.Literal(parse_number(text), text, where)
        except ValueError as error:
            raise self.fail(str(error), where) from None

    def string(self, tree: Tree[Any] | Token) -> str:
        token = _first(tree) if isinstance(tree, Tree) else tree
        text = str(token)
        if token.type == "RAW_STRING":
            return text[1:-1]
        try:
            return unquote(text)
        except ValueError as error:
            raise self.fail(str(error), self.pos(token)) from None


def _first(tree: Tree[Any]) -> Token:
    token = next(_tokens(tree), None)
    assert token is not None
    return token


def _tokens(tree: Tree[Any]) -> Iterator[Token]:
    for child in tree.children:
        if isinstance(child, Token):
            yield child
        else:
            yield from _tokens(child)
