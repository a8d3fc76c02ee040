from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Any

import click

from builder.cli.options import discover, display_name, echo_json, json_option, read_input
from modelfile import ModelfileError, parse
from modelfile.decoding import decode, encode, encoding_of, round_trips
from modelfile.formatter import format_modelfile


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if any file would be reformatted.")
@click.option("--diff", is_flag=True, help="Change nothing; print a unified diff of what would change.")
@json_option
def fmt_command(paths: tuple[str, ...], check: bool, diff: bool, as_json: bool) -> None:
    """Rewrite Modelfiles in canonical form, keeping exactly what Ollama reads.

    Upper-case keywords, single spaces, no indentation, comments kept, blank lines
    collapsed, the plainest quoting that keeps each value.  PATHS are files, folders
    or - (standard input to standard output); the default is the current folder.

    Exit 1 with --check or --diff when a file would change, or when a file does not
    parse.
    """
    results: list[dict[str, Any]] = []
    for path in discover(paths):
        results.append(_one(path, check or diff or as_json, diff, as_json))
    if as_json:
        echo_json({"files": results})
    elif not check and not diff and paths != ("-",):
        changed = sum(r["changed"] for r in results)
        click.echo(f"{changed} file(s) reformatted, {len(results) - changed} unchanged", err=True)
    failed = any(r.get("error") for r in results)
    pending = (check or diff or as_json) and any(r["changed"] for r in results)
    if failed or pending:
        sys.exit(1)


def _one(path: str, dry: bool, diff: bool, quiet: bool) -> dict[str, Any]:
    shown = display_name(path)
    try:
        data = read_input(path)
    except OSError as error:
        message = f"{shown}: cannot read: {error.strerror}"
        if not quiet:
            click.echo(message, err=True)
        return {"path": shown, "changed": False, "error": {"message": message}}
    try:
        modelfile = parse(data, path=None if path == "-" else path)
    except ModelfileError as error:
        if not quiet:
            click.echo(error.render(), err=True)
        return {"path": shown, "changed": False, "error": error.to_dict()}
    if not round_trips(data):
        message = f"{shown}: not formatted: the file is not valid {encoding_of(data)} (see mfc lint, MF507)"
        if not quiet:
            click.echo(message, err=True)
        return {"path": shown, "changed": False, "error": {"message": message}}
    before = decode(data)
    after = format_modelfile(modelfile)
    changed = after != before
    if path == "-" and not dry:
        click.echo(after, nl=False)
    elif diff and changed:
        lines = difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"{shown}", f"{shown} (formatted)"
        )
        click.echo("".join(lines), nl=False)
    elif dry and changed and not quiet:
        click.echo(f"would reformat {shown}", err=True)
    elif changed and not dry:
        Path(path).write_bytes(encode(after, encoding_of(data)))
        click.echo(f"reformatted {shown}", err=True)
    return {"path": shown, "changed": changed, "error": None}
