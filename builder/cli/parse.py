"""``mfc parse``: ``modelfile.parse``, printed as the commands Ollama reads."""

from __future__ import annotations

import json

import click

from builder.cli.options import display_name, echo_json, json_option, read_argument
from modelfile import parse


@click.command("parse")
@click.argument("file", default="-", type=click.Path(dir_okay=False, allow_dash=True))
@json_option
def parse_command(file: str, as_json: bool) -> None:
    """Parse FILE (or standard input) and print the commands Ollama reads from it.

    Exit 0 when Ollama would accept the file, 1 when it would not.
    """
    modelfile = parse(read_argument(file, "FILE"), path=display_name(file))  # a ModelfileError exits 1
    commands = [{"name": name, "args": args} for name, args in modelfile.ollama_commands()]
    if as_json:
        echo_json({"ok": True, "commands": commands})
        return
    for command, item in zip(modelfile.commands, commands, strict=True):
        start = command.span.start
        click.echo(f"{start.line}:{start.column}\t{item['name']}\t{json.dumps(item['args'], ensure_ascii=False)}")
