"""``mfc fmt``: ``modelfile.format_file`` (``format_bytes`` for standard input) over
the files given, with ``--check``/``--diff`` changing nothing."""

from __future__ import annotations

import sys

import click

import modelfile
from builder.cli.options import display_name, echo_json, json_option, read_input


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
    dry = check or diff or as_json
    results: list[modelfile.FormatResult] = []
    for path in modelfile.discover(paths):
        if path == "-":
            result = modelfile.format_bytes(read_input(path), path=display_name(path))
        else:
            result = modelfile.format_file(path, write=not dry)
        results.append(result)
        if not as_json:
            _report(result, stdin=path == "-", dry=dry, diff=diff)
    if as_json:
        echo_json({"files": [r.to_dict() for r in results]})
    elif not dry and paths != ("-",):
        click.echo(modelfile.FormatResult.summary(results), err=True)
    failed = any(r.error for r in results)
    pending = dry and any(r.changed for r in results)
    if failed or pending:
        sys.exit(1)


def _report(result: modelfile.FormatResult, *, stdin: bool, dry: bool, diff: bool) -> None:
    """Print what formatting one file gave: its error, the formatted text (standard
    input), the diff, or what was (or would be) rewritten."""
    if result.error is not None:
        click.echo(result.error.render(), err=True)
    elif stdin and not dry:
        click.echo(result.after, nl=False)
    elif diff and result.changed:
        click.echo(result.diff(), nl=False)
    elif dry and result.changed:
        click.echo(f"would reformat {result.path}", err=True)
    elif result.changed:
        click.echo(f"reformatted {result.path}", err=True)
