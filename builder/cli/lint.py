from __future__ import annotations

import sys
from pathlib import Path

import click

from builder.cli.options import discover, read_input
from modelfile.decoding import decode, encode, encoding_of, round_trips
from modelfile.linter import ConfigError, Diagnostic, Severity, lint, lint_bytes
from modelfile.linter.fixes import apply_fixes
from modelfile.linter.report import FORMATS, render


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True))
@click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True, help="Output format."
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only on errors.")
@click.option("--select", multiple=True, metavar="CODE", help="Run only these rules (codes or prefixes; ALL).")
@click.option("--ignore", multiple=True, metavar="CODE", help="Do not run these rules (codes or prefixes).")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place, then report what is left.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix, also apply fixes that change what Ollama reads.")
@click.option(
    "--stdin-filename", metavar="PATH", help="Where standard input comes from (for relative paths and config)."
)
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

    PATHS are files, folders (searched for Modelfile, *.Modelfile, Modelfile.*) or -
    for standard input; the default is the current folder.  Rules and severities come
    from [tool.mfc.lint] in the nearest pyproject.toml.  `mfc rule CODE` explains a code.

    Exit 1 when any error is found (or any warning, with --strict).
    """
    if as_json:
        fmt = "json"
    select = tuple(c for s in select for c in s.split(","))
    ignore = tuple(c for s in ignore for c in s.split(","))
    files = list(discover(paths))
    if not files:
        click.echo("mfc lint: no Modelfiles found", err=True)
    found: list[Diagnostic] = []
    try:
        for path in files:
            found += _lint_one(path, select, ignore, fix, unsafe_fixes, stdin_filename)
    except ConfigError as error:
        raise click.UsageError(str(error)) from None
    color = fmt == "text" and sys.stdout.isatty()
    click.echo(render(fmt, found, files=len(files), color=color), nl=False)
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    if any(d.severity in failing for d in found):
        sys.exit(1)


def _lint_one(
    path: str, select: tuple[str, ...], ignore: tuple[str, ...], fix: bool, unsafe: bool, stdin_filename: str | None
) -> list[Diagnostic]:
    named = stdin_filename if path == "-" else path
    try:
        data = read_input(path)
    except OSError:
        return lint(path, select=select, ignore=ignore)  # reports MF000 with the reason
    found = lint_bytes(data, path=named, select=select, ignore=ignore)
    if not fix or path == "-":
        return found
    if not round_trips(data):
        click.echo(f"{path}: not fixed: the file is not valid {encoding_of(data)}", err=True)
        return found
    fixed, count = apply_fixes(decode(data), found, unsafe=unsafe)
    if count:
        Path(path).write_bytes(encode(fixed, encoding_of(data)))
        click.echo(f"{path}: applied {count} fix(es)", err=True)
        found = lint_bytes(Path(path).read_bytes(), path=named, select=select, ignore=ignore)
    return found
