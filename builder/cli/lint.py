"""``mfc lint``: ``modelfile.lint`` (and ``modelfile.fix_file`` with ``--fix``) over the
files given, reported in one of ``modelfile.linter.report``'s formats."""

from __future__ import annotations

import sys

import click

import modelfile
from builder.cli.options import echo_json, input_paths, read_input, remember_json, stdin_filename_option
from modelfile.linter import Diagnostic, Severity, resolve_selectors
from modelfile.linter.report import FORMATS, render, wants_color


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True))
@click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True, help="Output format."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    callback=remember_json,
    help='Print {"ok", "files", "diagnostics"} (--format json prints the bare diagnostics array).',
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only on errors.")
@click.option("--select", multiple=True, metavar="CODE", help="Run only these rules (codes, prefixes, names; ALL).")
@click.option("--ignore", multiple=True, metavar="CODE", help="Do not run these rules (codes, prefixes, names).")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place, then report what is left.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix, also apply fixes that change what Ollama reads.")
@stdin_filename_option
def lint_command(
    paths: tuple[str, ...],
    fmt: str,
    as_json: bool,
    strict: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fix: bool,
    unsafe_fixes: bool,
    stdin_filename: str | None,
) -> None:
    """Check Modelfiles for what Ollama rejects and for what it silently gets wrong.

    PATHS are files, folders (searched for Modelfile, *.Modelfile and Modelfile.NAME,
    not Modelfile.py, .md, .j2 …) or - for standard input (--stdin-filename implies
    it); the default is ./Modelfile, and `mfc lint .` checks every Modelfile under the
    current folder.  Rules and severities come from [tool.mfc.lint] in the nearest
    pyproject.toml.  `mfc rule CODE` explains a code.  The text report is coloured on a
    terminal, never with NO_COLOR set, always with FORCE_COLOR set.

    Exit 1 when any error is found (or any warning, with --strict; a file that is not
    text is MF000); exit 2 for a usage error, such as a --select or --ignore that names
    no rule.
    """
    select = resolve_selectors(select, where="--select")
    ignore = resolve_selectors(ignore, where="--ignore")
    files = list(modelfile.discover(input_paths(paths, stdin_filename)))
    if not files:
        click.echo("mfc lint: no Modelfiles found", err=True)
    found: list[Diagnostic] = []
    for path in files:
        if path == "-":
            found += modelfile.lint_bytes(read_input(path), path=stdin_filename, select=select, ignore=ignore)
        elif fix:
            found += _fixed(modelfile.fix_file(path, unsafe=unsafe_fixes, select=select, ignore=ignore))
        else:
            found += modelfile.lint(path, select=select, ignore=ignore)
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    failed = any(d.severity in failing for d in found)
    if as_json:
        echo_json({"ok": not failed, "files": len(files), "diagnostics": [d.to_dict() for d in found]})
    else:
        color = fmt == "text" and wants_color(sys.stdout.isatty())
        click.echo(render(fmt, found, files=len(files), color=color), nl=False, color=color)
    if failed:
        sys.exit(1)


def _fixed(result: modelfile.FixResult) -> tuple[Diagnostic, ...]:
    """What fixing a file left, after saying what was done to it."""
    if result.error is not None:
        click.echo(str(result.error), err=True)
    if result.applied:
        click.echo(f"{result.path}: applied {result.applied} fix(es)", err=True)
    return result.diagnostics
