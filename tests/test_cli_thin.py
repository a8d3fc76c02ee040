"""The ``mfc`` command modules are a thin skin over the library: option parsing and
printing only, so that no command implements logic the Python API lacks.

The rule, checked statically on every module in ``builder/cli/``:

1. **Imports.** A command module imports only ``click``, the standard library's
   printing and I/O modules (``STDLIB_IO``), other ``builder.cli`` modules, and the
   public API: the packages ``modelfile`` and ``builder`` and the documented public
   modules in ``PUBLIC_MODULES`` (docs/api.md).  A name taken from one of these, by
   ``from … import`` or as an attribute (``builder.show_text``), must be public: in
   its ``__all__``, or, for a module without one, not starting with ``_``.  So every
   piece of behaviour a command uses is reachable, by the same name, from Python.
2. **Errors.** No ``except`` clause names an ``MfcError`` subclass: the library's
   errors reach ``mfc``'s group, which reports each once (``LazyGroup.invoke`` in
   ``main.py`` is that one place).  The one other place is the interactive chat's loop
   (``chat`` in ``repl.py``): there an error answers one message and the chat goes on.
3. **Size.** A command callback (a function under ``@click.command``/``group`` or a
   group's ``.command``) has at most ``COMMAND_LINES`` lines of body, and any other
   function or method (printing helpers, the lazy group) at most ``HELPER_LINES``,
   docstrings not counted.  Logic bigger than that belongs in the library.

"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from modelfile.errors import MfcError

CLI = Path(__file__).resolve().parent.parent / "builder" / "cli"

#: The handlers that may catch MfcError: (module, the function or class holding them).
REPORTERS = {("main", "LazyGroup"), ("repl", "chat")}

#: The standard library a command may use: printing, reading input, the process.
STDLIB_IO = {
    "__future__",
    "collections.abc",
    "contextlib",
    "gc",  # main.py: the start-up of an mfc process (gc.freeze after a command's imports)
    "importlib",
    "importlib.metadata",
    "io",
    "json",
    "os",
    "pathlib",
    "readline",
    "shutil",
    "signal",
    "sys",
    "textwrap",
    "time",
    "typing",
}

#: Modules of the public API besides the two packages (documented in docs/api.md).
PUBLIC_MODULES = {
    "modelfile",
    "modelfile.errors",
    "modelfile.linter",
    "modelfile.linter.report",
    "modelfile.template",
    "builder",
    "builder.errors",
    "builder.humanize",
    "builder.serve",
}

COMMAND_LINES = 40
HELPER_LINES = 15


def public_names(module: str) -> set[str]:
    loaded = importlib.import_module(module)
    exported = getattr(loaded, "__all__", None)
    names = set(exported) if exported is not None else {n for n in vars(loaded) if not n.startswith("_")}
    return names | {sub.rsplit(".", 1)[1] for sub in PUBLIC_MODULES if sub.startswith(module + ".")}


def is_mfc_error(name: str) -> bool:
    for module in PUBLIC_MODULES:
        found = getattr(importlib.import_module(module), name, None) if name in public_names(module) else None
        if isinstance(found, type) and issubclass(found, MfcError):
            return True
    return False


def is_command(function: ast.FunctionDef) -> bool:
    """Decorated as a click command or group (``@click.command``, ``@group.command``)."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in ("command", "group"):
            return True
    return False


def body_lines(function: ast.FunctionDef) -> int:
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if not body:
        return 0
    return (body[-1].end_lineno or body[-1].lineno) - body[0].lineno + 1


def violations(source: str, module: str) -> list[str]:
    """Every way ``source`` (the module ``module`` of builder/cli) breaks the rule."""
    tree = ast.parse(source)
    found: list[str] = []
    aliases: dict[str, str] = {}  # local name -> public module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found += _check_module(alias.name, node.lineno)
                if alias.name in PUBLIC_MODULES:  # ``import a.b`` binds ``a``; ``import a.b as c``, ``a.b``
                    local = alias.asname or alias.name.split(".")[0]
                    aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            source_module = node.module or ""
            found += _check_module(source_module, node.lineno)
            if source_module in PUBLIC_MODULES:
                allowed = public_names(source_module)
                for alias in node.names:
                    if alias.name not in allowed:
                        found.append(f"line {node.lineno}: {source_module}.{alias.name} is not public")
                    elif f"{source_module}.{alias.name}" in PUBLIC_MODULES:
                        aliases[alias.asname or alias.name] = f"{source_module}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            target = aliases[node.value.id]
            if node.attr not in public_names(target):
                found.append(f"line {node.lineno}: {target}.{node.attr} is not public")
    found += _check_handlers(tree, module)
    found += _check_sizes(tree)
    return found


def _check_module(name: str, line: int) -> list[str]:
    if name == "click" or name.startswith("click.") or name in STDLIB_IO or name in PUBLIC_MODULES:
        return []
    if name.startswith("builder.cli.") or name == "builder.cli":
        return []
    return [f"line {line}: imports {name}, which is neither the public API nor printing and I/O"]


def _check_handlers(tree: ast.Module, module: str) -> list[str]:
    found = []
    exempt = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef | ast.FunctionDef) and (module, node.name) in REPORTERS:
            exempt |= {id(n) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ExceptHandler) or node.type is None or id(node) in exempt:
            continue
        types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        for kind in types:
            name = kind.attr if isinstance(kind, ast.Attribute) else kind.id if isinstance(kind, ast.Name) else ""
            if name and is_mfc_error(name):
                found.append(f"line {node.lineno}: catches {name}; let the group report it")
    return found


def _check_sizes(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            limit = COMMAND_LINES if is_command(node) else HELPER_LINES
            size = body_lines(node)
            if size > limit:
                found.append(f"line {node.lineno}: {node.name} has {size} lines of body (at most {limit})")
    return found


ALL_MODULES = sorted(p.stem for p in CLI.glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", ALL_MODULES)
def test_command_modules_are_thin(module: str) -> None:
    assert violations((CLI / f"{module}.py").read_text(encoding="utf-8"), module) == []


def test_the_reporters_are_real() -> None:
    for module, holder in REPORTERS:
        tree = ast.parse((CLI / f"{module}.py").read_text(encoding="utf-8"))
        assert any(isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == holder for n in ast.walk(tree))


BAD_COMMAND = (
    '''
import click
import builder
from builder.create import session
from builder.errors import StoreError
from modelfile import parse, _EXPORTS


@click.command("x")
def x_command() -> None:
    """Doc."""
    try:
        builder._private()
    except StoreError:
        pass


def helper() -> None:
'''
    + "    print()\n" * (HELPER_LINES + 1)
)


def test_the_rule_catches_each_kind_of_thick_command() -> None:
    found = violations(BAD_COMMAND, "x")
    assert [v.split(": ", 1)[1] for v in found] == [
        "imports builder.create, which is neither the public API nor printing and I/O",
        "modelfile._EXPORTS is not public",
        "builder._private is not public",
        "catches StoreError; let the group report it",
        f"helper has {HELPER_LINES + 1} lines of body (at most {HELPER_LINES})",
    ]
