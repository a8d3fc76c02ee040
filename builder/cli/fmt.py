"""``mfc fmt``: ``modelfile.format_file`` (``format_bytes`` for standard input) over
the files given, with ``--check``/``--diff`` changing nothing."""

from __future__ import annotations

import sys

import click

import modelfile
from builder.cli.options import (
    display_name,
    echo_json,
    input_paths,
    json_option,
    read_input,
    stdin_filename_option,
)


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if any file would be reformatted.")
@click.option("--diff", is_flag=True, help="Change nothing; print a unified diff of what would change.")
@stdin_filename_option
@json_option
def fmt_command(paths: tuple[str, ...], check: bool, diff: bool, stdin_filename: str | None, as_json: bool) -> None:
    """Rewrite Modelfiles in canonical form, keeping exactly what Ollama reads.

    Upper-case keywords, single spaces, no indentation, comments kept, blank lines
    collapsed, the plainest quoting that keeps each value.  PATHS are files, folders
    (searched for Modelfile, *.Modelfile and Modelfile.NAME, not Modelfile.py, .md,
    .j2 …) or - (standard input to standard output; --stdin-filename implies it); the
    default is ./Modelfile, and `mfc fmt .` formats every Modelfile under the current
    folder.

    --json changes only what is printed: one record per file (path, changed, error;
    the formatted text for standard input, the diff with --diff), and the files are
    rewritten unless --check or --diff is given.

    Exit 1 with --check or --diff when a file would change, or when a file does not
    parse; 2 for a usage error.  The same with --json.
    """
    dry = check or diff
    results: list[tuple[modelfile.FormatResult, bool]] = []  # and whether it is standard input's
    paths = input_paths(paths, stdin_filename)
    for path in modelfile.discover(paths):
        if path == "-":
            result = modelfile.format_bytes(read_input(path), path=display_name(path, stdin_filename))
        else:
            result = modelfile.format_file(path, write=not dry)
        results.append((result, path == "-"))
        if not as_json:
            _report(result, stdin=path == "-", dry=dry, diff=diff)
    failed = any(r.error for r, _ in results) or (dry and any(r.changed for r, _ in results))
    if as_json:
        echo_json({"ok": not failed, "files": [r.to_dict(text=stdin, diff=diff) for r, stdin in results]})
    elif not dry and paths != ("-",):
        click.echo(modelfile.FormatResult.summary([r for r, _ in results]), err=True)
    if failed:
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
